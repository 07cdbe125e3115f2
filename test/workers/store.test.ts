import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { durableObjectStore } from '../../src/adapters/store/durable-object.ts';
import { NOW, added, describeStore, type StoreSetup } from '../stores/contract.ts';

let stores = 0;
/** A store over its own objects: a fresh name prefix is a fresh, empty store. */
const makeStore = (setup: StoreSetup = {}, prefix = `contract-${++stores}-${crypto.randomUUID().slice(0, 8)}:`) =>
  durableObjectStore({ subjects: env.SUBJECTS, globals: env.GLOBALS, triggers: env.TRIGGERS, prefix, ...setup });

describeStore('durable-object', (setup) => makeStore(setup), { triggersNow: Date.now() + 86_400_000 });

describe('durable-object store', () => {
  const subjectStub = (name: string) => env.SUBJECTS.get(env.SUBJECTS.idFromName(name));

  it('keeps each subject in its own object, named by its key', async () => {
    const prefix = `own-${crypto.randomUUID()}:`;
    const store = makeStore({}, prefix);
    await store.applyEvents(
      [
        { subjectKey: 'u:one', events: [added('a', NOW)] },
        { subjectKey: 'u:two', events: [added('b', NOW)] },
      ],
      NOW,
    );
    const ids = (await listDurableObjectIds(env.SUBJECTS)).map((id) => id.toString());
    expect(ids).toContain(env.SUBJECTS.idFromName(`${prefix}u:one`).toString());
    expect(ids).toContain(env.SUBJECTS.idFromName(`${prefix}u:two`).toString());
    const profile = await runInDurableObject(subjectStub(`${prefix}u:one`), (_, state) => state.storage.sql.exec<{ data: string }>('SELECT data FROM profile').one().data);
    expect(JSON.parse(profile).cart[0].id).toBe('a');
  });

  it('delivers a linked profile that its caller never handed over, when the alarm runs', async () => {
    const prefix = `outbox-${crypto.randomUUID()}:`;
    const store = makeStore({}, prefix);
    const event = added('carried', NOW);
    await store.applyEvents([{ subjectKey: 'a:device', events: [event] }], NOW);
    // The first half of a link, as if the Worker that started it died before delivering the move.
    const source = subjectStub(`${prefix}a:device`);
    const { moves } = await source.linkOut('a:device', 'u:owner', `${prefix}u:owner`, NOW, Date.now(), undefined);
    expect(moves).toHaveLength(1);
    expect(await store.getLinks(['a:device'])).toEqual(new Map([['a:device', 'u:owner']]));
    expect(await store.getProfile('u:owner')).toBeUndefined();

    expect(await runDurableObjectAlarm(source)).toBe(true);
    expect((await store.getProfile('u:owner'))?.cart.map((line) => line.id)).toEqual(['carried']);
    // The move went with its messageIds, and only once: running the alarm again changes nothing.
    const retried = await store.applyEvents([{ subjectKey: 'u:owner', events: [event] }], NOW + 1000);
    expect(retried.duplicates).toEqual([event.messageId]);
    await runDurableObjectAlarm(source);
    expect((await store.getProfile('u:owner'))?.cart[0]?.quantity).toBe(1);
  });

  it('absorbs the same move once even when it is delivered twice', async () => {
    const prefix = `twice-${crypto.randomUUID()}:`;
    const store = makeStore({}, prefix);
    await store.applyEvents([{ subjectKey: 'a:twice', events: [added('once', NOW)] }], NOW);
    const { moves } = await subjectStub(`${prefix}a:twice`).linkOut('a:twice', 'u:twice', `${prefix}u:twice`, NOW, Date.now(), undefined);
    const target = subjectStub(`${prefix}u:twice`);
    await target.absorb(moves[0]!, Date.now(), undefined);
    await target.absorb(moves[0]!, Date.now(), undefined);
    expect((await store.getProfile('u:twice'))?.cart).toEqual([{ id: 'once', quantity: 1, at: NOW }]);
  });

  it('drops the whole database of a subject with nothing left, at its sweep', async () => {
    const prefix = `sweep-${crypto.randomUUID()}:`;
    const store = makeStore({}, prefix);
    await store.applyEvents([{ subjectKey: 'u:leaving', events: [added('a', NOW)] }], NOW);
    await store.deleteSubject('u:leaving');
    const stub = subjectStub(`${prefix}u:leaving`);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'profile'").toArray());
    expect(tables).toEqual([]);
    // The object still answers, from an empty start.
    expect(await store.getProfile('u:leaving')).toBeUndefined();
    await store.linkSubject('a:new', 'u:leaving', NOW);
    expect(await store.getLinks(['a:new'])).toEqual(new Map([['a:new', 'u:leaving']]));
  });
});
