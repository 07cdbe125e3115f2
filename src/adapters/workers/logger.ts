import type { LogFields, Logger } from '../../core/ports.ts';

/**
 * One JSON object per entry through console, which Workers Logs and
 * `wrangler tail` index by field. Same fields as the Node logger.
 */
export function consoleLogger(options: { quiet?: boolean } = {}): Logger {
  const entry = (level: 'info' | 'warn' | 'error' | 'request', message: string | undefined, fields: LogFields = {}) => {
    const clean: Record<string, unknown> = { level };
    if (message !== undefined) clean.msg = message;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
    const line = JSON.stringify(clean);
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    info: (message, fields) => !options.quiet && entry('info', message, fields),
    warn: (message, fields) => !options.quiet && entry('warn', message, fields),
    error: (message, fields) => entry('error', message, fields),
    request: (fields) => !options.quiet && entry('request', undefined, fields),
  };
}
