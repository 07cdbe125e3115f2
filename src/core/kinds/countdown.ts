import { LRUCache } from 'lru-cache';
import type { CountdownBlock, StoredBlock } from '../blocks/schema.ts';
import { buildExpired, buildFace, buildMessage, type Art, type Face } from '../countdown/art.ts';
import { resolveDeadline, type ResolvedDeadline } from '../countdown/deadline.ts';
import { artGif, artPng, countdownGif, countdownPng } from '../countdown/frames.ts';
import { leadingDigits, unitsOf } from '../countdown/units.ts';
import { digest } from '../render/render-key.ts';
import { errorCode } from '../shared/errors.ts';
import { artDeps, artStill, type StillCard } from './common.ts';
import type { Drawing, ImageFormat, Kind, KindAtWork, KindOpen, KindTools, Plan } from './kind.ts';

/** Pre-rendered parts kept per instance; a 1200×300 face with its tiles is about 2 MB. */
const PARTS_CACHE_BYTES = 64 * 1024 * 1024;

const planeBytes = (art: Art) => art.rgba.data.length + art.index.data.length;
const faceBytes = (face: Face) => face.rgba.data.length + face.index.data.length + face.digits.reduce((n, d) => n + d.rgba.data.length + d.index.data.length, 0);

/** A deadline from the URL or the subscriber's profile: one recipient's, not the block's. */
function isPersonal(deadline: ResolvedDeadline): boolean {
  return deadline.source === 'query' || deadline.source === 'event';
}

/**
 * A countdown: block → deadline (fixed, from the URL, or from the
 * subscriber's profile) → the GIF or PNG for (block version, deadline,
 * second), drawn once and shared by every open in that second, from parts
 * (faces, digit tiles, the expired state) drawn once per block version. Its
 * image is a moment, not a choice: nothing is remembered for clicks, which
 * all go to the block's `url`.
 */
export const countdown: Kind<CountdownBlock> = {
  // A countdown is an animated GIF; its PNG is a still of the current second (for clients without animation).
  formats: ['gif', 'png'],
  remembers: false,
  // Drawn by opentime itself, not with a template.
  problems: async () => [],
  hasSlot: () => true,
  fixedLink: (block) => block.url,
  start,
};

/** A countdown's headline ("The sale ends in") needs its numbers, so its still carries the fallback line alone. */
const stillCard = (block: CountdownBlock): StillCard => ({ headline: block.fallback.text ?? 'See what’s on offer →' });

function start(tools: KindTools): KindAtWork<CountdownBlock> {
  const art = artDeps(tools);
  const parts = new LRUCache<string, Face | Art>({
    maxSize: PARTS_CACHE_BYTES,
    sizeCalculation: (value) => Math.max(1, 'digits' in value ? faceBytes(value) : planeBytes(value)),
  });
  const building = new Map<string, Promise<Face | Art>>();

  /** Pre-rendered parts (faces, expired states), built once per key even when asked for concurrently. */
  async function part<T extends Face | Art>(key: string, build: () => Promise<T>): Promise<T> {
    const done = parts.get(key);
    if (done) return done as T;
    let pending = building.get(key);
    if (!pending) {
      pending = build()
        .then((value) => {
          parts.set(key, value);
          return value;
        })
        .finally(() => building.delete(key));
      building.set(key, pending);
    }
    return (await pending) as T;
  }

  /** Identifies a block version: its id, the store's version and a digest of the config (the store may be reset). */
  async function versionKey(stored: StoredBlock): Promise<string> {
    return `${stored.config.id}:${stored.version}:${await digest(JSON.stringify(stored.config))}:${tools.config.scale}`;
  }

  const still = (a: Art, format: ImageFormat) => (format === 'gif' ? artGif(a) : artPng(a));

  function drawing(block: CountdownBlock, version: string, deadline: ResolvedDeadline, nowSecond: number, format: ImageFormat): Drawing {
    const seconds = Math.floor(deadline.at / 1000) - nowSecond;
    // Past the deadline the image no longer depends on the time: one render per block version.
    if (seconds <= 0)
      return { key: `countdown:${version}:expired:${format}`, draw: async () => ({ png: await still(await part(`expired:${version}`, () => buildExpired(art, block)), format) }) };
    const leading = leadingDigits(seconds, unitsOf(block.format));
    return {
      key: `countdown:${version}:${format}:${deadline.at / 1000}:${nowSecond}`,
      perRecipient: isPersonal(deadline),
      async draw() {
        const face = await part(`face:${version}:${leading}`, () => buildFace(art, block, leading));
        if (format === 'png') return { png: await countdownPng(face, seconds) };
        // The expired state is drawn only when the deadline falls inside this animation.
        const expired = seconds < block.frames ? await part(`expired:${version}`, () => buildExpired(art, block)) : undefined;
        return {
          png: countdownGif(face, seconds, block.frames, () => {
            if (!expired) throw new Error('[opentime] [countdown] expired state needed but not drawn');
            return expired;
          }),
        };
      },
    };
  }

  /** The deadline itself ("Ends Fri 24 Dec, 23:59 EST") as a still, for a proxy that keeps the first image it fetched. */
  function prefetchStill(block: CountdownBlock, version: string, deadline: ResolvedDeadline, format: ImageFormat): Drawing {
    const prefetch = block.prefetch as NonNullable<CountdownBlock['prefetch']>;
    const zone = prefetch.zone ?? (typeof block.deadline === 'object' && 'zone' in block.deadline ? block.deadline.zone : 'UTC');
    const text = prefetch.text.replace('{deadline}', absoluteTime(deadline.at, zone, block.params.locale));
    return {
      key: `countdown:${version}:prefetch:${deadline.at}:${format}`,
      perRecipient: isPersonal(deadline),
      draw: async () => ({ png: await still(await buildMessage(art, block, block.params.headline, text), format) }),
    };
  }

  /** The subscriber's profile for an event deadline, when they are known and not suppressed. */
  async function profileOf(open: KindOpen) {
    const key = await open.subject();
    return key ? tools.budget(tools.store.getProfile(key), 'reading the profile') : undefined;
  }

  return {
    async plan(stored, open) {
      const block = stored.config;
      let profileError: unknown;
      const deadline = await resolveDeadline(block.deadline, {
        query: open.query,
        profile: async () => {
          try {
            return await profileOf(open);
          } catch (error) {
            // The store is slow or down: the block's fallback deadline, if it has one, still counts.
            profileError = error;
            return undefined;
          }
        },
      });
      const error = profileError === undefined ? undefined : errorCode(profileError);
      if (!deadline) return error ? { nothing: true, error } : { nothing: true };
      const version = await versionKey(stored);
      const nowSecond = Math.floor(tools.clock.now() / 1000);
      const prefetch = open.requester === 'apple_proxy' && block.prefetch !== undefined;
      const planned: Plan = {
        personal: !prefetch && isPersonal(deadline),
        known: false,
        drawing: async () => (prefetch ? prefetchStill(block, version, deadline, open.format) : drawing(block, version, deadline, nowSecond, open.format)),
      };
      if (!prefetch && Math.floor(deadline.at / 1000) <= nowSecond) planned.fallback = 'expired';
      if (error) planned.error = error;
      return planned;
    },

    still: (block, format) => artStill(art, block, format, stillCard(block)),
  };
}

/** A deadline as people read it, in a time zone: "Fri, Dec 24, 11:59 PM EST". */
export function absoluteTime(at: number, zone: string, locale: string): string {
  const options: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: zone }).format(at);
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(at);
  }
}
