import { LRUCache } from 'lru-cache';
import type { ProductGridBlock } from '../blocks/schema.ts';
import { decide, isHero, shownProduct, type DecideInput, type GridDecision } from '../decide/decide.ts';
import { gridInputs } from './grid-inputs.ts';
import type { Profile } from '../profiles/profile.ts';
import { AppError } from '../shared/errors.ts';
import type { ResolvedTemplate } from '../templates/registry.ts';
import { artDeps, templatedStill, templateProblems } from './common.ts';
import { cropImage, findPart, outputRect } from '../render/slices.ts';
import { hasBehaviour, type Drawing, type Kind, type KindAtWork, type KindTools, type Showing } from './kind.ts';

/** A product whose photo would not load is left out of decisions for this long. */
const BROKEN_PHOTO_MS = 60_000;
/**
 * The parts of one open are cut from one drawing, held this long: email
 * clients fetch them together, so one composite serves all of them.
 */
const SLICED_HOLD_MS = 5_000;
/** Raw pixels of a 1200×600 block are about 2–3 MB each: a few opens at a time, not a send, are held (a Worker has 128 MB). */
const SLICED_HELD = 8;
/** What a part may be called: head, foot, text, or a slot number. */
const PART_NAME = /^(?:head|foot|text|\d{1,2})$/;

/**
 * A product grid: the subscriber's cart, viewed and trending products
 * (decide.ts), drawn with its template; cards marked data-tile are
 * composited from tiles drawn ahead. A product whose photo does not load is
 * left out and the grid decided again.
 */
export const productGrid: Kind<ProductGridBlock> = {
  formats: ['png'],
  remembers: true,
  problems: (block, templates) => templateProblems(block.template, templates),
  hasSlot: (block, slot) => slot >= 0 && slot < block.slots,
  slices: true,
  start,
};

function start(tools: KindTools): KindAtWork<ProductGridBlock> {
  const brokenPhotos = new LRUCache<string, true>({ max: 10_000, ttl: BROKEN_PHOTO_MS });
  const art = artDeps(tools);

  const inputs = (block: ProductGridBlock, version: number, profile: Profile | undefined) => gridInputs(tools, block, version, profile);

  /** Decides with the products whose photos are known to be broken left out. */
  const decideWithout = (input: DecideInput): GridDecision => decide({ ...input, unavailable: new Set(brokenPhotos.keys()) });

  async function template(block: ProductGridBlock): Promise<ResolvedTemplate> {
    const found = await tools.budget(tools.templates.get(block.template), 'reading the template');
    if (!found) throw new AppError('RENDER_FAILED', `block ${block.id} names template ${JSON.stringify(block.template)}, which does not exist`);
    return found;
  }

  const empty = (decision: GridDecision) => decision.slots.every((s) => s === null);
  const sliced = new LRUCache<string, Promise<Awaited<ReturnType<typeof tools.renderer.renderSliced>>>>({ max: SLICED_HELD, ttl: SLICED_HOLD_MS });

  /** One part of the decision's image: cut from its sliced drawing, drawn once for all the parts of an open. */
  async function partDrawing(block: ProductGridBlock, decision: GridDecision, name: string): Promise<Drawing> {
    if (!PART_NAME.test(name)) throw new AppError('PART_NOT_FOUND', `block ${block.id} has no part ${JSON.stringify(name)}`);
    const resolved = await template(block);
    const now = tools.clock.now();
    const whole = tools.renderer.gridKey(block, decision, resolved, now);
    return {
      key: `${whole}#part=${name}`,
      async draw() {
        const layout = await tools.renderer.sliceLayout(block, resolved, now);
        const rect = layout ? findPart(layout, name) : undefined;
        if (!rect) throw new AppError('PART_NOT_FOUND', `block ${block.id} has no part ${JSON.stringify(name)}`);
        let drawing = sliced.get(whole);
        if (!drawing) {
          drawing = tools.renderer.renderSliced(block, decision, resolved, now);
          sliced.set(whole, drawing);
          // A failure is not held: the next open tries again.
          drawing.then(
            (d) => (!d || 'failedProducts' in d) && sliced.delete(whole),
            () => sliced.delete(whole),
          );
        }
        const drawn = await drawing;
        if (!drawn) throw new AppError('PART_NOT_FOUND', `block ${block.id} cannot be cut into parts (its template ${block.template} marks no data-tile card per slot)`);
        if ('failedProducts' in drawn) return drawn;
        return tools.renderer.encodeImage(cropImage(drawn.image, outputRect(rect, tools.config.scale)), block);
      },
    };
  }

  function showing(block: ProductGridBlock, decision: GridDecision): Showing {
    return {
      decision,
      personal: decision.personal,
      async drawing() {
        const resolved = await template(block);
        // One moment for the key and the drawing: the key is what the template will see.
        const now = tools.clock.now();
        return { key: tools.renderer.gridKey(block, decision, resolved, now), draw: () => tools.renderer.renderGrid(block, decision, resolved, now) };
      },
      part: (name) => partDrawing(block, decision, name),
    };
  }

  return {
    async plan(stored, open) {
      const block = stored.config;
      // A locked decision is drawn as it was (one of another kind, from before the block changed, is not).
      if (open.locked && !isHero(open.locked)) return empty(open.locked) ? { nothing: true } : { ...showing(block, open.locked), known: true };
      const subjectKey = await open.subject();
      const profile = subjectKey ? await tools.budget(tools.store.getProfile(subjectKey), 'reading the profile') : undefined;
      const input = await inputs(block, stored.version, profile);
      const first = decideWithout(input);
      // Nothing to show (empty catalog, everything out of stock): the block's generic image.
      if (empty(first)) return { nothing: true };
      return {
        ...showing(block, first),
        known: hasBehaviour(profile),
        again(failedProducts) {
          for (const id of failedProducts) brokenPhotos.set(id, true);
          const next = decideWithout(input);
          return empty(next) ? undefined : showing(block, next); // every candidate's photo failed
        },
      };
    },

    still: (block, format) => templatedStill(tools, art, block, format),

    sliceLayout: async (block) => tools.renderer.sliceLayout(block, await template(block), tools.clock.now()),

    /**
     * After a catalog change the changed products' tiles (in decisions of the
     * block's slot count), after a block change its generic decision.
     */
    async prepare(stored, changedProducts) {
      const block = stored.config;
      const layers = tools.renderer.layers;
      const resolved = await tools.templates.get(block.template);
      if (!layers || !resolved) return;
      const decisions: GridDecision[] = [];
      if (changedProducts) {
        const shown = changedProducts.filter((p) => p.in_stock).map((p) => shownProduct(p, 'products'));
        for (let i = 0; i < shown.length; i += block.slots) {
          decisions.push({ kind: 'product-grid', blockId: block.id, blockVersion: stored.version, slots: shown.slice(i, i + block.slots), personal: false });
        }
      } else {
        decisions.push(decideWithout(await inputs(block, stored.version, undefined)));
      }
      for (const decision of decisions) {
        if (!layers.hasRoom()) return;
        await tools.renderer.prepareGrid(block, decision, resolved, tools.clock.now());
      }
    },
  };
}
