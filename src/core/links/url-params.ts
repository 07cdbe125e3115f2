/**
 * The query parameters of opentime's own URLs (`/i/…`, `/c/…`, `/p/…`):
 * `u=` the subscriber, `m=` the message, `sig`/`t`/`jwt`/`k` the signature.
 * Every other parameter comes from the ESP's merge tags and feeds hero rules.
 * Values are bounded: an over-long id is not an id.
 */

/** `m=`: an ESP's campaign or message id; longer is not one. */
export const MESSAGE_PARAM_MAX_CHARS = 128;

const OWN_PARAMS = new Set(['u', 'm', 'slot', 'sig', 't', 'jwt', 'k']);
const MAX_RULE_PARAMS = 20;
const RULE_PARAM_MAX_CHARS = 200;

/** A value, or undefined when it is empty or longer than `maxChars`. */
export function bounded(value: string | undefined, maxChars: number): string | undefined {
  return value === undefined || value === '' || value.length > maxChars ? undefined : value;
}

/** A parsed query's value, bounded. */
export function boundedParam(params: URLSearchParams, name: string, maxChars: number): string | undefined {
  return bounded(params.get(name) ?? undefined, maxChars);
}

/** The URL's other parameters, bounded in number and length; longer values are left out, not cut. */
export function paramsForRules(query: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of query) {
    if (OWN_PARAMS.has(name) || name.length > 64 || value.length > RULE_PARAM_MAX_CHARS || name in params) continue;
    if (++count > MAX_RULE_PARAMS) break;
    params[name] = value;
  }
  return params;
}
