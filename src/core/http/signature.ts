import { safeEqual } from '../shared/constant-time.ts';

/**
 * Webhook signatures the way Segment's Webhooks destination and
 * Customer.io's make them: `X-Signature` is the hex HMAC-SHA1 of the exact
 * request body under a shared secret. Several secrets may be configured so
 * one can be rotated without dropping deliveries; every one is tried, and
 * each comparison is constant-time, so timing tells an attacker nothing
 * about how close a forged signature came.
 */
const encoder = new TextEncoder();
const HEX_SHA1 = /^[0-9a-f]{40}$/;

export async function hmacSha1Hex(secret: string, body: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, body as BufferSource));
  let hex = '';
  for (const byte of mac) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

export async function verifySignature(secrets: readonly string[], body: Uint8Array, header: string | undefined): Promise<boolean> {
  const given = (header ?? '').trim().toLowerCase();
  if (!HEX_SHA1.test(given)) return false;
  let ok = false;
  for (const secret of secrets) ok = safeEqual(given, await hmacSha1Hex(secret, body)) || ok;
  return ok;
}
