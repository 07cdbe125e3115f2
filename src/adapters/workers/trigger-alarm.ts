import { Signer } from '../../core/audience/signing.ts';
import { appConfig, parseConfig } from '../../core/config.ts';
import type { TriggerStore } from '../../core/ports.ts';
import { TriggerEngine } from '../../core/triggers/engine.ts';
import { durableObjectStore } from '../store/durable-object.ts';
import type { GlobalObject } from '../store/durable-object-global.ts';
import type { SubjectObject } from '../store/durable-object-subject.ts';
import type { TriggerObject } from '../store/durable-object-triggers.ts';
import { workerKeys } from './keys.ts';
import { consoleLogger } from './logger.ts';

/**
 * What the triggers object's alarm runs: the trigger engine over the Worker's
 * store and settings (no renderer: a send needs profiles, products and
 * blocks, never a picture), sending what is due until less than a batch is.
 */
export interface TriggerAlarmEnv {
  SUBJECTS: DurableObjectNamespace<SubjectObject>;
  GLOBALS: DurableObjectNamespace<GlobalObject>;
  TRIGGERS: DurableObjectNamespace<TriggerObject>;
  [name: string]: unknown;
}

/** Resolves to `off` when OPENTIME_TRIGGERS is off (nothing was claimed). */
export async function fireDueTriggers(env: TriggerAlarmEnv, prefix: string, local: TriggerStore): Promise<'off' | 'done'> {
  const vars: Record<string, string | undefined> = { OPENTIME_DEMO: '0' };
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
  const raw = parseConfig(vars);
  const config = appConfig(raw, workerKeys(raw));
  const settings = config.triggers;
  if (!settings || settings.mode === 'off') return 'off';
  const store = {
    ...durableObjectStore({ subjects: env.SUBJECTS, globals: env.GLOBALS, triggers: env.TRIGGERS, prefix, retentionSeconds: raw.OPENTIME_RETENTION_DAYS * 86_400 }),
    ...local,
  };
  const engine = new TriggerEngine({
    store,
    settings,
    signer: new Signer(config.signingKeys),
    requireSignature: config.requireSignature,
    origin: () => config.publicUrl,
    fetch: (url, init) => fetch(url, init),
    clock: { now: () => Date.now() },
    logger: consoleLogger({ level: raw.LOG_LEVEL }),
    cacheMs: 0,
  });
  while ((await engine.fireDue()) >= settings.batch) {
    // a full batch: more may be due
  }
  return 'done';
}
