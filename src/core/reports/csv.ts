import type { Metrics, Report } from './report.ts';

/**
 * A report as CSV (RFC 4180) for a spreadsheet: one row for the totals, one
 * per bucket, per variant and (a send's) per block, with the same columns;
 * `row` says which a row is.
 */
const COLUMNS = [
  'opens_people',
  'opens_machines',
  'unique_people',
  'clicks',
  'unique_clickers',
  'click_to_open',
  'conversions',
  'revenue',
  'currency',
  'view_through_conversions',
  'view_through_revenue',
] as const;
const VARIANT_COLUMNS = ['conversion_rate', 'revenue_per_thousand_opens', 'lift', 'lift_low', 'lift_high', 'probability_best', 'enough_data', 'share'] as const;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A leading = + - @ would be read as a formula by spreadsheets.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function metricCells(m: Metrics): unknown[] {
  return [
    m.opens_people,
    m.opens_machines,
    m.unique_people,
    m.clicks,
    m.unique_clickers,
    m.click_to_open,
    m.conversions,
    m.revenue,
    m.currency,
    m.view_through.conversions,
    m.view_through.revenue,
  ];
}

export function reportCsv(report: Report): string {
  const lines = [['row', 'key', ...COLUMNS, ...VARIANT_COLUMNS].join(',')];
  const blank = VARIANT_COLUMNS.map(() => '');
  const push = (row: string, key: string, cells: unknown[]) => lines.push([row, key, ...cells].map(cell).join(','));
  push('total', '', [...metricCells(report.totals), ...blank]);
  for (const s of report.series) push(report.by, s.bucket, [...metricCells(s), ...blank]);
  for (const v of report.variants) {
    push('variant', v.variant, [
      ...metricCells(v),
      v.conversion_rate,
      v.revenue_per_thousand_opens,
      v.lift?.value,
      v.lift?.low,
      v.lift?.high,
      v.probability_best,
      v.enough_data,
      v.share,
    ]);
  }
  for (const b of report.blocks ?? []) push('block', b.block, [...metricCells(b), ...blank]);
  return `${lines.join('\r\n')}\r\n`;
}
