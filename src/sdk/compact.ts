/**
 * Shrinks the snippet's source without a minifier: indentation, blank lines
 * and whole-line `//` comments go. Comments are only ever on their own
 * lines in the snippet's source, so nothing inside a string or a regular
 * expression is touched.
 */
export function compactScript(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

/** FNV-1a, 32 bits: a stable ETag for the served script, computed without async crypto. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
