import { LocalSubjectChanges } from '../../core/audience/subject-changes.ts';
import type { Logger, SubjectChange, SubjectChangeFeed } from '../../core/ports.ts';
import { describeError } from '../../core/shared/errors.ts';

/** The part of an ioredis connection (`Redis` or `Cluster`) that listens on a channel. */
export interface RedisSubscriber {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Subject changes between instances sharing one Redis: each instance
 * publishes the keys it changed on one channel, and hears the others' on a
 * connection of its own (a subscribed connection can send nothing else).
 * Pub/sub keeps nothing for a listener that is away, so while that
 * connection is down the feed is not `live`, and when it is back every
 * listener hears `all`: whatever was kept may have missed a change.
 */
export class RedisSubjectChanges implements SubjectChangeFeed {
  private readonly local = new LocalSubjectChanges();
  private readonly origin = crypto.randomUUID();
  private subscriber: RedisSubscriber | undefined;
  private listening = false;
  private closed = false;
  private readonly deps: {
    channel: string;
    publish(channel: string, message: string): Promise<unknown>;
    connect(): RedisSubscriber;
    logger?: Pick<Logger, 'warn'> | undefined;
  };

  constructor(deps: RedisSubjectChanges['deps']) {
    this.deps = deps;
  }

  get live(): boolean {
    return this.listening;
  }

  publish(keys: readonly string[]): void {
    if (keys.length === 0) return;
    this.local.tell(keys);
    this.deps.publish(this.deps.channel, JSON.stringify({ o: this.origin, k: keys })).catch((error: unknown) => {
      // The store took the change but the others may not hear it: they hear `all` when they reconnect, or keep answers at most their lifetime.
      this.deps.logger?.warn('subject change not published', { error: describeError(error) });
    });
  }

  subscribe(listener: (change: SubjectChange) => void): () => void {
    const stop = this.local.subscribe(listener);
    this.listen();
    return stop;
  }

  private listen(): void {
    if (this.subscriber || this.closed) return;
    const subscriber = this.deps.connect();
    this.subscriber = subscriber;
    subscriber.on('message', (channel, message) => {
      if (channel !== this.deps.channel) return;
      try {
        const { o, k } = JSON.parse(message) as { o: string; k: string[] };
        if (o !== this.origin && Array.isArray(k)) this.local.tell(k);
      } catch {
        this.local.tell('all');
      }
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(this.deps.channel).then(
        () => {
          this.listening = true;
          this.local.tell('all');
        },
        () => subscriber.disconnect(),
      );
    });
    subscriber.on('close', () => {
      if (!this.listening) return;
      this.listening = false;
      this.local.tell('all');
    });
    subscriber.on('error', () => undefined); // reported by the store's own connection
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}
