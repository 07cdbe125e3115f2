import type { z } from 'zod';
import { AppError } from './errors.ts';

/** One problem in a payload or config, located by a JSON path like `batch[2].properties.price`. */
export interface Problem {
  path: string;
  message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Zod's words for types, in the words a marketer editing JSON uses. */
function typeName(name: string): string {
  return name === 'record' ? 'object' : name;
}

/** Messages that say what was expected and what was received, in plain words. */
function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // Zod says "Invalid input: expected string, received number" without keeping the input.
      const received = /received (\w+)/.exec(issue.message)?.[1];
      return received === undefined || received === 'undefined'
        ? `is required (expected ${typeName(issue.expected)})`
        : `expected ${typeName(issue.expected)}, received ${typeName(received)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `must have at most ${issue.maximum} items`
          : `must be at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'string'
        ? issue.minimum === 1
          ? 'must not be empty'
          : `must be at least ${issue.minimum} characters`
        : issue.origin === 'array'
          ? `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`
          : `must be at least ${issue.minimum}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'expected an http(s) URL' : `expected a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

export function problemsFrom(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, prefix), message: messageFor(issue) }));
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Parses with a schema, or throws a 400 that lists every problem by path. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string, prefix = ''): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = problemsFrom(result.error, prefix);
  throw new AppError('VALIDATION_FAILED', 400, `invalid ${what}: ${describeProblems(problems)}`, {
    details: problems,
  });
}
