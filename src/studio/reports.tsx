import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { reportFor, type GalleryEntry, type Report, type VariantRow } from './report-data.ts';
import type { Json } from './block-form.tsx';
import { get } from './api.ts';
import { BlockSelect, count, counted, money, Notice, PageHead, percent, useLoad } from './ui.tsx';

/**
 * What a block earned, from `GET /v1/reports/blocks/:id`: opens by people
 * and by machines, unique people, clicks, click-to-open, conversions and
 * revenue over time; each variant with its lift; the personalised share;
 * the renders it showed. Charts are uPlot: small, fast, canvas, no CDN.
 */
const DAY_MS = 86_400_000;
const RANGES = [
  ['1', 'Last 24 hours', 'hour'],
  ['7', 'Last 7 days', 'day'],
  ['30', 'Last 30 days', 'day'],
  ['90', 'Last 90 days', 'day'],
] as const;

type Series = {
  label: string;
  field: 'opens_people' | 'opens_machines' | 'unique_people' | 'clicks' | 'unique_clickers' | 'conversions' | 'revenue';
  color: string;
  scale?: string;
  format?: (v: number) => string;
};

function Chart(props: { title: string; report: Report; series: Series[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = props.report.series.map((row) => Date.parse(row.bucket) / 1000);
    const data = [xs, ...props.series.map((s) => props.report.series.map((row) => Number(row[s.field] ?? 0)))] as uPlot.AlignedData;
    const scales: uPlot.Scales = { x: { time: true } };
    const chart = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        scales,
        legend: { show: true },
        axes: [
          { stroke: '#6b7280', grid: { stroke: '#eef0f3' } },
          { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, size: 56 },
          ...(props.series.some((s) => s.scale === 'right') ? [{ scale: 'right', side: 1, grid: { show: false }, stroke: '#6b7280', size: 64 }] : []),
        ],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            fill: `${s.color}14`,
            points: { show: xs.length < 40 },
            ...(s.scale ? { scale: s.scale } : {}),
          })),
        ],
      },
      data,
      el,
    );
    const resized = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [props.report, props.series]);
  const summary = props.series.map((s) => `${s.label}: ${props.report.series.map((r) => Number(r[s.field] ?? 0)).reduce((a, b) => a + b, 0)}`).join(', ');
  return (
    <figure class="card chart">
      <figcaption>
        <h3>{props.title}</h3>
      </figcaption>
      <div ref={host} role="img" aria-label={`${props.title} over time. Totals: ${summary}`} />
    </figure>
  );
}

const OPENS: Series[] = [
  { label: 'People', field: 'opens_people', color: '#2563eb' },
  { label: 'Machines', field: 'opens_machines', color: '#9ca3af' },
  { label: 'Unique people', field: 'unique_people', color: '#7c3aed' },
];
const CLICKS: Series[] = [
  { label: 'Clicks', field: 'clicks', color: '#059669' },
  { label: 'Unique clickers', field: 'unique_clickers', color: '#0d9488' },
];
const MONEY: Series[] = [
  { label: 'Conversions', field: 'conversions', color: '#d97706' },
  { label: 'Revenue', field: 'revenue', color: '#dc2626', scale: 'right' },
];

function Kpi(props: { label: string; value: string; hint?: string }) {
  return (
    <div class="kpi">
      <div class="kpi-label">{props.label}</div>
      <div class="kpi-value">{props.value}</div>
      {props.hint && <div class="muted small">{props.hint}</div>}
    </div>
  );
}

function lift(row: VariantRow): string {
  if (!row.lift) return row.holdout ? 'baseline' : '—';
  const { value, low, high } = row.lift;
  return `${value >= 0 ? '+' : ''}${percent(value)} (${percent(low)} to ${percent(high)})`;
}

/** The block's last distinct renders, each as it was drawn, with what it showed and its opens and clicks; before any, what it draws now. */
function Gallery(props: { block: string; variants: string[]; entries: GalleryEntry[] }) {
  const now = props.variants.length > 0 ? props.variants : [''];
  return (
    <section class="card" aria-labelledby="gallery-title">
      <h2 id="gallery-title">Render gallery</h2>
      {props.entries.length > 0 ? (
        <>
          <p class="muted small">The last distinct images people saw, newest first, whatever the period.</p>
          <div class="gallery wide">
            {props.entries.map((entry) => (
              <SeenRender key={entry.render} entry={entry} />
            ))}
          </div>
        </>
      ) : (
        <>
          <p class="muted small">
            No opens by people yet. What the block draws now{props.variants.length > 0 ? ', variant by variant' : ' for a subscriber it knows nothing about'}.
          </p>
          <div class="gallery wide">
            {now.map((variant) => (
              <DrawnNow key={variant} block={props.block} variant={variant} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function shownText(shown: GalleryEntry['shown']): string {
  if (shown.kind === 'hero') return `Variant ${shown.variant ?? ''}${shown.arm && shown.arm !== shown.variant ? `, arm ${shown.arm}` : ''}`;
  const products = (shown.products ?? []).flatMap((p) => (p ? [`${p.title} (${money(p.price, p.currency)}, ${p.source.replace(/_/g, ' ')})`] : []));
  return products.length > 0 ? products.join(' · ') : 'no products';
}

function SeenRender(props: { entry: GalleryEntry }) {
  const { entry } = props;
  const what = shownText(entry.shown);
  return (
    <figure class="seen-render">
      <img src={entry.image} alt={what} loading="lazy" />
      <figcaption class="small">
        <div>{what}</div>
        <div>
          <strong>{counted(entry.opens, 'open')}</strong> · <strong>{counted(entry.clicks, 'click')}</strong>
        </div>
        <div class="muted">last seen {new Date(entry.last_seen).toLocaleString()}</div>
      </figcaption>
    </figure>
  );
}

function DrawnNow(props: { block: string; variant: string }) {
  const render = useLoad(
    () => get<{ image: string }>(`/v1/preview/${encodeURIComponent(props.block)}.json?image=1${props.variant ? `&variant=${encodeURIComponent(props.variant)}` : ''}`),
    [props.block, props.variant],
  );
  return (
    <figure>
      {render.data ? (
        <img src={render.data.image} alt={`${props.block}${props.variant ? `, variant ${props.variant}` : ''}`} />
      ) : (
        <div class="cell-loading">{render.error || 'Drawing…'}</div>
      )}
      <figcaption class="small muted">{props.variant || 'generic'}</figcaption>
    </figure>
  );
}

function ReportView(props: { report: Report; block: Json | undefined }) {
  const { report } = props;
  const t = report.totals;
  const currency = t.currency ?? 'USD';
  const personal = report.personalised;
  const heroVariants = (report.variants ?? []).filter((v) => !v.holdout).map((v) => v.variant);
  return (
    <>
      <div class="kpis">
        <Kpi label="People who opened" value={count(t.unique_people)} hint={`${counted(t.opens_people, 'open')} by people`} />
        <Kpi label="Machine fetches" value={count(t.opens_machines)} hint="Apple prefetch, scanners: not opens" />
        <Kpi label="Clicks" value={count(t.clicks)} hint={counted(t.unique_clickers, 'person', 'people')} />
        <Kpi label="Click-to-open" value={percent(t.click_to_open)} />
        <Kpi label="Conversions" value={count(t.conversions)} hint={t.view_through ? `and ${count(t.view_through.conversions)} after an open without a click` : undefined} />
        <Kpi
          label="Revenue"
          value={money(t.revenue, currency)}
          hint={t.view_through ? `and ${money(t.view_through.revenue, t.view_through.currency ?? currency)} view-through` : undefined}
        />
      </div>
      {(report.notes ?? []).length > 0 && (
        <ul class="notice info notes-list">
          {report.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div class="charts">
        <Chart title="Opens: people and machines" report={report} series={OPENS} />
        <Chart title="Clicks" report={report} series={CLICKS} />
        <Chart title="Conversions and revenue" report={report} series={MONEY} />
      </div>
      <div class="two">
        {personal && (
          <section class="card" aria-labelledby="personal-title">
            <h2 id="personal-title">Personalised</h2>
            <p class="big-figure">
              <strong>{percent(personal.share)}</strong>{' '}
              <span class="muted">
                of {counted(personal.opens, 'open')} by people {personal.opens === 1 ? 'was' : 'were'} personal
              </span>
            </p>
            <p class="muted small">
              {count(personal.personal)} personal · {count(personal.generic)} generic · {count(personal.fallback)} fallback
            </p>
            {Object.keys(personal.why_not ?? {}).length > 0 && (
              <>
                <h3>Why the others were not</h3>
                <ul class="bars">
                  {Object.entries(personal.why_not).map(([why, n]) => (
                    <li key={why}>
                      <span>{why.replace(/_/g, ' ')}</span> <strong>{count(n)}</strong>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        )}
        {report.machines && Object.keys(report.machines).length > 0 && (
          <section class="card" aria-labelledby="machines-title">
            <h2 id="machines-title">Who fetched the image</h2>
            <ul class="bars">
              {Object.entries(report.machines).map(([name, m]) => (
                <li key={name}>
                  <span>
                    {name.replace(/_/g, ' ')}
                    {m.counted_as_people ? ' (counted as people)' : ''}
                  </span>{' '}
                  <strong>{count(m.opens)}</strong>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
      {(report.variants ?? []).length > 0 && (
        <section class="card" aria-labelledby="variants-title">
          <h2 id="variants-title">Variants</h2>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col" class="num">
                  People
                </th>
                <th scope="col" class="num">
                  Clicks
                </th>
                <th scope="col" class="num">
                  Click-to-open
                </th>
                <th scope="col" class="num">
                  Conversion
                </th>
                <th scope="col" class="num">
                  Revenue
                </th>
                <th scope="col" class="num">
                  Lift over holdout (interval)
                </th>
                <th scope="col" class="num">
                  Chance best
                </th>
              </tr>
            </thead>
            <tbody>
              {report.variants.map((v) => (
                <tr key={v.variant}>
                  <th scope="row">
                    {v.variant}
                    {v.holdout && <span class="badge">holdout</span>}
                    {!v.enough_data && <span class="badge warn">too few yet</span>}
                  </th>
                  <td class="num">{count(v.unique_people)}</td>
                  <td class="num">{count(v.clicks)}</td>
                  <td class="num">{percent(v.click_to_open)}</td>
                  <td class="num">{percent(v.conversion_rate)}</td>
                  <td class="num">{money(v.revenue, v.currency ?? currency)}</td>
                  <td class="num">{lift(v)}</td>
                  <td class="num">{percent(v.probability_best)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {report.scope.block && <Gallery block={report.scope.block} variants={props.block?.kind === 'hero' ? heroVariants : []} entries={report.gallery ?? []} />}
    </>
  );
}

export function ReportsPage(props: { initialBlock?: string | undefined }) {
  const [blockId, setBlockId] = useState(props.initialBlock ?? '');
  const [range, setRange] = useState<string>('7');
  const [message, setMessage] = useState('');
  const chosen = RANGES.find(([days]) => days === range) ?? RANGES[1];
  const block = useLoad(() => (blockId ? get<Json>(`/v1/blocks/${encodeURIComponent(blockId)}`) : Promise.resolve(undefined)), [blockId]);
  const report = useLoad(() => {
    if (!blockId) return Promise.resolve(undefined);
    const to = new Date();
    return reportFor(blockId, new Date(to.getTime() - Number(chosen[0]) * DAY_MS), to, chosen[2], message || undefined);
  }, [blockId, range, message]);
  return (
    <>
      <PageHead title="Reports" lead="Opens by people (not machines), clicks, click-to-open and what they earned." />
      <div class="card controls">
        <div class="row">
          <BlockSelect value={blockId} onChange={setBlockId} id="report-block" />
          <div class="field">
            <label for="report-range">Period</label>
            <select id="report-range" value={range} onChange={(e) => setRange(e.currentTarget.value)}>
              {RANGES.map(([days, label]) => (
                <option key={days} value={days}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="report-message">Campaign (message id)</label>
            <input id="report-message" value={message} onChange={(e) => setMessage(e.currentTarget.value)} placeholder="all" />
          </div>
          <div class="field end">
            <button type="button" class="ghost" onClick={report.reload}>
              Refresh
            </button>
          </div>
        </div>
      </div>
      <Notice kind="error">{report.error}</Notice>
      {report.data && <ReportView report={report.data} block={block.data} />}
    </>
  );
}
