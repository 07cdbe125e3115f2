import jsonLogic from 'json-logic-js';
import type { Signer } from '../audience/signing.ts';
import type { BlockConfig } from '../blocks/schema.ts';
import { effectivePrice, type Product } from '../catalog/product.ts';
import { factIds, facts as heroFacts } from '../decide/facts.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import type { BlockStore, CatalogStore, Clock, CounterStore, Logger, SubjectEvents, SubjectStore, SuppressionStore, TriggerStore } from '../ports.ts';
import { eventItems, specEvent } from '../profiles/ecommerce.ts';
import { describeError } from '../shared/errors.ts';
import { SECRET_HEADERS, type DestinationSettings, type HttpRequest } from './destinations/destination.ts';
import { buildRequest } from './destinations/registry.ts';
import { backoffMs, deliver, type Fetch } from './delivery.ts';
import type { Episode, EpisodeFacts, Interest, SendRecord } from './episode.ts';
import { buildPayload, subscriberIdOf } from './payload.ts';
import { startsOnCatalog, startsOnEvent, waitMs, type StoredTrigger, type TriggerConfig } from './schema.ts';
import { sendTime } from './timing.ts';

/**
 * The trigger engine. Events start and cancel episodes (`eventsApplied`,
 * called by ingestion once the events are durable); catalog updates start
 * price-drop and back-in-stock ones (`catalogUpdated`); `fireDue` sends what
 * is due, called by a scheduler (Node: adapters/node/trigger-scheduler.ts;
 * Workers: the triggers Durable Object's alarm). Every rule that can stop a
 * send is checked again when it fires: the kill switches, suppression and
 * consent, `when`, the cap. Nothing is sent twice: an episode is claimed
 * atomically before its send, its send is recorded once, and the request
 * carries the episode id as its idempotency key.
 *
 * Counters per trigger (`trigger.<id>.<what>`) are the reports: started,
 * cancelled (and `cancelled.<why>`), fired, sent, failed, dry_run.
 * Conversions are attributed to the email's clicks by the reports module:
 * every block URL carries `m=trg.<trigger>.<episode>` (payload.ts), which is
 * the hook it groups by.
 */
export type TriggerMode = 'on' | 'dry-run' | 'off';

export interface TriggerSettings {
  /** OPENTIME_TRIGGERS: `off` is the kill switch for all (nothing starts or fires), `dry-run` records instead of sending. */
  mode: TriggerMode;
  destinations: DestinationSettings;
  /** First retry after this long, doubling each time. */
  retryBaseMs: number;
  /** Sends tried this many times in all go to the dead letters. */
  maxAttempts: number;
  /** An ESP that has not answered within this long counts as down. */
  sendTimeoutMs: number;
  /** A claimed episode comes back to anyone after this long if its claimer died. */
  leaseMs: number;
  /** Episodes claimed at once. */
  batch: number;
}

export interface TriggerEngineDeps {
  store: TriggerStore & SubjectStore & SuppressionStore & CatalogStore & BlockStore & CounterStore;
  settings: TriggerSettings;
  signer: Signer;
  requireSignature: boolean;
  /** The public origin of block URLs (OPENTIME_PUBLIC_URL, else the server's own); undefined where none is known. */
  origin: () => string | undefined;
  fetch: Fetch;
  clock: Clock;
  logger: Logger;
  /** How long the list of triggers is trusted (OPENTIME_BLOCK_CACHE_SECONDS). */
  cacheMs: number;
}

/** Catalog moments reach at most this many subscribers per product and update, most recent interest first. */
export const CATALOG_MOMENT_MAX_SUBSCRIBERS = 1000;
const DAY_MS = 86_400_000;

export class TriggerEngine {
  private cached: { at: number; triggers: StoredTrigger[] } | undefined;
  private readonly deps: TriggerEngineDeps;
  constructor(deps: TriggerEngineDeps) {
    this.deps = deps;
  }

  /** Called after a PUT or DELETE of a trigger on this instance. */
  changed(): void {
    this.cached = undefined;
  }

  private async triggers(): Promise<StoredTrigger[]> {
    const now = this.deps.clock.now();
    if (this.cached && now - this.cached.at < this.deps.cacheMs) return this.cached.triggers;
    const triggers = await this.deps.store.listTriggers();
    this.cached = { at: now, triggers };
    return triggers;
  }

  private count(triggerId: string, what: string): Promise<void> {
    return this.deps.store.incrementCounters({ [`trigger.${triggerId}.${what}`]: 1 });
  }

  /**
   * Events already stored for their (canonical) subjects: each cancels the
   * episodes whose `cancel.events` name it, then starts those whose
   * `start.event` it is, in the order the events happened. Views and cart
   * adds are remembered per product for catalog moments. Throws when the
   * store does: ingestion then answers 503 and the sender retries.
   */
  async eventsApplied(groups: readonly SubjectEvents[], now: number): Promise<void> {
    if (this.deps.settings.mode === 'off') return;
    const triggers = (await this.triggers()).map((t) => t.config);
    const interests: Interest[] = [];
    for (const { subjectKey, events } of groups) {
      for (const event of [...events].sort((a, b) => a.timestamp - b.timestamp)) {
        if (event.type !== 'track' || event.event === undefined) continue;
        const names = new Set([event.event, specEvent(event.event, event.properties).event]);
        const kind = names.has('Product Viewed') ? 'viewed' : names.has('Product Added') ? 'carted' : undefined;
        if (kind) for (const item of eventItems(event.properties)) interests.push({ productId: item.id, subjectKey, kind, at: event.timestamp });
        if (triggers.length === 0) continue;
        for (const trigger of triggers) {
          if (trigger.cancel.events.some((name) => names.has(name))) await this.cancel(trigger, subjectKey, `event:${event.event}`);
        }
        for (const trigger of triggers) {
          if (startsOnEvent(trigger) && names.has(trigger.start.event)) await this.start(trigger, subjectKey, factsOf(event), now);
        }
      }
    }
    if (interests.length > 0 && triggers.some(startsOnCatalog)) await this.deps.store.noteInterest(interests);
  }

  /**
   * A catalog update: for each product whose price fell (by the trigger's
   * least percentage) or that came back in stock, starts the catalog
   * triggers' episodes for the subscribers who viewed or carted it within
   * the trigger's days, at most CATALOG_MOMENT_MAX_SUBSCRIBERS per product.
   */
  async catalogUpdated(before: ReadonlyMap<string, Product>, after: readonly Product[], now: number): Promise<void> {
    if (this.deps.settings.mode === 'off') return;
    const triggers = (await this.triggers()).map((t) => t.config).filter(startsOnCatalog);
    for (const trigger of triggers) {
      for (const product of after) {
        const old = before.get(product.id);
        if (!old) continue;
        const oldPrice = effectivePrice(old).price;
        const newPrice = effectivePrice(product).price;
        const moment =
          trigger.start.catalog === 'price_drop'
            ? product.in_stock && oldPrice > 0 && ((oldPrice - newPrice) / oldPrice) * 100 >= Math.max(trigger.start.min_drop_percent, 0.01)
            : !old.in_stock && product.in_stock;
        if (!moment) continue;
        const interested = await this.deps.store.interestIn(product.id, now - trigger.start.within_days * DAY_MS, CATALOG_MOMENT_MAX_SUBSCRIBERS);
        const facts: EpisodeFacts = { event: trigger.start.catalog, product_id: product.id, old_price: oldPrice, new_price: newPrice };
        for (const interest of interested) {
          if (trigger.start.interest.includes(interest.kind)) await this.start(trigger, interest.subjectKey, facts, now);
        }
      }
    }
  }

  private async start(trigger: TriggerConfig, subjectKey: string, facts: EpisodeFacts, now: number): Promise<void> {
    // Only subscribers an ESP knows by id can be emailed; suppressed ones are not tracked at all.
    if (!trigger.enabled || subscriberIdOf(subjectKey) === undefined) return;
    if ((await this.deps.store.getSuppressions([subjectKey])).size > 0) return;
    const episode: Episode = { id: crypto.randomUUID(), triggerId: trigger.id, subjectKey, startedAt: now, dueAt: now + waitMs(trigger.wait), attempts: 0, facts };
    const origin = this.deps.origin();
    if (origin !== undefined) episode.origin = origin;
    if (await this.deps.store.openEpisode(episode)) await this.count(trigger.id, 'started');
  }

  private async cancel(trigger: TriggerConfig, subjectKey: string, why: string, episodeId?: string): Promise<void> {
    const closed = await this.deps.store.closeEpisode(trigger.id, subjectKey, episodeId);
    if (closed) await this.deps.store.incrementCounters({ [`trigger.${trigger.id}.cancelled`]: 1, [`trigger.${trigger.id}.cancelled.${why}`]: 1 });
  }

  /** Claims and handles due episodes; resolves to how many it claimed (a full batch means: call again). */
  async fireDue(now = this.deps.clock.now()): Promise<number> {
    if (this.deps.settings.mode === 'off') return 0;
    const claimed = await this.deps.store.claimDueEpisodes(now, this.deps.settings.batch, this.deps.settings.leaseMs);
    await Promise.all(
      claimed.map((episode) =>
        this.fire(episode, now).catch((error: unknown) => {
          // The lease brings it back: a store fault here delays the send, never loses it.
          this.deps.logger.error('trigger episode failed; it is tried again when its lease ends', { trigger: episode.triggerId, error: describeError(error) });
        }),
      ),
    );
    return claimed.length;
  }

  private async fire(episode: Episode, now: number): Promise<void> {
    const { store } = this.deps;
    const stored = await store.getTrigger(episode.triggerId);
    if (!stored) return void (await store.closeEpisode(episode.triggerId, episode.subjectKey, episode.id));
    const trigger = stored.config;
    if (!trigger.enabled) return this.cancel(trigger, episode.subjectKey, 'disabled', episode.id);
    if ((await store.getSuppressions([episode.subjectKey])).size > 0) return this.cancel(trigger, episode.subjectKey, 'suppressed', episode.id);
    // Sent already (its claimer died between the send and closing it): close it, do not send again.
    if ((await store.sendsOf(trigger.id, episode.subjectKey, episode.startedAt)).some((s) => s.episodeId === episode.id)) {
      return void (await store.closeEpisode(trigger.id, episode.subjectKey, episode.id));
    }
    const profile = await store.getProfile(episode.subjectKey);
    if (!episode.timed && !episode.replayed) {
      const at = sendTime(trigger, now, profile);
      if (at > now) {
        await store.rescheduleEpisode({ ...episode, dueAt: at, timed: true });
        return;
      }
    }
    const ids = [...new Set([...factIds(profile), ...(episode.facts.product_id ? [episode.facts.product_id] : [])])];
    const products = await store.getProducts(ids);
    if (!episode.replayed) {
      if (trigger.when !== undefined) {
        const data = { ...heroFacts(profile, products, { now, timezone: 'UTC', params: {} }), episode: episode.facts };
        if (!jsonLogic.apply(trigger.when, data)) return this.cancel(trigger, episode.subjectKey, 'when', episode.id);
      }
      const sent = await store.sendsOf(trigger.id, episode.subjectKey, now - trigger.cap.days * DAY_MS);
      if (sent.length >= trigger.cap.per_subscriber) return this.cancel(trigger, episode.subjectKey, 'cap', episode.id);
    }
    if (!episode.attempts) await this.count(trigger.id, 'fired');
    const origin = this.deps.origin() ?? episode.origin;
    if (origin === undefined) return this.failed(trigger, episode, now, 'OPENTIME_PUBLIC_URL is not set: block URLs need the origin emails point at');
    const blocks = (await Promise.all(trigger.blocks.map((id) => store.getBlock(id)))).flatMap((b): BlockConfig[] => (b ? [b.config] : []));
    const payload = await buildPayload({
      episode,
      subscriberId: subscriberIdOf(episode.subjectKey) as string,
      profile,
      products,
      blocks,
      origin,
      signer: this.deps.signer,
      requireSignature: this.deps.requireSignature,
      now,
    });
    const dryRun = trigger.dry_run || this.deps.settings.mode === 'dry-run';
    // A dry run shows the request before the ESP's key is set; credentials are never recorded anyway.
    const settings = dryRun ? withPlaceholderKeys(this.deps.settings.destinations) : this.deps.settings.destinations;
    const built = await buildRequest(trigger.destination, payload, episode, settings, now);
    if ('missing' in built) return this.failed(trigger, episode, now, `${built.missing} is not set`);
    const record: SendRecord = {
      episodeId: episode.id,
      triggerId: trigger.id,
      subjectKey: episode.subjectKey,
      at: now,
      dryRun,
      destination: trigger.destination.type,
      request: recordedRequest(built.request),
    };
    if (!dryRun) {
      const outcome = await deliver(this.deps.fetch, built.request, this.deps.settings.sendTimeoutMs, now);
      if (!outcome.ok) {
        const attempts = episode.attempts + 1;
        if (outcome.retry && attempts < this.deps.settings.maxAttempts) {
          const wait = Math.max(outcome.retryAfterMs ?? 0, backoffMs(attempts, this.deps.settings.retryBaseMs));
          await store.rescheduleEpisode({ ...episode, attempts, dueAt: now + wait, timed: true });
          await this.count(trigger.id, 'retried');
          return;
        }
        return this.failed(trigger, { ...episode, attempts }, now, outcome.error, outcome.status);
      }
    }
    await store.recordSend(record);
    await store.closeEpisode(trigger.id, episode.subjectKey, episode.id);
    await this.count(trigger.id, dryRun ? 'dry_run' : 'sent');
  }

  private async failed(trigger: TriggerConfig, episode: Episode, now: number, error: string, status?: number): Promise<void> {
    const letter = { id: episode.id, episode, failedAt: now, error, ...(status !== undefined ? { status } : {}) };
    await this.deps.store.putDeadLetter(letter);
    await this.deps.store.closeEpisode(trigger.id, episode.subjectKey, episode.id);
    await this.count(trigger.id, 'failed');
    this.deps.logger.warn('trigger send failed; kept as a dead letter', { trigger: trigger.id, status, error: error.slice(0, 200) });
  }

  /** Puts a dead letter's episode back, due now, to be sent as it was (no `when` or cap check); false when there is none. */
  async replay(deadLetterId: string, now: number): Promise<'replayed' | 'missing' | 'busy'> {
    const letter = await this.deps.store.takeDeadLetter(deadLetterId);
    if (!letter) return 'missing';
    const opened = await this.deps.store.openEpisode({ ...letter.episode, dueAt: now, attempts: 0, replayed: true, timed: true });
    if (!opened) {
      await this.deps.store.putDeadLetter(letter);
      return 'busy';
    }
    return 'replayed';
  }
}

/** What an event tells about the moment: its name and the product, category or search query in it. */
function factsOf(event: TrackedEvent): EpisodeFacts {
  const spec = specEvent(event.event as string, event.properties);
  const facts: EpisodeFacts = { event: spec.event };
  const item = eventItems(spec.properties)[0];
  if (item) facts.product_id = item.id;
  if (item?.category) facts.category = item.category;
  const query = spec.properties.query;
  if (typeof query === 'string' && query.trim() !== '') facts.query = query.trim().slice(0, 200);
  return facts;
}

const PLACEHOLDER = 'unset-in-dry-run';
function withPlaceholderKeys(d: DestinationSettings): DestinationSettings {
  return {
    klaviyo: { ...d.klaviyo, apiKey: d.klaviyo.apiKey ?? PLACEHOLDER },
    braze: { ...d.braze, apiKey: d.braze.apiKey ?? PLACEHOLDER },
    customerio: { ...d.customerio, siteId: d.customerio.siteId ?? PLACEHOLDER, apiKey: d.customerio.apiKey ?? PLACEHOLDER },
    iterable: { ...d.iterable, apiKey: d.iterable.apiKey ?? PLACEHOLDER },
    webhook: { secret: d.webhook.secret ?? PLACEHOLDER },
  };
}

function recordedRequest(request: HttpRequest): SendRecord['request'] {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !SECRET_HEADERS.has(name.toLowerCase())));
  let body: unknown = request.body;
  try {
    body = JSON.parse(request.body);
  } catch {
    // kept as text
  }
  return { method: request.method, url: request.url, headers, body };
}
