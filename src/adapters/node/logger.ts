import type { LogFields, Logger } from '../../core/ports.ts';

/** One JSON line per entry on stdout (stderr for errors): easy to ship to any log system. */
export function jsonLogger(options: { quiet?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const entry = (level: string, message: string | undefined, fields: LogFields = {}) => {
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
    write(JSON.stringify({ t: new Date().toISOString(), level, ...(message === undefined ? {} : { msg: message }), ...clean }));
  };
  return {
    info: (message, fields) => !options.quiet && entry('info', message, fields),
    warn: (message, fields) => !options.quiet && entry('warn', message, fields),
    error: (message, fields) => entry('error', message, fields),
    request: (fields) => !options.quiet && entry('request', undefined, fields),
  };
}
