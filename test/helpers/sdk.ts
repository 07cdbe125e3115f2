import { SDK_CLIENT } from '../../src/sdk/client.ts';

/**
 * The snippet's core, evaluated from the exact string that /sdk.js serves,
 * with fake storage, a fake transport and the test's (fake) timers.
 */
export interface SdkClient {
  track(event: unknown, properties?: unknown): void;
  identify(userId: unknown, traits?: unknown, options?: { userHash?: string }): void;
  page(name?: unknown, properties?: unknown): void;
  reset(): void;
  consent(preferences: unknown): void;
  flush(unloading?: boolean): void;
  user(): { anonymousId: string; userId: string | null };
}

export interface SentBatch {
  url: string;
  unloading: boolean;
  at: number;
  body: { batch: Array<Record<string, unknown> & { messageId: string; type: string; event?: string }>; sentAt: string; writeKey: string };
}

const core = new Function(`${SDK_CLIENT}\nreturn { createClient: createClient, ldProducts: ldProducts };`)() as {
  createClient(env: unknown): SdkClient;
  ldProducts(value: unknown): Array<Record<string, unknown>>;
};
export const ldProducts = core.ldProducts;

/** localStorage as a Map; `broken` makes every write fail, like a full or blocked storage. */
export function fakeStorage() {
  const items = new Map<string, string>();
  const storage = {
    items,
    broken: false,
    get: (key: string) => (storage.broken ? null : (items.get(key) ?? null)),
    set: (key: string, value: string) => {
      if (storage.broken) return false;
      items.set(key, value);
      return true;
    },
    remove: (key: string) => void items.delete(key),
    queue: () => JSON.parse(items.get('opentime.queue') ?? '[]') as Array<{ m: { messageId: string; event?: string }; b: number }>,
  };
  return storage;
}

export type Reply = number | ((batch: SentBatch) => number);

export function fakeTransport() {
  const sent: SentBatch[] = [];
  const transport = {
    sent,
    /** The status of the next requests, in order; the last one repeats. */
    replies: [200] as Reply[],
    online: true,
    send(url: string, body: string, unloading: boolean): Promise<number> {
      const batch: SentBatch = { url, unloading, at: Date.now(), body: JSON.parse(body) };
      sent.push(batch);
      const reply = (transport.replies.length > 1 ? transport.replies.shift() : transport.replies[0]) as Reply;
      return Promise.resolve(typeof reply === 'function' ? reply(batch) : reply);
    },
    events: () => sent.flatMap((s) => s.body.batch),
  };
  return transport;
}

let ids = 0;
export function createSdk(options: { storage?: ReturnType<typeof fakeStorage>; transport?: ReturnType<typeof fakeTransport>; random?: number; maxBatch?: number } = {}) {
  const storage = options.storage ?? fakeStorage();
  const transport = options.transport ?? fakeTransport();
  const logs: string[] = [];
  const client = core.createClient({
    api: 'https://shop.example.com/ot',
    key: 'browser-key-0123456789',
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
    random: () => options.random ?? 1,
    uuid: () => `uuid-${++ids}`,
    storage,
    online: () => transport.online,
    send: transport.send,
    context: () => ({ page: { path: '/p/red', referrer: '', search: '', title: 'Red', url: 'https://shop.example.com/p/red' }, userAgent: 'Test/1.0', locale: 'en-US' }),
    log: (message: string) => logs.push(message),
    ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}),
  });
  return { client, storage, transport, logs };
}
