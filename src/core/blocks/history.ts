import { formatPath } from '../shared/validation.ts';

/**
 * What changed between two versions of a block, as the JSON paths of the
 * leaves that differ (`params.headline`, `source[1].from`), for the
 * Studio's history. Arrays are compared by index; a value that became an
 * object or back is one change at its own path.
 */
export function changedPaths(before: unknown, after: unknown, path: Array<string | number> = [], out: string[] = []): string[] {
  if (Object.is(before, after)) return out;
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects = isObject(before) && isObject(after);
  if (bothArrays) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) changedPaths(before[i], after[i], [...path, i], out);
  } else if (bothObjects) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) changedPaths(before[key], after[key], [...path, key], out);
  } else {
    out.push(formatPath(path));
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
