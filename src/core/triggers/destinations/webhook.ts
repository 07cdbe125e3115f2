import { toBase64 } from '../../shared/bytes.ts';
import type { DestinationBuilder } from './destination.ts';

/**
 * A webhook signed per the Standard Webhooks specification: `webhook-id`
 * (the episode id: receivers de-duplicate by it), `webhook-timestamp`
 * (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`. A `whsec_…` secret is base64 after its
 * prefix, as the specification's libraries read it; any other secret is
 * used as its UTF-8 bytes.
 */
export const webhook: DestinationBuilder<{ type: 'webhook'; url: string }> = async (destination, payload, episode, settings, now) => {
  const secret = settings.webhook.secret;
  if (secret === undefined) return { missing: 'OPENTIME_TRIGGER_WEBHOOK_SECRET' };
  const timestamp = String(Math.floor(now / 1000));
  const body = JSON.stringify({ type: 'trigger.fired', timestamp: new Date(now).toISOString(), data: payload });
  return {
    request: {
      method: 'POST',
      url: destination.url,
      headers: {
        'content-type': 'application/json',
        'webhook-id': episode.id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${await standardSignature(secret, episode.id, timestamp, body)}`,
      },
      body,
    },
  };
};

export async function standardSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const keyBytes = secret.startsWith('whsec_') ? Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)) : new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`))));
}
