import type { DestinationBuilder } from './destination.ts';
import { joinUrl } from './destination.ts';

/**
 * Customer.io's Track API: `POST /api/v1/customers/{id}/events` with HTTP
 * Basic `site_id:api_key`, the event `name` and the payload as `data`. Its
 * `id` field de-duplicates events and must be a ULID: one is derived from the
 * episode (its start time and id), so every retry carries the same one.
 */
export const customerio: DestinationBuilder<{ type: 'customerio'; event: string }> = async (destination, payload, episode, settings) => {
  const { siteId, apiKey } = settings.customerio;
  if (siteId === undefined) return { missing: 'OPENTIME_CUSTOMERIO_SITE_ID' };
  if (apiKey === undefined) return { missing: 'OPENTIME_CUSTOMERIO_API_KEY' };
  return {
    request: {
      method: 'POST',
      url: joinUrl(settings.customerio.url, `/api/v1/customers/${encodeURIComponent(payload.subscriber_id)}/events`),
      headers: { authorization: `Basic ${btoa(`${siteId}:${apiKey}`)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: destination.event, id: await ulidOf(episode.startedAt, episode.id), data: payload }),
    },
  };
};

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID whose time is `at` and whose 80 random bits come from a hash of `seed`: the same episode, the same ULID. */
export async function ulidOf(at: number, seed: string): Promise<string> {
  let time = '';
  let rest = Math.max(0, Math.floor(at));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(seed)));
  let bits = 0n;
  for (const byte of bytes.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)] + random;
    bits >>= 5n;
  }
  return time + random;
}
