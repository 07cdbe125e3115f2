import { describe, expect, it } from 'vitest';
import { Turns } from '../../../src/core/shared/turns.ts';

describe('Turns', () => {
  it('gives at most its limit at once, and the next turn to the first who waited', async () => {
    const turns = new Turns(2);
    const first = await turns.take();
    const second = await turns.take();
    const order: string[] = [];
    const third = turns.take().then((done) => (order.push('third'), done));
    const fourth = turns.take().then((done) => (order.push('fourth'), done));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    expect(turns.holding).toBe(2);
    expect(turns.queued).toBe(2);
    first();
    const thirdDone = await third;
    expect(order).toEqual(['third']);
    // A turn given up twice is given up once: the fourth still waits.
    first();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['third']);
    second();
    const fourthDone = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    thirdDone();
    fourthDone();
    expect(turns.holding).toBe(0);
    expect(turns.queued).toBe(0);
  });
});
