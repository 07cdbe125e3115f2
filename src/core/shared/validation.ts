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

/** "is required (expected string)" or "expected string or number, received boolean". */
function typeMessage(expected: readonly string[], zodMessage: string): string {
  // Zod says "Invalid input: expected string, received number" without keeping the input.
  const received = /received (\w+)/.exec(zodMessage)?.[1];
  const names = expected.map(typeName).join(' or ');
  return received === undefined || received === 'undefined' ? `is required (expected ${names})` : `expected ${names}, received ${typeName(received)}`;
}

/** Messages that say what was expected and what was received, in plain words. */
function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage([issue.expected], issue.message);
    case 'invalid_union': {
      // When every alternative failed on the type alone (an id given as an object), name the types;
      // otherwise Zod's "Invalid input" is all there is, so schemas give unions their own message.
      const byType = issue.errors.map((branch) => (branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0] : undefined));
      const first = byType[0];
      if (first === undefined || !byType.every((x) => x !== undefined)) return issue.message;
      return typeMessage(
        byType.map((x) => x.expected),
        first.message,
      );
    }
    case 'invalid_key':
      // The key is already the last step of the path; say what is wrong with it.
      return issue.issues.map(messageFor).join('; ') || issue.message;
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
      if (issue.format === 'url') return 'expected an http(s) URL';
      // A pattern's own message says what it wants; Zod's default would only show the regex.
      if (issue.format === 'regex') return issue.message;
      return `expected a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** A union alternative that failed because the input is not even of its type (an object where it takes a list). */
function wrongTypeAtRoot(branch: readonly z.core.$ZodIssue[]): boolean {
  const only = branch.length === 1 ? branch[0] : undefined;
  if (only === undefined || only.path.length > 0) return false;
  return only.code === 'invalid_type' || (only.code === 'invalid_union' && only.errors.every(wrongTypeAtRoot));
}

/** An object alternative that failed because the input has a field it does not know. */
function unknownFieldAtRoot(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.some((issue) => issue.code === 'unrecognized_keys' && issue.path.length === 0);
}

/** Zod's own words for a failed union; a schema that gives its union a message of its own means it to be shown. */
const ZOD_UNION_MESSAGE = 'Invalid input';

/**
 * One issue as problems at full paths. A union whose input has the type of
 * exactly one alternative reports that alternative's own problems (each by
 * its path, all of them), not Zod's "Invalid input" at the union: a list of
 * products with one price sent as a string says `[3].price`; of object
 * alternatives, the one that knows every field the input has is meant. A
 * union with a message of its own keeps it.
 */
function problemsOf(issue: z.core.$ZodIssue, base: readonly PropertyKey[], prefix: string): Problem[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.message === ZOD_UNION_MESSAGE) {
    let candidates = issue.errors.filter((branch) => !wrongTypeAtRoot(branch));
    // Of alternatives that are all objects, the one whose fields the input has is meant (a hero entry with `split` is a split).
    if (candidates.length > 1) {
      const fitting = candidates.filter((branch) => !unknownFieldAtRoot(branch));
      if (fitting.length === 1) candidates = fitting;
    }
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only !== undefined && only.length > 0) return only.flatMap((inner) => problemsOf(inner, path, prefix));
  }
  return [{ path: formatPath(path, prefix), message: messageFor(issue) }];
}

export function problemsFrom(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.flatMap((issue) => problemsOf(issue, [], prefix));
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Parses with a schema, or throws a 400 that lists every problem by path. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string, prefix = ''): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = problemsFrom(result.error, prefix);
  throw new AppError('VALIDATION_FAILED', `invalid ${what}: ${describeProblems(problems)}`, {
    details: problems,
  });
}
