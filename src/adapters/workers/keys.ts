import type { RawConfig } from '../../core/config.ts';

/**
 * Keys on Workers come from secrets only: there is no disk to generate and
 * keep them on, and a key made up per isolate would differ between
 * isolates. A missing one stops the Worker with a message that says how to
 * set it.
 */
export interface WorkerKeys {
  adminKeys: string[];
  writeKeys: string[];
  secret: string;
}

export function workerKeys(raw: RawConfig): WorkerKeys {
  const missing = [
    raw.OPENTIME_ADMIN_KEY.length === 0 && 'OPENTIME_ADMIN_KEY',
    raw.OPENTIME_WRITE_KEY.length === 0 && 'OPENTIME_WRITE_KEY',
    raw.OPENTIME_SECRET === undefined && 'OPENTIME_SECRET',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length > 0 || raw.OPENTIME_SECRET === undefined) {
    throw new Error(
      `[opentime] [worker] missing secrets: ${missing.join(', ')}. On Workers keys cannot be generated; ` +
        `set each (at least 16 characters) with \`npx wrangler secret put <NAME>\`, or in .dev.vars for \`npm run dev:worker\`.`,
    );
  }
  return { adminKeys: raw.OPENTIME_ADMIN_KEY, writeKeys: raw.OPENTIME_WRITE_KEY, secret: raw.OPENTIME_SECRET };
}
