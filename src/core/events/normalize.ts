import { AppError } from '../shared/errors.ts';
import { specEvent } from '../profiles/ecommerce.ts';
import { describeProblems, problemsFrom, type Problem } from '../shared/validation.ts';
import { EVENT_MAX_BYTES, FUTURE_TOLERANCE_MS, MESSAGE_ID_MAX_CHARS } from './limits.ts';
import { EVENT_TYPES, batchEnvelopeSchema, schemaByType, type EventType, type SegmentPayload } from './segment.ts';

/** An event after validation: ids as strings, one corrected timestamp, a messageId. */
export interface TrackedEvent {
  type: EventType;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  /** track: the event name, e.g. `Product Viewed`; page/screen: the page name. */
  event?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  /** alias: the id being merged into `userId`. */
  previousId?: string;
  /** Epoch milliseconds, corrected for client clock skew the way Segment does. */
  timestamp: number;
  receivedAt: number;
  context: Record<string, unknown>;
}

interface Envelope {
  sentAt?: string;
  context?: Record<string, unknown>;
}

const encoder = new TextEncoder();

/**
 * Segment's rule: timestamp = receivedAt − (sentAt − originalTimestamp) when
 * the client sent both; otherwise the client's timestamp is taken as given
 * (historical import), and with no timestamp at all the event happened now.
 */
export function correctedTimestamp(receivedAt: number, original: string | undefined, sentAt: string | undefined): number {
  let at = receivedAt;
  if (original !== undefined) {
    const originalMs = Date.parse(original);
    at = sentAt !== undefined ? receivedAt - (Date.parse(sentAt) - originalMs) : originalMs;
  }
  return at > receivedAt + FUTURE_TOLERANCE_MS ? receivedAt : at;
}

function problem(path: string, message: string): AppError {
  const problems: Problem[] = [{ path, message }];
  return new AppError('VALIDATION_FAILED', `invalid event: ${describeProblems(problems)}`, { details: problems });
}

/**
 * Validates one Segment payload. `type` is the endpoint's type for
 * /v1/track etc., or undefined for a batch item (which must carry its own).
 * `path` prefixes every error location (`batch[3]` for batch items).
 */
export function normalizeEvent(raw: unknown, endpointType: EventType | undefined, receivedAt: number, envelope: Envelope = {}, path = ''): TrackedEvent {
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw problem(path === '' ? '(root)' : path, `expected an event object, received ${Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw}`);
  }
  const bytes = encoder.encode(JSON.stringify(raw)).length;
  if (bytes > EVENT_MAX_BYTES) {
    const tooLarge = `is ${Math.ceil(bytes / 1024)} KB; the limit is ${EVENT_MAX_BYTES / 1024} KB per event`;
    throw new AppError(path === '' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED', `${path === '' ? 'event' : path} ${tooLarge}`, {
      details: [{ path: path === '' ? '(root)' : path, message: tooLarge }],
    });
  }
  const declared = (raw as { type?: unknown }).type;
  let type: EventType;
  if (endpointType !== undefined) {
    if (declared !== undefined && declared !== endpointType) {
      throw problem(at('type'), `expected "${endpointType}" on this endpoint, received ${JSON.stringify(declared)}`);
    }
    type = endpointType;
  } else {
    if (typeof declared !== 'string' || !(EVENT_TYPES as readonly string[]).includes(declared)) {
      throw problem(at('type'), `expected one of ${EVENT_TYPES.join(', ')}`);
    }
    type = declared as EventType;
  }

  const parsed = schemaByType[type].safeParse(raw);
  if (!parsed.success) {
    const problems = problemsFrom(parsed.error, path);
    throw new AppError('VALIDATION_FAILED', `invalid event: ${describeProblems(problems)}`, { details: problems });
  }
  const payload = { ...parsed.data, type } as SegmentPayload;

  if (payload.userId === undefined && payload.anonymousId === undefined) {
    throw problem(at('userId'), 'userId or anonymousId is required');
  }
  if (payload.type === 'alias' && payload.userId === undefined) {
    throw problem(at('userId'), 'alias needs the userId that previousId becomes');
  }

  const original = payload.originalTimestamp ?? payload.timestamp;
  const sentAt = payload.sentAt ?? envelope.sentAt;
  const event: TrackedEvent = {
    type,
    messageId: payload.messageId ?? `ot-${crypto.randomUUID()}`,
    properties: payload.type === 'track' || payload.type === 'page' || payload.type === 'screen' ? payload.properties : {},
    // A group's traits describe the group, not the person.
    traits: payload.type === 'identify' ? payload.traits : {},
    timestamp: correctedTimestamp(receivedAt, original, sentAt),
    receivedAt,
    context: { ...envelope.context, ...payload.context },
  };
  if (payload.userId !== undefined) event.userId = payload.userId;
  if (payload.anonymousId !== undefined) event.anonymousId = payload.anonymousId;
  if (payload.type === 'track') Object.assign(event, specEvent(payload.event, payload.properties));
  if ((payload.type === 'page' || payload.type === 'screen') && payload.name) event.event = payload.name;
  if (payload.type === 'alias') event.previousId = payload.previousId;
  return event;
}

/** A batch item that was not stored, and why: Segment's answer lists these too. */
export interface RejectedEvent {
  /** Its position in `batch`. */
  index: number;
  /** The JSON path of the (first) problem, e.g. `batch[3].properties`. */
  path: string;
  reason: string;
  /** The item's own messageId, when it sent one, so the sender can find it. */
  messageId?: string;
}

export interface NormalizedBatch {
  events: TrackedEvent[];
  /** Each event's position in `batch` (rejected items leave gaps); absent for a single event. */
  indexes?: number[];
  rejected: RejectedEvent[];
  writeKey?: string;
}

function rejection(item: unknown, index: number, error: AppError): RejectedEvent {
  const first = Array.isArray(error.details) ? (error.details[0] as Problem | undefined) : undefined;
  const rejected: RejectedEvent = { index, path: first?.path ?? `batch[${index}]`, reason: first?.message ?? error.message };
  const messageId = typeof item === 'object' && item !== null ? (item as { messageId?: unknown }).messageId : undefined;
  if (typeof messageId === 'string' && messageId.length <= MESSAGE_ID_MAX_CHARS) rejected.messageId = messageId;
  return rejected;
}

/**
 * Validates a /v1/batch body. A body that is not a batch fails whole (400);
 * a bad item is set aside with its index, path and reason, and the others
 * go on. Segment's libraries never retry a 400, so refusing the whole
 * batch for one bad item would lose every good event in it.
 */
export function normalizeBatch(raw: unknown, receivedAt: number): NormalizedBatch {
  const parsed = batchEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = problemsFrom(parsed.error);
    throw new AppError('VALIDATION_FAILED', `invalid batch: ${describeProblems(problems)}`, { details: problems });
  }
  const envelope: Envelope = { context: parsed.data.context };
  if (parsed.data.sentAt !== undefined) envelope.sentAt = parsed.data.sentAt;
  const result: NormalizedBatch & { indexes: number[] } = { events: [], indexes: [], rejected: [] };
  parsed.data.batch.forEach((item, index) => {
    try {
      result.events.push(normalizeEvent(item, undefined, receivedAt, envelope, `batch[${index}]`));
      result.indexes.push(index);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      result.rejected.push(rejection(item, index, error));
    }
  });
  if (parsed.data.writeKey !== undefined) result.writeKey = parsed.data.writeKey;
  return result;
}
