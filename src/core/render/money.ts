/** Prices as shoppers read them in their locale; formatters are costly to build, so they are kept. */
const formatters = new Map<string, Intl.NumberFormat | null>();
const MAX_FORMATTERS = 500;

export function formatMoney(amount: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let format = formatters.get(key);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      format = null; // an unknown locale or currency still gets a readable price below
    }
    if (formatters.size < MAX_FORMATTERS) formatters.set(key, format);
  }
  return format ? format.format(amount) : `${amount.toFixed(2)} ${currency}`;
}
