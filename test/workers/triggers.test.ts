import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, workerApp } from './helpers/app.ts';

/**
 * Triggers on Workers: episodes live in the triggers Durable Object, whose
 * alarm is set to the earliest due time and sends what is due when it runs.
 */
const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const writer = { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' };

describe('triggers on Workers', () => {
  it('sets the alarm at the episode\u2019s due time and, when it runs, records the send once', async () => {
    const app = workerApp();
    const trigger = {
      start: { event: 'Product Added' },
      wait: { seconds: 1 },
      cancel: { events: ['Order Completed'] },
      dry_run: true,
      destination: { type: 'klaviyo', metric: 'Cart Abandoned' },
    };
    expect((await app.request('/v1/triggers/cart', { method: 'PUT', headers: admin, body: JSON.stringify(trigger) })).status).toBe(200);
    const products = [{ id: 'sku-1', title: 'Runner', price: 80, url: 'https://shop.example.com/p/sku-1' }];
    expect((await app.request('/v1/catalog/products', { method: 'PUT', headers: admin, body: JSON.stringify(products) })).status).toBe(200);
    const added = { userId: 'anna', event: 'Product Added', properties: { product_id: 'sku-1', quantity: 2 } };
    expect((await app.request('/v1/track', { method: 'POST', headers: writer, body: JSON.stringify(added) })).status).toBe(200);

    const stub = env.TRIGGERS.get(env.TRIGGERS.idFromName(`${app.name}:triggers`));
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() - 5000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + 1000);

    // The runtime runs the alarm at its time by itself.
    // biome-ignore lint/suspicious/noExplicitAny: the ESP's documented JSON, read as a test reads it
    type Sends = { sends: Array<{ dryRun: boolean; request: { url: string; body: any } }> };
    let sends: Sends = { sends: [] };
    for (let tries = 0; tries < 100 && sends.sends.length === 0; tries++) {
      await new Promise((resume) => setTimeout(resume, 100));
      sends = (await (await app.request('/v1/triggers/cart/sends', { headers: admin })).json()) as Sends;
    }
    expect(sends.sends).toHaveLength(1);
    expect(sends.sends[0]?.dryRun).toBe(true);
    expect(sends.sends[0]?.request.url).toBe('https://a.klaviyo.com/api/events');
    const attributes = sends.sends[0]?.request.body.data.attributes;
    expect(attributes.profile.data.attributes.external_id).toBe('anna');
    expect(attributes.properties.facts.cart).toEqual([expect.objectContaining({ product_id: 'sku-1', quantity: 2, price: 80 })]);

    // Nothing left to send: the alarm is cleared, and running it again sends nothing more.
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    await runDurableObjectAlarm(stub);
    const report = (await (await app.request('/v1/triggers/cart/report', { headers: admin })).json()) as Record<string, unknown>;
    expect(report).toMatchObject({ started: 1, fired: 1, dry_run: 1, sent: 0, failed: 0 });
  });

  it('cancels a waiting episode when the cancelling event comes first', async () => {
    const app = workerApp();
    const trigger = {
      start: { event: 'Product Added' },
      wait: { minutes: 30 },
      cancel: { events: ['Order Completed'] },
      destination: { type: 'klaviyo', metric: 'Cart Abandoned' },
    };
    await app.request('/v1/triggers/cart', { method: 'PUT', headers: admin, body: JSON.stringify(trigger) });
    await app.request('/v1/track', { method: 'POST', headers: writer, body: JSON.stringify({ userId: 'ben', event: 'Product Added', properties: { product_id: 'sku-1' } }) });
    await app.request('/v1/track', {
      method: 'POST',
      headers: writer,
      body: JSON.stringify({ userId: 'ben', event: 'Order Completed', properties: { order_id: 'o-1', products: [] } }),
    });
    const stub = env.TRIGGERS.get(env.TRIGGERS.idFromName(`${app.name}:triggers`));
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    const report = (await (await app.request('/v1/triggers/cart/report', { headers: admin })).json()) as Record<string, unknown>;
    expect(report).toMatchObject({ started: 1, cancelled: 1, cancelled_by: { 'event:Order Completed': 1 } });
  });
});
