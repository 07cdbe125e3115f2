import { atLeast, requestLevel, requestLogged, type LogLevel } from '../../core/shared/logging.ts';
import type { LogFields, Logger } from '../../core/ports.ts';

/**
 * One JSON object per entry through console, which Workers Logs and
 * `wrangler tail` index by field, at console's method for its level (so
 * errors and warnings are marked as such). Same fields as the Node logger.
 */
export function consoleLogger(options: { level?: LogLevel; quiet?: boolean; requestPercent?: number } = {}): Logger {
  const threshold: LogLevel = options.quiet ? 'error' : (options.level ?? 'info');
  const requestPercent = options.requestPercent ?? 100;
  const entry = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (!atLeast(level, threshold)) return;
    const clean: Record<string, unknown> = { level, msg: message };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
    const line = JSON.stringify(clean);
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else if (level === 'debug') console.debug(line);
    else console.log(line);
  };
  return {
    debug: (message, fields) => entry('debug', message, fields),
    info: (message, fields) => entry('info', message, fields),
    warn: (message, fields) => entry('warn', message, fields),
    error: (message, fields) => entry('error', message, fields),
    request: (fields) => {
      if (requestLogged(fields, requestPercent)) entry(requestLevel(fields.status), 'request', { type: 'request', ...fields });
    },
  };
}
