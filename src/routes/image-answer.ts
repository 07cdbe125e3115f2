import { classifyOpen, isPerson } from '../core/audience/requester.ts';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { boundedParam, MESSAGE_PARAM_MAX_CHARS, paramsForRules } from '../core/links/url-params.ts';
import { flatImage, type CountdownImage } from '../core/countdown/service.ts';
import { describeError, errorCode, type ErrorCode } from '../core/shared/errors.ts';
import { BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import type { OpenImage } from '../core/open/pipeline.ts';
import type { Services } from './context.ts';
import { subscriberWithinLimit } from './rate-limit.ts';

/** A deadline in the URL is an ISO time or epoch seconds; anything longer is not one. */
const DEADLINE_PARAM_MAX_CHARS = 40;

/**
 * Personal images must be fetched again at every open: Gmail's proxy honours
 * no-cache, and caches errors for a long time, so an image route never
 * answers anything but 200 with an image.
 */
export const IMAGE_HEADERS = {
  'Content-Type': 'image/png',
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
} as const;

/** An open's request as the image route needs it: no framework's request object. */
export interface ImageQuestion {
  method: string;
  /** The block's file name from the path: `<block id>.png` or `.gif`. */
  file: string;
  /** The request URL (absolute, or path and query). */
  url: string;
  userAgent: string | undefined;
}

export interface ImageAnswer {
  headers: Record<string, string>;
  body: Uint8Array;
  /** For the request log: hit, miss, coalesced or fallback:<kind>. */
  cacheOutcome: string;
  blockId: string;
  errorCode?: ErrorCode;
}

function answer(blockId: string, image: OpenImage | CountdownImage, limited = false): ImageAnswer {
  const body = 'png' in image ? image.png : image.bytes;
  const headers: Record<string, string> = {
    ...IMAGE_HEADERS,
    'Content-Type': 'contentType' in image ? image.contentType : IMAGE_HEADERS['Content-Type'],
    'Content-Length': String(body.byteLength),
    'x-opentime-cache': image.cache,
  };
  if (image.fallback) headers['x-opentime-fallback'] = image.fallback;
  if (image.error) headers['x-opentime-error'] = image.error;
  if (limited) headers['x-opentime-rate-limited'] = 'subscriber';
  const result: ImageAnswer = { headers, body, blockId, cacheOutcome: image.fallback ? `fallback:${image.fallback}` : image.cache };
  if (image.error) result.errorCode = image.error;
  return result;
}

/**
 * `GET /i/<block>.png|gif`: the open path from URL to image. The Hono route
 * and the Node server's direct listener (which skips the framework for the
 * route that carries a send's load) both answer through this function.
 */
export async function answerImage(services: Services, question: ImageQuestion): Promise<ImageAnswer> {
  const { opens, countdowns, signer } = services;
  const ext = /\.gif$/i.test(question.file) ? 'gif' : 'png';
  const blockId = question.file.replace(/\.(?:png|gif)$/i, '');
  const loggedBlock = BLOCK_ID_PATTERN.test(blockId) ? blockId : '(invalid)';
  let url: URL | undefined;
  try {
    url = new URL(question.url, 'https://opentime.invalid');
  } catch {
    url = undefined; // answered as an anonymous open
  }
  const params = url?.searchParams ?? new URLSearchParams();
  const requester = classifyOpen(question.method, question.userAgent);
  const subject = boundedParam(params, 'u', SUBJECT_ID_MAX_CHARS);
  const signed = url ? await signer.verify(url) : false;
  // Only a request that may be personal spends its subscriber's allowance, so unsigned requests
  // (shown the generic image where a signature is required) cannot use up a signed subscriber's
  // opens. Past the allowance the open is answered as anonymous: the block's generic image,
  // which the render cache holds, with no profile read and no render.
  const mayBePersonal = subject !== undefined && (signed || !(await opens.requiresSignature(blockId)));
  const limited = mayBePersonal && !subscriberWithinLimit(services, subject);
  const request = {
    blockId,
    requester,
    machine: !isPerson(requester),
    subject: limited ? undefined : subject,
    messageId: boundedParam(params, 'm', MESSAGE_PARAM_MAX_CHARS),
    userAgent: question.userAgent,
    params: paramsForRules(params),
    signed,
  };
  try {
    // Countdowns (and any .gif) are drawn by their own path; other blocks' PNGs by the open path.
    const countdown = await countdowns.open({
      blockId,
      ext,
      machine: request.machine,
      subject: request.subject,
      signed: request.signed,
      requester,
      messageId: request.messageId,
      query: (name) => (limited ? undefined : boundedParam(params, name, DEADLINE_PARAM_MAX_CHARS)),
    });
    return answer(loggedBlock, countdown ?? (await opens.open(request)), limited);
  } catch (error) {
    // open() already answers every failure with an image; this is the net below the net.
    services.deps.logger.error('open failed outside its fallbacks', { error: describeError(error) });
    if (ext === 'gif') {
      const bytes = await flatImage('gif', 1200, 600, '#ffffff');
      return answer(loggedBlock, { bytes, contentType: 'image/gif', cache: 'fallback', fallback: 'blank', error: errorCode(error) });
    }
    return answer(loggedBlock, await opens.open({ blockId: '', machine: true }));
  }
}
