import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, triggerSettings } from '../../src/core/config.ts';
import { Signer } from '../../src/core/audience/signing.ts';
import type { TriggerEngine } from '../../src/core/triggers/engine.ts';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import type { Store } from '../../src/core/ports.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeEsp, type FakeEsp } from '../helpers/fake-esp.ts';

/**
 * Triggers through the admin API and the engine, against a fake ESP on
 * loopback that checks each documented request shape and answers with the
 * ESPs' error codes. Time is the test clock: `fire(ms)` moves it and runs
 * what the Node scheduler runs at each poll (the engine's fireDue).
 */
let esp: FakeEsp;
beforeAll(async () => {
  esp = await startFakeEsp();
});
afterAll(() => esp.close());

let app: TestApp;
let engine: TriggerEngine;
const MIN = 60_000;

function settings(extra: Record<string, string | undefined> = {}) {
  return triggerSettings(
    parseConfig({
      OPENTIME_KLAVIYO_URL: esp.url,
      OPENTIME_KLAVIYO_API_KEY: 'pk_test_klaviyo',
      OPENTIME_BRAZE_URL: `${esp.url}/braze`,
      OPENTIME_BRAZE_API_KEY: 'braze-rest-key',
      OPENTIME_CUSTOMERIO_URL: `${esp.url}/cio`,
      OPENTIME_CUSTOMERIO_SITE_ID: 'site-1',
      OPENTIME_CUSTOMERIO_API_KEY: 'cio-key',
      OPENTIME_ITERABLE_URL: `${esp.url}/iterable`,
      OPENTIME_ITERABLE_API_KEY: 'iterable-key',
      OPENTIME_TRIGGER_WEBHOOK_SECRET: `whsec_${Buffer.from('a webhook secret of 32 bytes!!!!').toString('base64')}`,
      OPENTIME_TRIGGER_RETRY_SECONDS: '60',
      OPENTIME_TRIGGER_MAX_ATTEMPTS: '3',
      ...extra,
    }),
  );
}

async function start(options: { extra?: Record<string, string | undefined>; requireSignature?: boolean; store?: Store } = {}) {
  app = await createTestApp({
    ...(options.store ? { store: options.store } : {}),
    config: { triggers: settings(options.extra), publicUrl: 'https://live.example.com', requireSignature: options.requireSignature ?? false },
  });
  engine = app.opentime.services.triggers as TriggerEngine;
  esp.reset();
  const products = [
    { id: 'sku-1', title: 'Trail runner', price: 80, url: 'https://shop.example.com/p/sku-1', image_url: 'https://cdn.example.com/sku-1.jpg' },
    { id: 'sku-2', title: 'Rain jacket', price: 120, url: 'https://shop.example.com/p/sku-2', in_stock: false },
  ];
  expect((await app.admin('PUT', '/v1/catalog/products', products)).status).toBe(200);
  const block = {
    id: 'cart-reminder',
    size: { width: 600, height: 300 },
    slots: 2,
    source: [{ from: 'cart' }],
    params: { headline: 'Still yours' },
    fallback: { url: 'https://shop.example.com/' },
  };
  expect((await app.admin('PUT', '/v1/blocks/cart-reminder', block)).status).toBe(200);
}
afterEach(async () => {
  await app?.close();
});

const cartTrigger = (extra: Record<string, unknown> = {}) => ({
  start: { event: 'Product Added' },
  wait: { minutes: 60 },
  cancel: { events: ['Order Completed'] },
  when: { '>': [{ var: 'profile.cart_count' }, 0] },
  cap: { per_subscriber: 1, days: 7 },
  blocks: ['cart-reminder'],
  destination: { type: 'klaviyo', metric: 'Cart Abandoned' },
  ...extra,
});
const put = async (id: string, trigger: unknown) => {
  const response = await app.admin('PUT', `/v1/triggers/${id}`, trigger);
  expect(response.status, await response.clone().text()).toBe(200);
};
const track = async (userId: string, event: string, properties: Record<string, unknown> = {}) => {
  const response = await app.send('track', { userId, event, properties });
  expect(response.status).toBe(200);
};
const fire = async (afterMs = 0) => {
  app.clock.advance(afterMs);
  await engine.fireDue(app.clock.now());
};
// biome-ignore lint/suspicious/noExplicitAny: the ESP's documented JSON, read as a test reads it
const report = async (id: string) => (await (await app.admin('GET', `/v1/triggers/${id}/report`)).json()) as Record<string, any>;

describe('triggers: definitions through the admin API', () => {
  beforeEach(() => start());

  it('stores, lists, reads and deletes a trigger, with its defaults', async () => {
    await put('cart-1h', cartTrigger());
    const read = (await (await app.admin('GET', '/v1/triggers/cart-1h')).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ id: 'cart-1h', version: 1, enabled: true, dry_run: false, send_at: 'due', destination: { type: 'klaviyo', metric: 'Cart Abandoned' } });
    const list = (await (await app.admin('GET', '/v1/triggers')).json()) as { triggers: Array<{ id: string; report: { started: number } }> };
    expect(list.triggers.map((t) => [t.id, t.report.started])).toEqual([['cart-1h', 0]]);
    expect((await app.admin('DELETE', '/v1/triggers/cart-1h')).status).toBe(200);
    expect((await app.admin('GET', '/v1/triggers/cart-1h')).status).toBe(404);
    expect((await app.admin('DELETE', '/v1/triggers/cart-1h')).status).toBe(404);
  });

  it('refuses a bad trigger naming every problem by its JSON path', async () => {
    const response = await app.admin('PUT', '/v1/triggers/bad', {
      start: { event: '' },
      wait: { minutes: -5 },
      quiet_hours: { from: '25:00', to: '08:00' },
      blocks: ['no-such-block'],
      destination: { type: 'klaviyo', api_key: 'never here' },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { details: Array<{ path: string }> } };
    const paths = error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['start.event', 'wait.minutes', 'quiet_hours.from', 'destination.metric']));
    expect(JSON.stringify(error)).toContain('api_key');
    const blocks = await app.admin('PUT', '/v1/triggers/bad', cartTrigger({ blocks: ['cart-reminder', 'no-such-block'] }));
    expect(((await blocks.json()) as { error: { details: unknown } }).error.details).toEqual([{ path: 'blocks[1]', message: 'no block with id "no-such-block"' }]);
    expect((await app.request('/v1/triggers/cart', { method: 'PUT', body: '{}' })).status).toBe(401);
    expect((await app.admin('PUT', '/v1/triggers/dead-letters', cartTrigger())).status).toBe(400);
  });
});

describe('triggers: an abandoned cart through Klaviyo', () => {
  beforeEach(() => start());

  it('sends one Klaviyo event after the wait, in the documented shape, with the cart and its block URLs', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-1042', 'Product Added', { product_id: 'sku-1', quantity: 2 });
    await fire(59 * MIN);
    expect(esp.requests).toHaveLength(0);
    await fire(MIN);
    expect(esp.requests).toHaveLength(1);
    const [request] = esp.requests;
    expect(request?.path).toBe('/api/events');
    expect(request?.headers.authorization).toBe('Klaviyo-API-Key pk_test_klaviyo');
    expect(request?.headers.revision).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request?.headers['content-type']).toBe('application/vnd.api+json');
    const event = request?.body.data;
    expect(event.type).toBe('event');
    expect(event.attributes.metric).toEqual({ data: { type: 'metric', attributes: { name: 'Cart Abandoned' } } });
    expect(event.attributes.profile).toEqual({ data: { type: 'profile', attributes: { external_id: 'c-1042' } } });
    expect(event.attributes.value).toBe(160);
    expect(event.attributes.unique_id).toBe(event.attributes.properties.episode);
    const { properties } = event.attributes;
    expect(properties.subscriber_id).toBe('c-1042');
    expect(properties.facts.cart).toEqual([
      expect.objectContaining({ product_id: 'sku-1', title: 'Trail runner', quantity: 2, price: 80, url: 'https://shop.example.com/p/sku-1' }),
    ]);
    const urls = properties.blocks['cart-reminder'];
    const image = new URL(urls.image_url);
    expect(`${image.origin}${image.pathname}`).toBe('https://live.example.com/i/cart-reminder.png');
    expect(image.searchParams.get('u')).toBe('c-1042');
    expect(image.searchParams.get('m')).toBe(properties.message_id);
    expect(properties.message_id).toMatch(/^trg\.cart-1h\./);
    expect(urls.click_urls).toHaveLength(2);
    expect(new URL(urls.click_url).pathname).toBe('/c/cart-reminder/0');

    await fire(MIN);
    await fire(24 * 60 * MIN);
    expect(esp.requests).toHaveLength(1);
    expect(await report('cart-1h')).toMatchObject({ started: 1, fired: 1, sent: 1, failed: 0, cancelled: 0 });
    const sends = (await (await app.admin('GET', '/v1/triggers/cart-1h/sends')).json()) as { sends: Array<{ request: { headers: Record<string, string> } }> };
    expect(sends.sends).toHaveLength(1);
    expect(JSON.stringify(sends)).not.toContain('pk_test_klaviyo');
  });

  it("reports an order after a click in the trigger's email as its conversion, with its revenue, once", async () => {
    await put('cart-1h', cartTrigger());
    await track('c-1042', 'Product Added', { product_id: 'sku-1', quantity: 2 });
    await fire(60 * MIN);
    const urls = esp.requests[0]?.body.data.attributes.properties.blocks['cart-reminder'];
    // A person in a mail client: opens, then clicks (a link scanner's click is no one's).
    const person = { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)' } };
    const open = new URL(urls.image_url);
    expect((await app.request(`${open.pathname}${open.search}`, person)).status).toBe(200);
    const click = new URL(urls.click_url);
    expect((await app.request(`${click.pathname}${click.search}`, person)).status).toBe(302);
    await app.settle();
    await track('c-1042', 'Order Completed', { order_id: 'o-77', revenue: 160, currency: 'EUR' });
    await track('c-1042', 'Order Completed', { order_id: 'o-77', revenue: 160, currency: 'EUR' }); // the shop's retry
    await app.settle();
    await app.settle();
    expect(await report('cart-1h')).toMatchObject({ sent: 1, conversions: 1, revenue: { EUR: 160 } });
    // An order with no click in a trigger's email is no trigger's conversion.
    await track('c-2000', 'Order Completed', { order_id: 'o-78', revenue: 20 });
    await app.settle();
    expect(await report('cart-1h')).toMatchObject({ conversions: 1, revenue: { EUR: 160 } });
  });

  it('sends nothing when the shopper buys first, and says why in the report', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-1042', 'Product Added', { product_id: 'sku-1' });
    await fire(30 * MIN);
    await track('c-1042', 'Order Completed', { order_id: 'o-1', products: [{ product_id: 'sku-1' }] });
    await fire(31 * MIN);
    await fire(24 * 60 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect(await report('cart-1h')).toMatchObject({ started: 1, cancelled: 1, cancelled_by: { 'event:Order Completed': 1 }, sent: 0 });
  });

  it('checks `when` at fire time: a cart emptied during the wait sends nothing', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-7', 'Product Added', { product_id: 'sku-1' });
    await track('c-7', 'Product Removed', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect((await report('cart-1h')).cancelled_by).toEqual({ when: 1 });
  });

  it('keeps to the cap: one email per subscriber in 7 days, however often they cart', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-8', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    await track('c-8', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(1);
    expect((await report('cart-1h')).cancelled_by).toEqual({ cap: 1 });
    app.clock.advance(7 * 24 * 60 * MIN);
    await track('c-8', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(2);
  });

  it('respects a suppression made during the wait, and starts nothing for anonymous visitors', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-9', 'Product Added', { product_id: 'sku-1' });
    expect((await app.admin('POST', '/v1/suppressions', { ids: ['c-9'] })).status).toBe(200);
    expect((await app.send('track', { anonymousId: 'visitor-1', event: 'Product Added', properties: { product_id: 'sku-1' } })).status).toBe(200);
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect(await report('cart-1h')).toMatchObject({ started: 1, cancelled_by: { suppressed: 1 } });
  });

  it('closes the waiting episodes of a subscriber who is deleted', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-13', 'Product Added', { product_id: 'sku-1' });
    expect((await app.admin('DELETE', '/v1/subjects/c-13')).status).toBe(200);
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect(await app.deps.store.getEpisode('cart-1h', 'u:c-13')).toBeUndefined();
  });

  it('starts nothing for a trigger switched off, and a dry run records the request instead of sending it', async () => {
    await put('cart-off', cartTrigger({ enabled: false }));
    await put('cart-dry', cartTrigger({ dry_run: true }));
    await track('c-10', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect((await report('cart-off')).started).toBe(0);
    expect(await report('cart-dry')).toMatchObject({ started: 1, fired: 1, dry_run: 1, sent: 0 });
    // biome-ignore lint/suspicious/noExplicitAny: the ESP's documented JSON, read as a test reads it
    const { sends } = (await (await app.admin('GET', '/v1/triggers/cart-dry/sends')).json()) as { sends: Array<{ dryRun: boolean; request: { url: string; body: any } }> };
    expect(sends[0]?.dryRun).toBe(true);
    expect(sends[0]?.request.url).toBe(`${esp.url}/api/events`);
    expect(sends[0]?.request.body.data.attributes.profile.data.attributes.external_id).toBe('c-10');
  });

  it('OPENTIME_TRIGGERS=off starts and sends nothing; dry-run for all records every trigger instead of sending', async () => {
    await app.close();
    await start({ extra: { OPENTIME_TRIGGERS: 'off' } });
    await put('cart-1h', cartTrigger());
    await track('c-14', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(await report('cart-1h')).toMatchObject({ started: 0, fired: 0 });
    await app.close();
    await start({ extra: { OPENTIME_TRIGGERS: 'dry-run' } });
    await put('cart-1h', cartTrigger());
    await track('c-14', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    expect(await report('cart-1h')).toMatchObject({ started: 1, dry_run: 1, sent: 0 });
  });

  it('moves a send out of quiet hours, in the subscriber\u2019s own time zone', async () => {
    await put('cart-quiet', cartTrigger({ quiet_hours: { from: '21:00', to: '08:00' }, wait: { hours: 10 } }));
    await app.send('identify', { userId: 'c-11', traits: { timezone: 'Europe/Berlin' } });
    // 12:00 UTC + 10 h = 22:00 UTC, midnight in Berlin (summer): due at 08:00 Berlin, 06:00 UTC.
    await track('c-11', 'Product Added', { product_id: 'sku-1' });
    await fire(10 * 60 * MIN);
    expect(esp.requests).toHaveLength(0);
    await fire(7 * 60 * MIN + 59 * MIN);
    expect(esp.requests).toHaveLength(0);
    await fire(MIN);
    expect(esp.requests).toHaveLength(1);
    expect(new Date(app.clock.now()).toISOString()).toBe('2026-06-02T06:00:00.000Z');
  });

  it('signs the block URLs when signatures are required', async () => {
    await app.close();
    await start({ requireSignature: true });
    await put('cart-1h', cartTrigger());
    await track('c-12', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    const urls = esp.requests[0]?.body.data.attributes.properties.blocks['cart-reminder'];
    const signer = new Signer(app.deps.config.signingKeys);
    expect(new URL(urls.image_url).searchParams.get('sig')).toBeTruthy();
    expect(await signer.verify(urls.image_url)).toBe(true);
    expect(await signer.verify(urls.click_urls[1])).toBe(true);
    expect(await signer.verify(urls.image_url.replace('u=c-12', 'u=c-13'))).toBe(false);
  });
});

describe('triggers: an event whose episode could not be stored', () => {
  it('answers 503, and the sender\u2019s retry starts the episode although its events are duplicates by then', async () => {
    const store = memoryStore();
    let failures = 1;
    const open = store.openEpisode.bind(store);
    // A write fault at exactly this step, which no real store can be made to have on cue.
    store.openEpisode = async (episode) => {
      if (failures-- > 0) throw new Error('disk full');
      return open(episode);
    };
    await start({ store });
    await put('cart-1h', cartTrigger());
    const event = { userId: 'c-60', event: 'Product Added', messageId: 'm-60', properties: { product_id: 'sku-1' } };
    expect((await app.send('track', event)).status).toBe(503);
    const retry = await app.send('track', event);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { duplicates: number }).duplicates).toBe(1);
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(1);
    // Delivered once more after the send: the cap keeps it from a second email.
    expect((await app.send('track', event)).status).toBe(200);
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(1);
  });
});

describe('triggers: retries, Retry-After and dead letters', () => {
  beforeEach(() => start());

  it('waits out a 429 Retry-After and sends again with the same unique_id', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-20', 'Product Added', { product_id: 'sku-1' });
    esp.answer({ status: 429, headers: { 'retry-after': '300' }, body: '{"errors":[{"status":429,"code":"throttled"}]}' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(1);
    await fire(4 * MIN);
    expect(esp.requests).toHaveLength(1);
    await fire(MIN);
    expect(esp.requests).toHaveLength(2);
    expect(esp.requests[1]?.body.data.attributes.unique_id).toBe(esp.requests[0]?.body.data.attributes.unique_id);
    expect(await report('cart-1h')).toMatchObject({ fired: 1, retried: 1, sent: 1 });
  });

  it('backs off on 5xx, then keeps the send as a dead letter that can be replayed', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-21', 'Product Added', { product_id: 'sku-1' });
    esp.answer({ status: 503 }, { status: 502 }, { status: 500, body: '{"errors":[{"detail":"down"}]}' });
    await fire(61 * MIN);
    await fire(1.2 * MIN); // first retry after 60 s (and up to 10 % jitter)
    await fire(2.4 * MIN); // then after 120 s
    expect(esp.requests).toHaveLength(3);
    const { dead_letters } = (await (await app.admin('GET', '/v1/triggers/dead-letters')).json()) as { dead_letters: Array<{ id: string; status: number; error: string }> };
    expect(dead_letters).toHaveLength(1);
    expect(dead_letters[0]).toMatchObject({ status: 500 });
    expect(dead_letters[0]?.error).toContain('down');
    expect(await report('cart-1h')).toMatchObject({ failed: 1, sent: 0 });

    expect((await app.admin('POST', `/v1/triggers/dead-letters/${dead_letters[0]?.id}/replay`)).status).toBe(200);
    await fire();
    expect(esp.requests).toHaveLength(4);
    expect(esp.requests[3]?.body.data.attributes.unique_id).toBe(dead_letters[0]?.id);
    expect(await report('cart-1h')).toMatchObject({ sent: 1 });
    expect(((await (await app.admin('GET', '/v1/triggers/dead-letters')).json()) as { dead_letters: unknown[] }).dead_letters).toEqual([]);
    expect((await app.admin('POST', `/v1/triggers/dead-letters/${dead_letters[0]?.id}/replay`)).status).toBe(404);
  });

  it('sends a 4xx refusal to the dead letters at once: retrying cannot fix it', async () => {
    await put('cart-1h', cartTrigger());
    await track('c-22', 'Product Added', { product_id: 'sku-1' });
    esp.answer({ status: 400, body: '{"errors":[{"code":"invalid","detail":"metric name"}]}' });
    await fire(61 * MIN);
    await fire(60 * MIN);
    expect(esp.requests).toHaveLength(1);
    expect(await report('cart-1h')).toMatchObject({ failed: 1, retried: 0 });
  });
});

describe('triggers: the other destinations', () => {
  beforeEach(() => start());
  const added = async (id: string, destination: unknown) => {
    await put(id, cartTrigger({ destination, when: undefined }));
    await track('c-30', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(1);
    return esp.requests[0] as (typeof esp.requests)[number];
  };

  it('Braze campaigns: trigger_properties for the recipient by external_user_id', async () => {
    const request = await added('braze-cart', { type: 'braze', campaign_id: 'camp-1' });
    expect(request.path).toBe('/braze/campaigns/trigger/send');
    expect(request.headers.authorization).toBe('Bearer braze-rest-key');
    expect(request.body.campaign_id).toBe('camp-1');
    expect(request.body.recipients).toHaveLength(1);
    expect(request.body.recipients[0].external_user_id).toBe('c-30');
    expect(request.body.recipients[0].trigger_properties.blocks['cart-reminder'].image_url).toContain('/i/cart-reminder.png?u=c-30');
  });

  it('Braze Canvases: canvas_entry_properties', async () => {
    const request = await added('braze-canvas', { type: 'braze', canvas_id: 'canvas-9' });
    expect(request.path).toBe('/braze/canvas/trigger/send');
    expect(request.body.canvas_id).toBe('canvas-9');
    expect(request.body.recipients[0].canvas_entry_properties.facts.cart[0].product_id).toBe('sku-1');
  });

  it('Customer.io: a Track API event with Basic auth and a ULID id', async () => {
    const request = await added('cio-cart', { type: 'customerio', event: 'cart_abandoned' });
    expect(request.path).toBe('/cio/api/v1/customers/c-30/events');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('site-1:cio-key').toString('base64')}`);
    expect(request.body.name).toBe('cart_abandoned');
    expect(request.body.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(request.body.data.subscriber_id).toBe('c-30');
  });

  it('Iterable: triggerWorkflow with userId and dataFields', async () => {
    const request = await added('iterable-cart', { type: 'iterable', workflow_id: 123 });
    expect(request.path).toBe('/iterable/api/workflows/triggerWorkflow');
    expect(request.headers['api-key']).toBe('iterable-key');
    expect(request.body).toMatchObject({ workflowId: 123, userId: 'c-30' });
    expect(request.body.dataFields.facts.cart_count).toBe(1);
  });

  it('webhooks: signed per Standard Webhooks, verifiable with the secret', async () => {
    const request = await added('hook-cart', { type: 'webhook', url: `${esp.url}/hooks/opentime` });
    expect(request.path).toBe('/hooks/opentime');
    const id = request.headers['webhook-id'] as string;
    const timestamp = request.headers['webhook-timestamp'] as string;
    expect(Math.abs(Number(timestamp) - Math.floor(app.clock.now() / 1000))).toBeLessThanOrEqual(1);
    const expected = createHmac('sha256', Buffer.from('a webhook secret of 32 bytes!!!!')).update(`${id}.${timestamp}.${request.text}`).digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(request.body).toMatchObject({ type: 'trigger.fired', data: { episode: id, subscriber_id: 'c-30' } });
  });

  it('a destination whose key is not set fails into the dead letters, naming the setting', async () => {
    await app.close();
    await start({ extra: { OPENTIME_ITERABLE_API_KEY: undefined } });
    await put('iterable-cart', cartTrigger({ destination: { type: 'iterable', workflow_id: 1 } }));
    await track('c-31', 'Product Added', { product_id: 'sku-1' });
    await fire(61 * MIN);
    expect(esp.requests).toHaveLength(0);
    const { dead_letters } = (await (await app.admin('GET', '/v1/triggers/dead-letters')).json()) as { dead_letters: Array<{ error: string }> };
    expect(dead_letters[0]?.error).toBe('OPENTIME_ITERABLE_API_KEY is not set');
  });
});

describe('triggers: catalog moments', () => {
  beforeEach(() => start());

  it('a price drop on a viewed product starts an episode for its viewers, with the old and new price', async () => {
    await put('price-drop', { start: { catalog: 'price_drop', within_days: 14 }, wait: { minutes: 5 }, destination: { type: 'klaviyo', metric: 'Price Drop' } });
    await track('c-40', 'Product Viewed', { product_id: 'sku-1' });
    await track('c-41', 'Product Viewed', { product_id: 'sku-2' });
    app.clock.advance(24 * 60 * MIN);
    const cheaper = { id: 'sku-1', title: 'Trail runner', price: 80, sale_price: 60, url: 'https://shop.example.com/p/sku-1' };
    expect((await app.admin('PUT', '/v1/catalog/products', [cheaper])).status).toBe(200);
    await fire(6 * MIN);
    expect(esp.requests).toHaveLength(1);
    const attributes = esp.requests[0]?.body.data.attributes;
    expect(attributes.profile.data.attributes.external_id).toBe('c-40');
    expect(attributes.properties.facts).toMatchObject({ event: 'price_drop', product_id: 'sku-1', old_price: 80, new_price: 60, product: { title: 'Trail runner', price: 60 } });
  });

  it('back in stock reaches who carted it, and no one whose interest is older than the bound', async () => {
    await put('restock', {
      start: { catalog: 'back_in_stock', interest: ['carted'], within_days: 7 },
      wait: { seconds: 0 },
      destination: { type: 'klaviyo', metric: 'Back In Stock' },
    });
    await track('c-50', 'Product Added', { product_id: 'sku-2' });
    app.clock.advance(8 * 24 * 60 * MIN);
    await track('c-51', 'Product Added', { product_id: 'sku-2' });
    await track('c-52', 'Product Viewed', { product_id: 'sku-2' });
    expect(
      (await app.admin('PUT', '/v1/catalog/products', [{ id: 'sku-2', title: 'Rain jacket', price: 120, url: 'https://shop.example.com/p/sku-2', in_stock: true }])).status,
    ).toBe(200);
    await fire();
    expect(esp.requests.map((r) => r.body.data.attributes.profile.data.attributes.external_id)).toEqual(['c-51']);
  });
});
