import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { nodeRuntime, specApp } from '../helpers/node-runtime.ts';
import { describeEvents } from '../specs/events.spec.ts';
import { profileOf } from '../specs/harness.ts';

/** The events and admin spec (test/specs/events.spec.ts) on Node; then what needs the test clock, which only Node's app takes. */
describeEvents(nodeRuntime());

describe('event time on the test clock', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });
  const profile = (id: string) => profileOf(specApp(app), id);

  it('applies a repeated messageId again after the 24-hour window', async () => {
    const event = { userId: 'late', event: 'Product Added', messageId: 'msg-late', properties: { product_id: 'sku-1' } };
    await app.send('track', event);
    app.clock.advance(25 * 3_600_000);
    expect(await (await app.send('track', event)).json()).toMatchObject({ applied: 1 });
  });

  it('corrects client clock skew the way Segment does', async () => {
    const received = app.clock.now();
    // The device clock is one hour ahead: sentAt and timestamp are both an hour late.
    const sentAt = new Date(received + 3_600_000).toISOString();
    const timestamp = new Date(received + 3_600_000 - 60_000).toISOString();
    await app.send('track', { userId: 'skew', event: 'Product Viewed', properties: { product_id: 'a' }, timestamp, sentAt });
    expect((await profile('skew')).viewed[0]?.at).toBe(received - 60_000);
  });

  it('batch-level sentAt and context apply to every item', async () => {
    const received = app.clock.now();
    const response = await app.send('batch', {
      sentAt: new Date(received + 7_200_000).toISOString(),
      batch: [{ type: 'track', userId: 'b1', event: 'Product Viewed', properties: { product_id: 'a' }, timestamp: new Date(received + 7_200_000 - 5_000).toISOString() }],
    });
    expect(response.status).toBe(200);
    expect((await profile('b1')).viewed[0]?.at).toBe(received - 5_000);
  });
});
