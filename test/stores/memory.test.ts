import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import { NOW, added, describeStore } from './contract.ts';

describeStore('memory', (options) => memoryStore(options));

describe('memory store', () => {
  it('shares nothing between instances: each test and each process starts empty', async () => {
    const first = memoryStore();
    await first.applyEvents([{ subjectKey: 'u:one', events: [added('x', NOW)] }], NOW);
    const second = memoryStore();
    expect(await first.getProfile('u:one')).toBeDefined();
    expect(await second.getProfile('u:one')).toBeUndefined();
  });
});
