import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeOpenClick } from '../specs/open-click.spec.ts';
import { seed, workerApp, type WorkerApp } from './helpers/app.ts';
import { workersRuntime } from './helpers/runtime.ts';

/**
 * The open and click spec (test/specs/open-click.spec.ts) through the Worker
 * entry inside workerd: Durable Objects for state, resvg-wasm for pixels, the
 * Cache API for renders, photos over the Worker's fetch. Then what only
 * Workers has.
 */
describeOpenClick(workersRuntime());

describe('the render cache across isolates', () => {
  let app: WorkerApp;
  beforeEach(async () => {
    app = workerApp();
    await seed(app);
  });
  afterEach(async () => {
    await app.settle();
  });
  const added = (userId: string, productId: string) => app.send('track', { userId, event: 'Product Added', properties: { product_id: productId, quantity: 1 } });

  it('serves a render from the Cache API to an isolate that never drew it', async () => {
    await added('erin', 'p-purple');
    const first = await app.open('grid', { u: 'erin' });
    expect(first.response.headers.get('x-opentime-cache')).toBe('miss');
    await app.settle(); // the Cache API write runs after the response
    // A new app: empty memory, same objects and the same Cache API cache (as another isolate in the data centre).
    const other = workerApp({}, app);
    const second = await other.open('grid', { u: 'erin' });
    expect(second.response.headers.get('x-opentime-cache')).toBe('hit');
    expect(second.bytes).toEqual(first.bytes);
  });
});
