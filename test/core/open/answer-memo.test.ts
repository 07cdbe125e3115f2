import { describe, expect, it } from 'vitest';
import { LocalSubjectChanges } from '../../../src/core/audience/subject-changes.ts';
import type { StoredBlock } from '../../../src/core/blocks/schema.ts';
import { ANSWER_MEMO_MS, AnswerMemo, type KeptAnswer } from '../../../src/core/open/answer-memo.ts';

const NOW = Date.parse('2026-06-01T12:00:10Z');
const block = { config: { id: 'grid' }, version: 1, updatedAt: 0 } as unknown as StoredBlock;
const answer = (subjects: string[], extra: Partial<KeptAnswer> = {}): KeptAnswer => ({
  stored: block,
  drawing: { key: 'render-key', draw: async () => ({ png: new Uint8Array() }) } as unknown as KeptAnswer['drawing'],
  personal: true,
  decision: undefined,
  subjects,
  report: {} as KeptAnswer['report'],
  asked: { format: 'png', requester: 'person', machine: false, messageId: undefined, allowanceOf: subjects[0] },
  ...extra,
});

function memo() {
  const feed = new LocalSubjectChanges();
  return { feed, memo: new AnswerMemo(feed) };
}

describe('the answer memo', () => {
  it('answers the same request again, for the same block object, within its lifetime', () => {
    const { memo: answers } = memo();
    answers.keep('GET /i/grid.png?u=ann', answer(['u:ann']), answers.mark(), NOW);
    expect(answers.get('GET /i/grid.png?u=ann', block, NOW + 1000)?.subjects).toEqual(['u:ann']);
    expect(answers.get('GET /i/grid.png?u=bob', block, NOW + 1000)).toBeUndefined();
    // A changed block is another object.
    expect(answers.get('GET /i/grid.png?u=ann', { ...block, version: 2 }, NOW + 1000)).toBeUndefined();
  });

  it('ends an answer when its subject changes, by either of its keys, and keeps the others', () => {
    const { feed, memo: answers } = memo();
    answers.keep('ann', answer(['u:ann', 'u:ann-given']), answers.mark(), NOW);
    answers.keep('bob', answer(['u:bob']), answers.mark(), NOW);
    feed.publish(['u:ann-given']);
    expect(answers.get('ann', block, NOW)).toBeUndefined();
    expect(answers.get('bob', block, NOW)).toBeDefined();
  });

  it('does not keep an answer whose subject changed while it was being decided', () => {
    const { feed, memo: answers } = memo();
    const since = answers.mark(); // the open begins and reads the profile…
    feed.publish(['u:ann']); // …an event arrives before it has answered
    answers.keep('ann', answer(['u:ann']), since, NOW);
    expect(answers.get('ann', block, NOW)).toBeUndefined();
    // An open that began after the change keeps what it decided.
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    expect(answers.get('ann', block, NOW)).toBeDefined();
  });

  it('remembers changes only as long as an answer they could end lives, and still ends the answers they should', () => {
    const { feed, memo: answers } = memo();
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    // A send's stream of new subscribers, one change each, over a minute.
    for (let second = 0; second < 60; second++) {
      answers.get('nobody', block, NOW + second * 1000);
      for (let i = 0; i < 100; i++) feed.publish([`u:new-${second}-${i}`]);
    }
    expect(answers.changes).toBeLessThanOrEqual(100 * ((2 * ANSWER_MEMO_MS) / 1000 + 1));
    // Answers kept since still end at their own subject's change, and only then.
    const later = NOW + 60_000;
    answers.keep('bob', answer(['u:bob']), answers.mark(), later);
    answers.keep('cat', answer(['u:cat']), answers.mark(), later);
    feed.publish(['u:bob']);
    expect(answers.get('bob', block, later + 1000)).toBeUndefined();
    expect(answers.get('cat', block, later + 1000)).toBeDefined();
  });

  it('ends everything on `all`, on clear, and keeps nothing while the feed is not live', () => {
    const { feed, memo: answers } = memo();
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    feed.tell('all');
    expect(answers.get('ann', block, NOW)).toBeUndefined();
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    answers.clear();
    expect(answers.get('ann', block, NOW)).toBeUndefined();
    feed.live = false;
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    feed.live = true;
    expect(answers.get('ann', block, NOW)).toBeUndefined();
  });

  it('lives at most ANSWER_MEMO_MS, never past the minute, never past the lock', () => {
    const { memo: answers } = memo();
    answers.keep('ann', answer(['u:ann']), answers.mark(), NOW);
    expect(answers.get('ann', block, NOW + ANSWER_MEMO_MS - 1)).toBeDefined();
    expect(answers.get('ann', block, NOW + ANSWER_MEMO_MS)).toBeUndefined();
    // At 12:00:55 the minute ends before ten seconds have passed.
    const late = Date.parse('2026-06-01T12:00:55Z');
    answers.keep('bob', answer(['u:bob']), answers.mark(), late);
    expect(answers.get('bob', block, Date.parse('2026-06-01T12:00:59.999Z'))).toBeDefined();
    expect(answers.get('bob', block, Date.parse('2026-06-01T12:01:00Z'))).toBeUndefined();
    answers.keep('carol', answer(['u:carol'], { lockedUntil: NOW + 2000 }), answers.mark(), NOW);
    expect(answers.get('carol', block, NOW + 1999)).toBeDefined();
    expect(answers.get('carol', block, NOW + 2000)).toBeUndefined();
  });

  it('lets go of ended answers as new ones are kept: a send holds its last seconds of answers, not its last 5,000', () => {
    const { memo: answers } = memo();
    for (let i = 0; i < 100; i++) answers.keep(`early-${i}`, answer([`u:early-${i}`]), answers.mark(), NOW);
    expect(answers.size).toBe(100);
    answers.keep('late', answer(['u:late']), answers.mark(), NOW + ANSWER_MEMO_MS);
    expect(answers.size).toBe(1);
    expect(answers.get('late', block, NOW + ANSWER_MEMO_MS + 1)).toBeDefined();
  });
});
