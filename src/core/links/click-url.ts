/**
 * The URL a click goes to: the product's own URL with the block's UTM
 * parameters set (replacing any of the same name, so a campaign's tagging
 * is never mixed with a stale one from the catalog).
 */
export function withParams(url: string, params: Readonly<Record<string, string>>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return url;
  try {
    const target = new URL(url);
    for (const [name, value] of entries) target.searchParams.set(name, value);
    return target.toString();
  } catch {
    return url;
  }
}
