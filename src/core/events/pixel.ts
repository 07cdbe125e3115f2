import { AppError } from '../shared/errors.ts';
import { JSON_MAX_DEPTH, parseJsonText } from '../http/body.ts';
import { describeProblems, type Problem } from '../shared/validation.ts';
import { EVENT_MAX_BYTES } from './limits.ts';

/**
 * Tracking pixels: an event from a URL's query, for places where no
 * script runs (a no-JS page, a checkout on another platform, AMP). Two
 * shapes, both Segment's pixel API: `data=` with the whole payload as
 * base64 (or URL-encoded) JSON, or flat parameters
 * `writeKey=…&event=…&userId=…&properties.product_id=…` (also
 * `properties=<JSON object>`, and `traits.…` for identify). Flat values
 * stay strings, as Segment keeps them. The result is a plain payload that
 * goes through the same validation as the API, for the pixel's type.
 */

/** The transparent 1×1 GIF every pixel answers with (42 bytes). */
export const TRANSPARENT_GIF: Uint8Array = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (ch) => ch.charCodeAt(0));

/** Every type's own top-level fields; a type's schema ignores the others' (a `name` on a track). */
const TOP_LEVEL = new Set(['writeKey', 'event', 'userId', 'anonymousId', 'messageId', 'timestamp', 'name', 'category', 'groupId', 'previousId']);
const NESTED = new Set(['properties', 'context', 'traits']);
/** `properties.a.b.c`: deeper names are refused rather than building deep objects from a URL. */
const MAX_DEPTH = 4;
/** Names that would reach an object's prototype instead of a property. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function invalid(path: string, message: string): AppError {
  const problems: Problem[] = [{ path, message }];
  return new AppError('VALIDATION_FAILED', `invalid pixel: ${describeProblems(problems)}`, { details: problems });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Segment's `data=`: base64 or base64url JSON; plain JSON is accepted too (Segment says base64 is optional). */
function decodeData(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    // A `+` written into a URL unescaped (Segment's own examples do) reaches us as a space: base64 has no spaces.
    const base64 = value
      .replace(/ /g, '+')
      .replace(/[\r\n\t]/g, '')
      .replace(/-/g, '+')
      .replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    parsed = parseJsonText(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))), 'data');
  } catch {
    try {
      parsed = parseJsonText(value, 'data');
    } catch {
      throw invalid('data', "expected base64-encoded JSON (Segment's pixel API)");
    }
  }
  if (!isObject(parsed)) throw invalid('data', `expected a JSON object, received ${Array.isArray(parsed) ? 'array' : typeof parsed}`);
  return parsed;
}

function setPath(target: Record<string, unknown>, names: string[], value: string, path: string): void {
  let node = target;
  for (const [i, name] of names.entries()) {
    if (name === '' || FORBIDDEN.has(name)) throw invalid(path, 'is not a property name opentime accepts');
    if (i === names.length - 1) {
      node[name] = value;
      return;
    }
    const next = node[name];
    if (!isObject(next)) node[name] = {};
    node = node[name] as Record<string, unknown>;
  }
}

export function pixelPayload(params: URLSearchParams): Record<string, unknown> {
  const query = params.toString();
  if (query.length > EVENT_MAX_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `the pixel's query is ${Math.ceil(query.length / 1024)} KB; the limit is ${EVENT_MAX_BYTES / 1024} KB per event`);
  }
  const data = params.get('data');
  if (data !== null) {
    const payload = decodeData(data);
    const key = params.get('writeKey');
    if (payload.writeKey === undefined && key !== null) payload.writeKey = key;
    return payload;
  }

  const payload: Record<string, unknown> = {};
  for (const name of NESTED) {
    const json = params.get(name);
    if (json === null) continue;
    let parsed: unknown;
    try {
      parsed = parseJsonText(json, name);
    } catch {
      throw invalid(name, `expected a JSON object nested at most ${JSON_MAX_DEPTH} deep (or use properties.<name>=<value>)`);
    }
    if (!isObject(parsed)) throw invalid(name, `expected a JSON object, received ${Array.isArray(parsed) ? 'array' : typeof parsed}`);
    payload[name] = parsed;
  }
  for (const [name, value] of params) {
    if (TOP_LEVEL.has(name)) {
      payload[name] = value;
      continue;
    }
    const [head = '', ...rest] = name.split('.');
    // Anything else (a cache buster like `_=123`, a campaign's own parameters) is not part of the event.
    if (!NESTED.has(head) || rest.length === 0) continue;
    if (rest.length > MAX_DEPTH) throw invalid(name, `is nested more than ${MAX_DEPTH} levels deep`);
    if (!isObject(payload[head])) payload[head] = {};
    setPath(payload[head] as Record<string, unknown>, rest, value, name);
  }
  return payload;
}
