import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RawConfig } from '../../core/config.ts';

/**
 * Keys from the environment; in development, when they are unset, keys are
 * generated on first start and kept in the data directory so that they stay
 * the same across restarts. Production refuses to start without them.
 */
export interface Keys {
  adminKeys: string[];
  writeKeys: string[];
  secret: string;
  /** Which keys were generated here (to print them once). */
  generated: Array<'admin' | 'write' | 'secret'>;
}

interface KeyFile {
  adminKey: string;
  writeKey: string;
  secret: string;
}

const newKey = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

export async function resolveKeys(raw: RawConfig, dataDir: string): Promise<Keys> {
  const production = raw.NODE_ENV === 'production';
  const missing = [
    raw.OPENTIME_ADMIN_KEY.length === 0 && 'OPENTIME_ADMIN_KEY',
    raw.OPENTIME_WRITE_KEY.length === 0 && 'OPENTIME_WRITE_KEY',
    raw.OPENTIME_SECRET === undefined && 'OPENTIME_SECRET',
  ].filter((x): x is string => typeof x === 'string');
  if (production && missing.length > 0) {
    throw new Error(`[opentime] NODE_ENV=production needs ${missing.join(', ')} (keys of at least 16 characters)`);
  }

  const path = join(dataDir, 'keys.json');
  let stored: KeyFile | undefined;
  try {
    stored = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  } catch {
    stored = undefined;
  }
  const file: KeyFile = stored ?? { adminKey: newKey('ot_admin'), writeKey: newKey('ot_write'), secret: randomBytes(32).toString('base64url') };
  if (!stored && missing.length > 0) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  }
  const generated: Keys['generated'] = [];
  if (raw.OPENTIME_ADMIN_KEY.length === 0) generated.push('admin');
  if (raw.OPENTIME_WRITE_KEY.length === 0) generated.push('write');
  if (raw.OPENTIME_SECRET === undefined) generated.push('secret');
  return {
    adminKeys: raw.OPENTIME_ADMIN_KEY.length > 0 ? raw.OPENTIME_ADMIN_KEY : [file.adminKey],
    writeKeys: raw.OPENTIME_WRITE_KEY.length > 0 ? raw.OPENTIME_WRITE_KEY : [file.writeKey],
    secret: raw.OPENTIME_SECRET ?? file.secret,
    generated,
  };
}
