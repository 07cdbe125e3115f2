import { atLeast, isProblem, requestLevel, requestLogged, type LogLevel } from '../../core/shared/logging.ts';
import type { LogFields, Logger } from '../../core/ports.ts';

export interface JsonLoggerOptions {
  /** The least severe entries written (LOG_LEVEL); default info. */
  level?: LogLevel;
  /** Errors only (the CLI, benchmarks). */
  quiet?: boolean;
  /** Share of cache-hit image opens whose request line is written (OPENTIME_REQUEST_LOG_PERCENT); default all. */
  requestPercent?: number;
  /** Where lines go; default stdout, and stderr for warnings and errors. */
  write?: (line: string, level: LogLevel) => void;
}

const standardStreams = (line: string, level: LogLevel) => (isProblem(level) ? process.stderr : process.stdout).write(`${line}\n`);

/**
 * One JSON line per entry, `{"t","level","msg",…}` with standard level names: easy to ship to
 * any log system. A request line is `"level":"info","msg":"request","type":"request"` (`error`
 * when the server answered 5xx).
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? standardStreams;
  const threshold: LogLevel = options.quiet ? 'error' : (options.level ?? 'info');
  const requestPercent = options.requestPercent ?? 100;
  const entry = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (!atLeast(level, threshold)) return;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
    write(JSON.stringify({ t: new Date().toISOString(), level, msg: message, ...clean }), level);
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
