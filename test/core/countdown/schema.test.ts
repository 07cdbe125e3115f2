import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockSchema } from '../../../src/core/blocks/schema.ts';
import { problemsFrom, type Problem } from '../../../src/core/shared/validation.ts';

const minimal = {
  id: 'sale-timer',
  kind: 'countdown',
  size: { width: 600, height: 150 },
  deadline: { at: '2026-12-24T23:59', zone: 'America/New_York' },
  url: 'https://shop.example.com/sale',
  fallback: { url: 'https://shop.example.com/' },
};

function problems(input: object): Problem[] {
  const result = blockSchema.safeParse(input);
  if (result.success) throw new Error('expected the block to be invalid');
  return problemsFrom(result.error);
}

describe('countdown block schema', () => {
  it('fills in the template, frames, format, params and expired state', () => {
    const block = blockSchema.parse(minimal);
    if (block.kind !== 'countdown') throw new Error(`parsed as ${block.kind}`);
    expect(block.template).toBe('countdown');
    expect(block.frames).toBe(60);
    expect(block.format).toBe('dd:hh:mm:ss');
    expect(block.params).toMatchObject({ headline: 'The sale ends in', digits: '#ffffff', box: '#111111', labels: true, locale: 'en-US' });
    expect(block.expired).toEqual({ text: 'This offer has ended' });
  });

  it('accepts each kind of deadline', () => {
    for (const deadline of [
      '2026-12-24T23:59:00Z',
      '2026-12-24T23:59:00-05:00',
      { at: '2026-12-24T23:59:30', zone: 'Europe/Berlin' },
      { query: 'deadline' },
      { query: 'ends_at', fallback: '2026-12-31T00:00:00Z' },
      { after: 'Checkout Started', hours: 48 },
      { after: 'Trial Started', days: 14, fallback: { at: '2026-12-31T00:00', zone: 'UTC' } },
    ]) {
      expect(blockSchema.safeParse({ ...minimal, deadline }).success, JSON.stringify(deadline)).toBe(true);
    }
  });

  it('names the deadline field that is wrong', () => {
    expect(problems({ ...minimal, deadline: { at: '2026-12-24T23:59', zone: 'Mars/Olympus_Mons' } })).toEqual([
      { path: 'deadline.zone', message: 'expected an IANA time zone such as America/New_York or Europe/Berlin' },
    ]);
    expect(problems({ ...minimal, deadline: { at: '24.12.2026 23:59', zone: 'Europe/Berlin' } })).toEqual([
      { path: 'deadline.at', message: 'expected a local time such as 2026-12-24T23:59 (no offset; the zone says where)' },
    ]);
    expect(problems({ ...minimal, deadline: { after: 'Checkout Started' } })).toEqual([
      { path: 'deadline.hours', message: 'needs an offset: days, hours or minutes after the event' },
    ]);
    expect(problems({ ...minimal, deadline: { query: 'u' } })).toEqual([{ path: 'deadline.query', message: 'u and m are the subscriber and message ids' }]);
  });

  it('explains the shapes a deadline can take when it is none of them', () => {
    for (const deadline of [42, { when: 'soon' }, ['2026-12-24T23:59:00Z']]) {
      const found = problems({ ...minimal, deadline });
      expect(found).toHaveLength(1);
      expect(found[0]?.path).toBe('deadline');
      expect(found[0]?.message).toMatch(/ISO time with an offset.*"zone".*"query".*"after"/);
    }
  });

  it('asks for an offset on a time given as text, or for a zone', () => {
    for (const deadline of ['2026-12-24T23:59', 'next friday', '2026-12-24']) {
      expect(problems({ ...minimal, deadline })).toEqual([
        { path: 'deadline', message: 'expected an ISO time with Z or an offset, such as 2026-12-24T23:59:00-05:00 (or {"at", "zone"} for a local time)' },
      ]);
    }
    expect(problems({ ...minimal, deadline: '2026-13-45T23:59:00Z' })).toEqual([{ path: 'deadline', message: 'is not a date that exists' }]);
  });

  it('keeps frames between 1 and 120 and the format to the ones there are', () => {
    expect(problems({ ...minimal, frames: 0, format: 'mm:ss' })).toEqual([
      { path: 'frames', message: 'must be at least 1' },
      { path: 'format', message: 'expected one of dd:hh:mm:ss, dd:hh:mm, hh:mm:ss, hh:mm' },
    ]);
    expect(problems({ ...minimal, frames: 121 })).toEqual([{ path: 'frames', message: 'must be at most 120' }]);
  });

  it('checks the click URL, the colours and the expired state', () => {
    expect(problems({ ...minimal, url: 'javascript:alert(1)', params: { box: 'red' }, expired: { text: '' } })).toEqual([
      { path: 'url', message: 'expected an http(s) URL' },
      { path: 'params.box', message: 'expected a hex colour such as #d33 or #dd3333' },
      { path: 'expired.text', message: 'must not be empty' },
    ]);
    expect(problems({ ...minimal, expired: { video: 'x.mp4' } })).toEqual([{ path: 'expired', message: 'expected {"text": "…"} or {"image": "<file under templates/ or URL>"}' }]);
  });

  it('requires a deadline and a click URL, and names unknown fields', () => {
    const { deadline: _d, url: _u, ...rest } = minimal;
    expect(problems({ ...rest, slots: 3 })).toEqual(
      expect.arrayContaining([
        { path: 'deadline', message: expect.stringMatching(/^expected an ISO time/) },
        { path: 'url', message: 'is required (expected string)' },
        { path: '(root)', message: 'unknown field "slots"' },
      ]),
    );
  });

  it('ships a valid starter whose id is its file name', async () => {
    const text = await readFile(new URL('../../../templates/countdown-sale.json', import.meta.url), 'utf8');
    const block = blockSchema.parse(JSON.parse(text));
    expect(block.id).toBe('countdown-sale');
    expect(block.kind).toBe('countdown');
  });
});
