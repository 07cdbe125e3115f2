import { gridLayout, heroLayout, rowLayout } from '../render/grid-layout.ts';
import type { Problem } from '../shared/validation.ts';
import { parseHtml } from './html.ts';
import { TEMPLATE_MAX_CHARS, type TemplateEngine } from './liquid.ts';

/**
 * Checks that go beyond the schema, shared by the admin API and the CLI: a
 * template must parse, render with sample data and produce HTML opentime can
 * draw; a block must name a template that exists and rules that can run.
 */
const SAMPLE_BLOCK = { size: { width: 600, height: 300 }, slots: 3, params: { headline: 'Sample headline', cta: 'Shop now', subheadline: '' } } as const;

function sampleScope(): object {
  const layout = gridLayout(SAMPLE_BLOCK);
  const product = (n: number) => ({
    id: `sample-${n}`,
    title: `Sample product ${n}`,
    price: 49,
    sale_price: 39,
    on_sale: n === 1,
    currency: 'USD',
    url: 'https://shop.example.com/',
    image_url: `https://cdn.example.com/sample-${n}.png`,
    source: 'cart',
    slot: n,
  });
  return {
    block: { id: 'sample', width: 600, height: 300, slots: 3 },
    params: { ...SAMPLE_BLOCK.params, accent: '#d33c3c', background: '#ffffff', text: '#111111', muted: '#6b7280', locale: 'en-US', show_price: true },
    layout: { ...layout, ...heroLayout(SAMPLE_BLOCK.size, '#111111', true) },
    rows: rowLayout(SAMPLE_BLOCK, layout),
    products: [product(1), product(2), product(3)],
    variant: {
      id: 'sample',
      headline: 'Sample headline',
      subcopy: 'Sample sub-copy',
      cta: 'Shop now',
      url: 'https://shop.example.com/',
      background: { image: 'https://cdn.example.com/hero.png', color: '#123456' },
    },
    now: new Date(0).toISOString(),
  };
}

export async function templateProblems(engine: TemplateEngine, source: string): Promise<Problem[]> {
  if (source.length > TEMPLATE_MAX_CHARS) return [{ path: '(template)', message: `is ${source.length} characters; the limit is ${TEMPLATE_MAX_CHARS}` }];
  let html: string;
  try {
    engine.parse(`validate:${source.length}:${source}`, source);
    html = await engine.render(`validate:${source.length}:${source}`, source, sampleScope());
  } catch (error) {
    return [{ path: '(template)', message: `Liquid: ${(error as Error).message}` }];
  }
  const { problems, markup } = parseHtml(html);
  return problems.map((message, i) => ({ path: '(template)', message: `${message}${whereInSource(source, markup[i])}` }));
}

/**
 * Where the markup a problem is about is written in the template, as Liquid
 * says it (` (line:3, col:7)`): the HTML checked is Liquid's output, so the
 * first place the same markup appears in the source is the best guess.
 */
function whereInSource(source: string, markup: string | undefined): string {
  if (markup === undefined) return '';
  const at = source.indexOf(markup.trim());
  if (at === -1) return '';
  const before = source.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return ` (line:${line}, col:${column})`;
}
