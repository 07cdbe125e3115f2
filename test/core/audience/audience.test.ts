import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import { Audience } from '../../../src/core/audience/audience.ts';
import { RateLimiter } from '../../../src/core/audience/rate-limit.ts';
import { createSubjectKeyer } from '../../../src/core/audience/subjects.ts';
import { blockSchema } from '../../../src/core/blocks/schema.ts';
import { testBlock } from '../../helpers/app.ts';

const keyer = createSubjectKeyer('audience-test-secret');
const open = blockSchema.parse(testBlock({ id: 'open' }));
const signedOnly = blockSchema.parse(testBlock({ id: 'signed-only', require_signature: true }));

function audience(options: { requireSignature?: boolean; opensPerMinute?: number } = {}) {
  const store = memoryStore();
  const counted: string[] = [];
  const limiter = options.opensPerMinute ? new RateLimiter({ limit: options.opensPerMinute, windowSeconds: 60 }, { now: () => 0 }) : undefined;
  const who = new Audience({
    store,
    keyer,
    requireSignature: options.requireSignature ?? false,
    storeTimeoutMs: 1000,
    subscriberLimit: limiter,
    count: (name) => counted.push(name),
  });
  return { who, store, counted };
}

describe('who is asking', () => {
  it('personalises for a subscriber named in the URL, and for nobody without one', () => {
    const { who } = audience();
    expect(who.mayPersonalise(open, { subject: 'alice' })).toBe(true);
    expect(who.mayPersonalise(open, {})).toBe(false);
  });

  it('shows a block that requires a signature as generic to an unsigned request, and counts it', () => {
    const { who, counted } = audience();
    expect(who.mayPersonalise(signedOnly, { subject: 'alice', signed: true })).toBe(true);
    expect(who.mayPersonalise(signedOnly, { subject: 'alice' })).toBe(false);
    expect(counted).toEqual(['requests.unsigned']);
  });

  it('takes the instance’s signature setting for a block without its own', () => {
    const { who } = audience({ requireSignature: true });
    expect(who.requiresSignature(open)).toBe(true);
    expect(who.mayPersonalise(open, { subject: 'alice' })).toBe(false);
  });

  it('names a suppressed subscriber as nobody, so nothing about the open is kept', async () => {
    const { who, store } = audience();
    const key = await who.subjectKey('alice');
    expect(await who.trackedSubject('alice')).toBe(key);
    await store.setSuppression([key], 'admin', 0);
    expect(await who.trackedSubject('alice')).toBeUndefined();
  });

  it('answers a subscriber past their allowance as anonymous, and counts it', () => {
    const { who, counted } = audience({ opensPerMinute: 2 });
    expect([who.withinLimit('alice'), who.withinLimit('alice'), who.withinLimit('alice')]).toEqual([true, true, false]);
    expect(who.withinLimit('bob')).toBe(true);
    expect(who.withinLimit(undefined)).toBe(true);
    expect(counted).toEqual(['opens.rate_limited']);
  });
});
