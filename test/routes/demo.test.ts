import { afterEach, describe, expect, it } from 'vitest';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
afterEach(async () => app?.close());

/** A Host header a URL parser lets through: quotes and parentheses are allowed in a host name. */
const HOSTILE_ORIGIN = 'http://evil.example"onmouseover="alert(1)';

describe('the demo page', () => {
  it('never shows a write key from the environment', async () => {
    app = await createTestApp({ config: { demo: true } });
    const html = await (await app.request('/')).text();
    expect(html).not.toContain(WRITE_KEY);
    expect(html).toContain("-u 'YOUR_WRITE_KEY:'");
    expect(html).toContain('id="key"');
    // The way from the demo to making blocks of one's own.
    expect(html).toContain('<a href="/studio/">Open the Studio</a>');
  });

  it('uses the development key this server generated', async () => {
    const generated = 'ot_write_generated-for-development';
    app = await createTestApp({ config: { demo: true, writeKeys: [generated], demoWriteKey: generated } });
    const html = await (await app.request('/')).text();
    expect(html).toContain(`-u '${generated}:'`);
    expect(html).toContain(JSON.stringify(generated));
    expect(html).not.toContain('id="key"');
  });

  it('builds no link from a hostile Host header', async () => {
    app = await createTestApp({ config: { demo: true } });
    for (const path of ['/', '/demo/shop', '/demo/shop/aviators']) {
      const html = await (await app.opentime.app.fetch(new Request(`${HOSTILE_ORIGIN}${path}`))).text();
      expect(html, path).not.toContain('onmouseover="');
      expect(html, path).not.toContain('evil.example');
    }
    const page = await (await app.opentime.app.fetch(new Request(`${HOSTILE_ORIGIN}/`))).text();
    expect(page).toContain('https://live.example.com/i/demo-picks/0.png');
  });

  it('uses the origin the browser reached when it is a plain host', async () => {
    app = await createTestApp({ config: { demo: true } });
    const page = await (await app.opentime.app.fetch(new Request('http://127.0.0.1:8787/'))).text();
    expect(page).toContain('http://127.0.0.1:8787/i/demo-picks/0.png');
    const shop = await (await app.opentime.app.fetch(new Request('http://[::1]:8787/demo/shop'))).text();
    expect(shop).toContain('href="/demo/shop/aviators"');
  });
});
