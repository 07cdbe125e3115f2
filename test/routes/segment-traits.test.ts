import { Analytics } from '@segment/analytics-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';
import { profileOf as profileIn } from '../specs/harness.ts';

/** Identify traits reach the store without contact data, from the real client, into a real SQLite file. */
let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ store: sqliteStore({ path: ':memory:' }) });
});
afterEach(async () => {
  await app.close();
});

const profileOf = (id: string) => profileIn(app, id);

describe('identify traits', () => {
  it('stores no email address, phone number, name or street address, whatever the keys', async () => {
    const analytics = new Analytics({
      writeKey: WRITE_KEY,
      host: 'http://opentime.test',
      flushAt: 1,
      maxRetries: 0,
      httpClient: (url, init) => app.request(new URL(url).pathname, init),
    });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    analytics.identify({
      userId: 'tr-1',
      traits: {
        user_email: 'jane@example.com',
        'Email Address': 'jane.work@example.com',
        mail: 'jane.home@example.com',
        'First Name': 'Jane',
        FIRSTNAME: 'Jane',
        last_name: 'Doe',
        name: 'Jane Doe',
        mobile: '+1 555 010 9999',
        whatsapp: '+44 7946 095800',
        street: '1 Main St',
        address: { street: '1 Main St', city: 'Springfield', postalCode: '12345' },
        plan: 'gold',
        city: 'Springfield',
      },
    });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    const profile = await profileOf('tr-1');
    expect(profile.traits).toEqual({ plan: 'gold', city: 'Springfield' });
    const stored = JSON.stringify(await app.deps.store.getProfile('u:tr-1'));
    expect(stored).not.toMatch(/jane|Jane|Doe|555|7946|Main St/);
  });

  it('still links the hashed email, so an ESP that knows only the address finds the person', async () => {
    await app.send('identify', { userId: 'tr-2', traits: { email: 'Two@Example.com', plan: 'silver' } });
    await app.send('track', { userId: 'tr-2', event: 'Product Added', properties: { product_id: 'p2' } });
    const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent('two@example.com')}`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.profile.cart[0].id).toBe('p2');
    expect(body.profile.traits).toEqual({ plan: 'silver' });
    expect(JSON.stringify(body)).not.toMatch(/two@example\.com/i);
  });
});
