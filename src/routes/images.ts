import { Hono } from 'hono';
import { classifyOpen, isPerson } from '../core/classify.ts';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { flatImage, type CountdownImage } from '../core/countdown/service.ts';
import { describeError, errorCode } from '../core/errors.ts';
import { BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import type { OpenImage } from '../core/opens.ts';
import { boundedQuery, ruleParams, type AppContext, type AppEnv } from './context.ts';
import { subscriberWithinLimit } from './rate-limit.ts';

const MESSAGE_ID_MAX_CHARS = 128;
/** A deadline in the URL is an ISO time or epoch seconds; anything longer is not one. */
const DEADLINE_PARAM_MAX_CHARS = 40;

/**
 * Personal images must be fetched again at every open: Gmail's proxy honours
 * no-cache, and caches errors for a long time, so this route never answers
 * anything but 200 with an image.
 */
export const IMAGE_HEADERS = {
  'Content-Type': 'image/png',
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
} as const;

function imageResponse(c: AppContext, image: OpenImage | CountdownImage, limited = false): Response {
  c.set('cacheOutcome', image.fallback ? `fallback:${image.fallback}` : image.cache);
  if (image.error) c.set('errorCode', image.error);
  const bytes = 'png' in image ? image.png : image.bytes;
  const headers: Record<string, string> = {
    ...IMAGE_HEADERS,
    'Content-Type': 'contentType' in image ? image.contentType : IMAGE_HEADERS['Content-Type'],
    'Content-Length': String(bytes.byteLength),
    'x-opentime-cache': image.cache,
  };
  if (image.fallback) headers['x-opentime-fallback'] = image.fallback;
  if (image.error) headers['x-opentime-error'] = image.error;
  if (limited) headers['x-opentime-rate-limited'] = 'subscriber';
  return new Response(bytes as BodyInit, { status: 200, headers });
}

export function imageRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/i/:file', async (c) => {
    const { opens, countdowns, signer } = c.get('services');
    const file = c.req.param('file');
    const ext = /\.gif$/i.test(file) ? 'gif' : 'png';
    const blockId = file.replace(/\.(?:png|gif)$/i, '');
    c.set('blockId', BLOCK_ID_PATTERN.test(blockId) ? blockId : '(invalid)');
    const requester = classifyOpen(c.req.method, c.req.header('user-agent'));
    const subject = boundedQuery(c, 'u', SUBJECT_ID_MAX_CHARS);
    // Past the subscriber's allowance the open is answered as anonymous: the block's generic image,
    // which the render cache holds, with no profile read and no render.
    const limited = !subscriberWithinLimit(c, subject);
    const request = {
      blockId,
      requester,
      machine: !isPerson(requester),
      subject: limited ? undefined : subject,
      messageId: boundedQuery(c, 'm', MESSAGE_ID_MAX_CHARS),
      userAgent: c.req.header('user-agent'),
      params: ruleParams(c),
      signed: await signer.verify(c.req.url),
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
        query: (name) => (limited ? undefined : boundedQuery(c, name, DEADLINE_PARAM_MAX_CHARS)),
      });
      return imageResponse(c, countdown ?? (await opens.open(request)), limited);
    } catch (error) {
      // open() already answers every failure with an image; this is the net below the net.
      c.get('services').deps.logger.error('open failed outside its fallbacks', { error: describeError(error) });
      if (ext === 'gif') {
        const bytes = await flatImage('gif', 1200, 600, '#ffffff');
        return imageResponse(c, { bytes, contentType: 'image/gif', cache: 'fallback', fallback: 'blank', error: errorCode(error) });
      }
      return imageResponse(c, await opens.open({ blockId: '', machine: true }));
    }
  });
  return routes;
}
