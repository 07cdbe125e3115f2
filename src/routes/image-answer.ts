import { classifyOpen, isPerson } from '../core/audience/requester.ts';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { boundedParam, MESSAGE_PARAM_MAX_CHARS, paramsForRules } from '../core/links/url-params.ts';
import { flatImage } from '../core/open/fallbacks.ts';
import { imageContentType } from '../core/render/image-format.ts';
import { describeError, errorCode, type ErrorCode } from '../core/shared/errors.ts';
import { BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import type { OpenImage } from '../core/open/pipeline.ts';
import type { Services } from './context.ts';

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
  /** The block's file name from the path: `<block id>.png` or `.gif`; for a part, the part's (`0.png`, `head.png`). */
  file: string;
  /** A part's block id (`/i/<block>/<part>.png`); absent for the whole image. */
  block?: string | undefined;
  /** The request URL (absolute, or path and query). */
  url: string;
  userAgent: string | undefined;
  /** The subscriber's allowance was already asked (by answerImageAgain) and refused. */
  refused?: boolean | undefined;
}

export interface ImageAnswer {
  headers: Record<string, string>;
  body: Uint8Array;
  /** For the request log: hit, miss, coalesced or fallback:<kind>. */
  cacheOutcome: string;
  blockId: string;
  errorCode?: ErrorCode;
}

function answer(blockId: string, image: OpenImage): ImageAnswer {
  const headers: Record<string, string> = {
    ...IMAGE_HEADERS,
    // What the bytes are, not what the URL says: a block that holds photos is a JPEG at its `.png` URL.
    'Content-Type': imageContentType(image.bytes),
    'Content-Length': String(image.bytes.byteLength),
    'x-opentime-cache': image.cache,
  };
  if (image.fallback) headers['x-opentime-fallback'] = image.fallback;
  if (image.error) headers['x-opentime-error'] = image.error;
  if (image.limited) headers['x-opentime-rate-limited'] = 'subscriber';
  if (image.why) headers['x-opentime-why'] = image.why;
  const result: ImageAnswer = { headers, body: image.bytes, blockId, cacheOutcome: image.fallback ? `fallback:${image.fallback}` : image.cache };
  if (image.error) result.errorCode = image.error;
  return result;
}

/** The block and the part a request names. */
function namesOf(question: ImageQuestion): { blockId: string; part: string | undefined } {
  const name = question.file.replace(/\.(?:png|gif)$/i, '');
  return question.block === undefined ? { blockId: name, part: undefined } : { blockId: question.block, part: name };
}

/** The same request again is the same question: the answer memo knows it by all it says. */
function repeatKeyOf(question: ImageQuestion): string {
  return `${question.method}\n${question.userAgent ?? ''}\n${question.url}`;
}

/**
 * The whole image asked again, answered from what this instance just
 * answered to the same request, without reading it (see
 * OpenPipeline.answerAgain); `refused` when the subscriber is past their
 * allowance (answerImage then answers as anonymous); undefined when
 * nothing is kept for it: answerImage answers.
 */
export function answerImageAgain(services: Services, question: ImageQuestion): ImageAnswer | 'refused' | undefined {
  if (question.block !== undefined) return undefined;
  const { blockId } = namesOf(question);
  const again = services.opens.answerAgain(repeatKeyOf(question), blockId);
  if (again === undefined) return undefined;
  if ('refused' in again) return 'refused';
  // An answer given again is a plain hit of the same bytes: its headers are those of the last time (never changed by the caller).
  let given = answersOfBytes.get(again.image.bytes);
  if (given?.blockId !== blockId) {
    given = answer(blockId, again.image);
    answersOfBytes.set(again.image.bytes, given);
  }
  return given;
}

/** The answer last given for these bytes from the memo, while the bytes live. */
const answersOfBytes = new WeakMap<Uint8Array, ImageAnswer>();

/**
 * `GET /i/<block>.png|gif` and `/i/<block>/<part>.png`: the open path from URL to image. The Hono route
 * and the Node server's direct listener (which skips the framework for the
 * route that carries a send's load) both answer through this function; the
 * open itself, for every kind, is the core's (src/core/open/pipeline.ts).
 */
export async function answerImage(services: Services, question: ImageQuestion): Promise<ImageAnswer> {
  const { opens, signer } = services;
  const format = /\.gif$/i.test(question.file) ? 'gif' : 'png';
  const { blockId, part } = namesOf(question);
  const loggedBlock = BLOCK_ID_PATTERN.test(blockId) ? blockId : '(invalid)';
  let url: URL | undefined;
  try {
    url = new URL(question.url, 'https://opentime.invalid');
  } catch {
    url = undefined; // answered as an anonymous open
  }
  const params = url?.searchParams ?? new URLSearchParams();
  const requester = classifyOpen(question.method, question.userAgent);
  try {
    return answer(
      loggedBlock,
      await opens.open({
        blockId,
        format,
        requester,
        machine: !isPerson(requester),
        subject: boundedParam(params, 'u', SUBJECT_ID_MAX_CHARS),
        messageId: boundedParam(params, 'm', MESSAGE_PARAM_MAX_CHARS),
        userAgent: question.userAgent,
        params: paramsForRules(params),
        signed: url ? await signer.verify(url) : false,
        query: (name) => boundedParam(params, name, DEADLINE_PARAM_MAX_CHARS),
        ...(part === undefined ? { repeatKey: repeatKeyOf(question) } : { part }),
        ...(question.refused ? { withinAllowance: false } : {}),
      }),
    );
  } catch (error) {
    // open() already answers every failure with an image; this is the net below the net.
    services.deps.logger.error('open failed outside its fallbacks', { error: describeError(error) });
    return answer(loggedBlock, {
      bytes: await flatImage(format, 1200, 600, '#ffffff'),
      cache: 'fallback',
      fallback: 'blank',
      error: errorCode(error),
      personal: false,
    });
  }
}
