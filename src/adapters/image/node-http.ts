import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ImageFetchError, asImageFetchError, failure, refuse } from '../../core/images/fetch-error.ts';
import { checkImageResponse } from '../../core/images/image-header.ts';
import { addressRange, checkImageUrl, isRedirect, isRefused, redirectTarget, type ImageUrlPolicy } from '../../core/images/url-safety.ts';

/**
 * Photo downloads on Node that cannot be pointed into the network
 * (src/core/images/url-safety.ts has the checks and what is still open).
 * Node's part is the address check after DNS: every address a name resolves
 * to must be public, and the socket connects to an address that was checked,
 * because the check runs inside the connection's own `lookup`, not before it
 * (a second lookup could answer differently: DNS rebinding). Redirects are
 * followed by hand, each target checked again; one time limit covers the
 * whole chain and the body; the body is read until the byte limit and no further.
 */
export type Resolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

export interface SafeGetOptions {
  policy: ImageUrlPolicy;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** The DNS lookup; tests put in names that resolve to private addresses. */
  resolve?: Resolver;
}

export interface Download {
  bytes: Buffer;
  /** The URL that answered, after redirects. */
  url: URL;
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Sockets kept alive between photos of the same host; every one was opened through the checked lookup. */
const AGENT_OPTIONS = { keepAlive: true, timeout: 5000, maxSockets: 32 };

export function safeHttpGet(options: SafeGetOptions): (input: string) => Promise<Download> {
  const resolve = options.resolve ?? systemResolver;
  const agents = { 'http:': new http.Agent(AGENT_OPTIONS), 'https:': new https.Agent(AGENT_OPTIONS) };

  /** Resolves, refuses if any address is not public, and hands the connection only checked addresses. */
  const checkedLookup =
    (allowPrivate: boolean, refused: (error: Error) => void): LookupFunction =>
    (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          // Any private answer refuses the name: a host that is partly inside the network is not a photo CDN.
          for (const { address } of addresses) {
            const range = addressRange(address) ?? 'reserved';
            if (isRefused(range, allowPrivate)) {
              const error = refuse('address', `${hostname} resolves to ${address}, a ${range} address; photos are fetched from public addresses only`);
              refused(error);
              callback(error, '', 0);
              return;
            }
          }
          const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
          const usable = addresses.filter((a) => family === 0 || a.family === family);
          const first = usable[0];
          if (!first) callback(Object.assign(new Error(`${hostname} has no IPv${family || ''} address`), { code: 'ENOTFOUND' }), '', 0);
          else if (lookupOptions.all)
            callback(
              null,
              usable.map((a) => ({ address: a.address, family: a.family })),
            );
          else callback(null, first.address, first.family);
        },
        (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };

  function request(url: URL, trusted: boolean, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolveResponse, reject) => {
      let refusal: Error | undefined;
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const client = protocol === 'https:' ? https : http;
      const req = client.request(
        {
          protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { accept: 'image/png,image/jpeg,image/gif,image/webp;q=0.9,*/*;q=0.1', 'accept-encoding': 'identity', 'user-agent': 'opentime (photo fetcher)' },
          // The server's own demo photos are fetched from a private address: their sockets are never pooled with others.
          agent: trusted ? false : agents[protocol],
          lookup: checkedLookup(options.policy.allowPrivate === true || trusted, (error) => (refusal = error)),
          signal,
        },
        resolveResponse,
      );
      req.on('error', (error) => reject(refusal ?? error));
      req.end();
    });
  }

  async function readBody(response: IncomingMessage, url: URL): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      // Stop reading at the limit: leaving the loop destroys the response, and the rest is never downloaded.
      if (size > options.maxBytes) throw refuse('size', `${url.href} is larger than ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }

  return async (input) => {
    // One limit for the whole fetch, redirects and body included: a slow drip cannot hold a render.
    const signal = AbortSignal.timeout(options.timeoutMs);
    let { url, trusted } = checkImageUrl(input, options.policy);
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await request(url, trusted, signal);
        const status = response.statusCode ?? 0;
        if (isRedirect(status)) {
          response.destroy();
          if (redirects >= options.maxRedirects) throw refuse('redirects', `${input} redirects more than ${options.maxRedirects} times`);
          ({ url, trusted } = checkImageUrl(redirectTarget(response.headers.location, url), options.policy));
          continue;
        }
        if (status < 200 || status > 299) {
          response.destroy();
          throw failure('status', `${url.href} answered ${status}`);
        }
        try {
          checkImageResponse(url, { get: (name) => headerValue(response.headers[name]) }, options.maxBytes);
        } catch (error) {
          response.destroy();
          throw error;
        }
        return { bytes: await readBody(response, url), url };
      }
    } catch (error) {
      // A refusal stays a refusal; anything else after the time limit is the time limit.
      throw asImageFetchError(error instanceof ImageFetchError || !signal.aborted ? error : signal.reason, url.href, options.timeoutMs);
    }
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
