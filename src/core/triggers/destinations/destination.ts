import type { TriggerDestination } from '../schema.ts';
import type { TriggerPayload } from '../payload.ts';
import type { Episode } from '../episode.ts';

/**
 * What a destination is: a pure function from an episode's payload to the
 * one HTTP request its ESP documents (src/core/triggers/destinations/<esp>.ts,
 * one file per ESP), or the name of the setting it still needs. Sending,
 * retrying and dead letters are the same for every ESP (delivery.ts).
 */
export interface HttpRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Base URLs and keys, from the environment only (never from the trigger's JSON). */
export interface DestinationSettings {
  klaviyo: { url: string; apiKey?: string | undefined; revision: string };
  braze: { url: string; apiKey?: string | undefined };
  customerio: { url: string; siteId?: string | undefined; apiKey?: string | undefined };
  iterable: { url: string; apiKey?: string | undefined };
  webhook: { secret?: string | undefined };
}

export type BuiltRequest = { request: HttpRequest } | { missing: string };

export type DestinationBuilder<D extends TriggerDestination> = (
  destination: D,
  payload: TriggerPayload,
  episode: Episode,
  settings: DestinationSettings,
  now: number,
) => Promise<BuiltRequest>;

/** Headers that carry credentials: never recorded (dry runs, dead letters). */
export const SECRET_HEADERS = new Set(['authorization', 'api-key']);

export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;
