import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/shared/errors.ts';
import { EVENT_MAX_BYTES, FUTURE_TOLERANCE_MS } from '../../../src/core/events/limits.ts';
import { correctedTimestamp, normalizeBatch, normalizeEvent } from '../../../src/core/events/normalize.ts';

const RECEIVED = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The AppError that `fn` throws. */
function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

/** An event whose JSON is exactly `bytes` long. */
function eventOfSize(bytes: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { type: 'track', userId: 'u-1', event: 'Padded', ...fields, properties: { pad: '' } };
  const padding = bytes - JSON.stringify(base).length;
  return { ...base, properties: { pad: 'x'.repeat(padding) } };
}

describe('correctedTimestamp', () => {
  it("corrects a client's clock skew the way Segment does: receivedAt − (sentAt − timestamp)", () => {
    // The device clock is two hours behind; the event happened 5 s before it was sent.
    const original = iso(RECEIVED - 2 * 3_600_000 - 5_000);
    const sentAt = iso(RECEIVED - 2 * 3_600_000);
    expect(correctedTimestamp(RECEIVED, original, sentAt)).toBe(RECEIVED - 5_000);
  });

  it('corrects a clock that runs ahead', () => {
    const original = iso(RECEIVED + 3 * 3_600_000 - 60_000);
    const sentAt = iso(RECEIVED + 3 * 3_600_000);
    expect(correctedTimestamp(RECEIVED, original, sentAt)).toBe(RECEIVED - 60_000);
  });

  it('takes the timestamp as given when there is no sentAt (a historical import)', () => {
    const lastYear = Date.parse('2025-03-01T12:00:00Z');
    expect(correctedTimestamp(RECEIVED, iso(lastYear), undefined)).toBe(lastYear);
  });

  it('uses the time it was received when the event has no timestamp', () => {
    expect(correctedTimestamp(RECEIVED, undefined, iso(RECEIVED - 1000))).toBe(RECEIVED);
    expect(correctedTimestamp(RECEIVED, undefined, undefined)).toBe(RECEIVED);
  });

  it('treats a time too far in the future as now, so one bad clock cannot pin a product on top', () => {
    expect(correctedTimestamp(RECEIVED, iso(RECEIVED + FUTURE_TOLERANCE_MS + 1), undefined)).toBe(RECEIVED);
    expect(correctedTimestamp(RECEIVED, iso(RECEIVED + FUTURE_TOLERANCE_MS), undefined)).toBe(RECEIVED + FUTURE_TOLERANCE_MS);
  });
});

describe('normalizeEvent', () => {
  it('turns a track call into an event with a name, properties and a corrected time', () => {
    const event = normalizeEvent(
      {
        userId: 'user-1',
        event: 'Product Viewed',
        properties: { product_id: 'sku-1' },
        timestamp: iso(RECEIVED - 10_000),
        sentAt: iso(RECEIVED - 4_000),
        messageId: 'msg-1',
        context: { ip: '1.2.3.4' },
      },
      'track',
      RECEIVED,
    );
    expect(event).toMatchObject({
      type: 'track',
      messageId: 'msg-1',
      userId: 'user-1',
      event: 'Product Viewed',
      properties: { product_id: 'sku-1' },
      traits: {},
      timestamp: RECEIVED - 6_000,
      receivedAt: RECEIVED,
      context: { ip: '1.2.3.4' },
    });
    expect(event).not.toHaveProperty('anonymousId');
  });

  it('prefers originalTimestamp over timestamp', () => {
    const event = normalizeEvent({ anonymousId: 'a-1', event: 'X', originalTimestamp: iso(RECEIVED - 60_000), timestamp: iso(RECEIVED - 1_000) }, 'track', RECEIVED);
    expect(event.timestamp).toBe(RECEIVED - 60_000);
  });

  it('accepts numbers as ids and turns them into strings', () => {
    const event = normalizeEvent({ userId: 42, anonymousId: 7.5, event: 'X' }, 'track', RECEIVED);
    expect(event.userId).toBe('42');
    expect(event.anonymousId).toBe('7.5');
    const alias = normalizeEvent({ userId: 'u', previousId: 99 }, 'alias', RECEIVED);
    expect(alias.previousId).toBe('99');
  });

  it('trims ids', () => {
    expect(normalizeEvent({ userId: '  user-1 ', event: 'X' }, 'track', RECEIVED).userId).toBe('user-1');
  });

  it('assigns a unique messageId when the sender gave none', () => {
    const a = normalizeEvent({ userId: 'u', event: 'X' }, 'track', RECEIVED);
    const b = normalizeEvent({ userId: 'u', event: 'X', messageId: null }, 'track', RECEIVED);
    expect(a.messageId).toMatch(/^ot-[0-9a-f-]{36}$/);
    expect(b.messageId).toMatch(/^ot-/);
    expect(a.messageId).not.toBe(b.messageId);
  });

  it('treats missing properties, traits and context as empty', () => {
    const event = normalizeEvent({ userId: 'u', event: 'X', properties: null }, 'track', RECEIVED);
    expect([event.properties, event.traits, event.context]).toEqual([{}, {}, {}]);
  });

  it('keeps traits from identify but not from group, whose traits describe the group', () => {
    expect(normalizeEvent({ userId: 'u', traits: { plan: 'pro' } }, 'identify', RECEIVED).traits).toEqual({ plan: 'pro' });
    expect(normalizeEvent({ userId: 'u', groupId: 'g', traits: { employees: 5 } }, 'group', RECEIVED).traits).toEqual({});
  });

  it('names page and screen events after the page', () => {
    expect(normalizeEvent({ userId: 'u', name: 'Pricing', properties: { path: '/pricing' } }, 'page', RECEIVED)).toMatchObject({
      type: 'page',
      event: 'Pricing',
      properties: { path: '/pricing' },
    });
    expect(normalizeEvent({ userId: 'u', name: 'Home' }, 'screen', RECEIVED).event).toBe('Home');
    expect(normalizeEvent({ userId: 'u' }, 'page', RECEIVED)).not.toHaveProperty('event');
  });

  it('accepts the type field when it matches the endpoint', () => {
    expect(normalizeEvent({ type: 'identify', userId: 'u' }, 'identify', RECEIVED).type).toBe('identify');
  });

  it('ignores unknown top-level fields that Segment libraries add', () => {
    const event = normalizeEvent({ userId: 'u', event: 'X', channel: 'server', version: 2, _metadata: { x: 1 } }, 'track', RECEIVED);
    expect(event.event).toBe('X');
  });

  describe('rejects', () => {
    it('an event with neither userId nor anonymousId, naming userId', () => {
      const error = errorOf(() => normalizeEvent({ event: 'Product Viewed' }, 'track', RECEIVED));
      expect(error.status).toBe(400);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);
      expect(error.message).toBe('invalid event: userId: userId or anonymousId is required');
    });

    it('ids that are empty or only spaces, as missing', () => {
      const error = errorOf(() => normalizeEvent({ userId: '  ', anonymousId: '', event: 'X' }, 'track', RECEIVED));
      expect(error.details).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);
    });

    it('an alias without the userId that previousId becomes', () => {
      const error = errorOf(() => normalizeEvent({ anonymousId: 'a', previousId: 'old' }, 'alias', RECEIVED));
      expect(error.details).toEqual([{ path: 'userId', message: 'alias needs the userId that previousId becomes' }]);
    });

    it('properties of the wrong type, naming the field', () => {
      const error = errorOf(() => normalizeEvent({ userId: 'u', event: 'X', properties: 'sku-1' }, 'track', RECEIVED));
      expect(error.status).toBe(400);
      expect(error.details).toEqual([{ path: 'properties', message: 'expected object, received string' }]);
    });

    it('a track call without an event name', () => {
      const error = errorOf(() => normalizeEvent({ userId: 'u' }, 'track', RECEIVED));
      expect(error.details).toEqual([{ path: 'event', message: 'is required (expected string)' }]);
    });

    it('an id of the wrong type, saying what was expected', () => {
      const error = errorOf(() => normalizeEvent({ userId: { id: 1 }, event: 'X' }, 'track', RECEIVED));
      expect(error.details).toEqual([{ path: 'userId', message: 'expected string or number, received object' }]);
    });

    it('a timestamp that is not a date', () => {
      const error = errorOf(() => normalizeEvent({ userId: 'u', event: 'X', timestamp: 'yesterday' }, 'track', RECEIVED));
      expect(error.details).toEqual([{ path: 'timestamp', message: 'expected an ISO-8601 date-time' }]);
    });

    it('a type that does not match the endpoint', () => {
      const error = errorOf(() => normalizeEvent({ type: 'identify', userId: 'u', event: 'X' }, 'track', RECEIVED));
      expect(error.status).toBe(400);
      expect(error.details).toEqual([{ path: 'type', message: 'expected "track" on this endpoint, received "identify"' }]);
    });

    it('a body that is not an object', () => {
      for (const [raw, received] of [
        [[], 'array'],
        [null, 'null'],
        ['text', 'string'],
      ] as const) {
        const error = errorOf(() => normalizeEvent(raw, 'track', RECEIVED));
        expect(error.details).toEqual([{ path: '(root)', message: `expected an event object, received ${received}` }]);
      }
    });

    it('an event over 32 KB with 413', () => {
      const error = errorOf(() => normalizeEvent(eventOfSize(EVENT_MAX_BYTES + 1), 'track', RECEIVED));
      expect(error.status).toBe(413);
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(error.message).toBe('event is 33 KB; the limit is 32 KB per event');
    });

    it('counts the size in UTF-8 bytes, not characters', () => {
      const base = eventOfSize(EVENT_MAX_BYTES - 10);
      const emoji = { ...base, properties: { pad: `${String((base.properties as { pad: string }).pad)}😀😀😀` } };
      expect(JSON.stringify(emoji).length).toBeLessThanOrEqual(EVENT_MAX_BYTES);
      expect(errorOf(() => normalizeEvent(emoji, 'track', RECEIVED)).status).toBe(413);
    });
  });

  it('accepts an event of exactly 32 KB', () => {
    const raw = eventOfSize(EVENT_MAX_BYTES);
    expect(JSON.stringify(raw)).toHaveLength(EVENT_MAX_BYTES);
    expect(normalizeEvent(raw, 'track', RECEIVED).event).toBe('Padded');
  });
});

describe('normalizeBatch', () => {
  it('normalises every item, each with its own type', () => {
    const { events } = normalizeBatch(
      {
        batch: [
          { type: 'identify', userId: 'u', traits: { plan: 'pro' } },
          { type: 'track', userId: 'u', event: 'Product Added', properties: { product_id: 'p' } },
        ],
      },
      RECEIVED,
    );
    expect(events.map((e) => [e.type, e.event])).toEqual([
      ['identify', undefined],
      ['track', 'Product Added'],
    ]);
  });

  it("applies the batch's sentAt to items without one, for clock-skew correction", () => {
    const sentAt = iso(RECEIVED - 3_600_000);
    const { events } = normalizeBatch(
      {
        sentAt,
        batch: [
          { type: 'track', userId: 'u', event: 'A', timestamp: iso(RECEIVED - 3_600_000 - 2_000) },
          { type: 'track', userId: 'u', event: 'B', timestamp: iso(RECEIVED - 7_000), sentAt: iso(RECEIVED - 5_000) },
        ],
      },
      RECEIVED,
    );
    expect(events.map((e) => RECEIVED - e.timestamp)).toEqual([2_000, 2_000]);
  });

  it("merges the batch's context into each item, the item's own keys winning", () => {
    const { events } = normalizeBatch(
      {
        context: { library: { name: 'analytics-node' }, ip: '1.1.1.1' },
        batch: [
          { type: 'track', userId: 'u', event: 'A', context: { ip: '2.2.2.2' } },
          { type: 'track', userId: 'u', event: 'B' },
        ],
      },
      RECEIVED,
    );
    expect(events.map((e) => e.context)).toEqual([
      { library: { name: 'analytics-node' }, ip: '2.2.2.2' },
      { library: { name: 'analytics-node' }, ip: '1.1.1.1' },
    ]);
  });

  it('returns the write key sent in the body', () => {
    expect(normalizeBatch({ writeKey: 'wk', batch: [{ type: 'track', userId: 'u', event: 'A' }] }, RECEIVED).writeKey).toBe('wk');
    expect(normalizeBatch({ batch: [{ type: 'track', userId: 'u', event: 'A' }] }, RECEIVED)).not.toHaveProperty('writeKey');
  });

  it('sets a bad item aside, named by its JSON path, and keeps the others', () => {
    const { events, rejected } = normalizeBatch(
      {
        batch: [
          { type: 'track', userId: 'u', event: 'A' },
          { type: 'track', userId: 'u', event: 'B', properties: [1] },
          { type: 'track', userId: 'u', event: 'C' },
        ],
      },
      RECEIVED,
    );
    expect(events.map((e) => e.event)).toEqual(['A', 'C']);
    expect(rejected).toEqual([{ index: 1, path: 'batch[1].properties', reason: 'expected object, received array' }]);
  });

  it('names an item with no ids as batch[i].userId', () => {
    const { rejected } = normalizeBatch(
      {
        batch: [
          { type: 'track', userId: 'u', event: 'A' },
          { type: 'track', event: 'B' },
        ],
      },
      RECEIVED,
    );
    expect(rejected).toEqual([{ index: 1, path: 'batch[1].userId', reason: 'userId or anonymousId is required' }]);
  });

  it('requires each item to say its type', () => {
    const { rejected } = normalizeBatch({ batch: [{ userId: 'u', event: 'A' }] }, RECEIVED);
    expect(rejected).toEqual([{ index: 0, path: 'batch[0].type', reason: 'expected one of track, identify, page, screen, group, alias' }]);
  });

  it('names an item that is not an object', () => {
    const { rejected } = normalizeBatch({ batch: [{ type: 'track', userId: 'u', event: 'A' }, 'oops'] }, RECEIVED);
    expect(rejected).toEqual([{ index: 1, path: 'batch[1]', reason: 'expected an event object, received string' }]);
  });

  it('sets aside an item over 32 KB, naming it, instead of refusing the whole batch', () => {
    const { events, rejected } = normalizeBatch({ batch: [{ type: 'track', userId: 'u', event: 'A' }, eventOfSize(40 * 1024)] }, RECEIVED);
    expect(events).toHaveLength(1);
    expect(rejected).toEqual([{ index: 1, path: 'batch[1]', reason: 'is 40 KB; the limit is 32 KB per event' }]);
  });

  it("keeps a rejected item's own messageId so the sender can find it", () => {
    const { rejected } = normalizeBatch({ batch: [{ type: 'track', messageId: 'm-7', event: 'A' }] }, RECEIVED);
    expect(rejected[0]?.messageId).toBe('m-7');
  });

  it('rejects a body without a batch array, or with an empty one', () => {
    expect(errorOf(() => normalizeBatch({ events: [] }, RECEIVED)).details).toEqual([{ path: 'batch', message: 'is required (expected array)' }]);
    expect(errorOf(() => normalizeBatch({ batch: [] }, RECEIVED)).details).toEqual([{ path: 'batch', message: 'must have at least 1 item' }]);
    expect(errorOf(() => normalizeBatch({ batch: {} }, RECEIVED)).message).toBe('invalid batch: batch: expected array, received object');
  });
});
