import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import { createTestApp, testClock } from '../helpers/app.ts';
import { nodeRuntime, specApp } from '../helpers/node-runtime.ts';
import { profileOf } from '../specs/harness.ts';
import { describeIdentity } from '../specs/identity.spec.ts';

/** The browser key's identity rules (test/specs/identity.spec.ts) on Node; then link retention, which needs the memory store's clock. */
describeIdentity(nodeRuntime());

describe('link retention', () => {
  const cartOf = async (id: string, target: Parameters<typeof specApp>[0]) => ((await profileOf(specApp(target), id))?.cart ?? []).map((line) => line.id);

  it('forgets a link with the store’s retention, and the next identify makes it again', async () => {
    const clock = testClock();
    const aging = await createTestApp({ clock, store: memoryStore({ retentionSeconds: 3600, now: clock.now }) });
    try {
      await aging.send('identify', { anonymousId: 'old-device', userId: 'returning' });
      clock.advance(3601_000);
      expect(await aging.deps.store.getLinks(['a:old-device'])).toEqual(new Map());
      await aging.send('track', { anonymousId: 'old-device', event: 'Product Added', properties: { product_id: 'after-expiry' } });
      expect(await cartOf('returning', aging)).toEqual([]);
      await aging.send('identify', { anonymousId: 'old-device', userId: 'returning' });
      expect(await cartOf('returning', aging)).toEqual(['after-expiry']);
    } finally {
      await aging.close();
    }
  });
});
