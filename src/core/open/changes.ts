import type { StoredBlock } from '../blocks/schema.ts';
import type { Product } from '../catalog/product.ts';
import { atWork, type KindsAtWork } from '../kinds/registry.ts';
import type { BlockStore, Logger } from '../ports.ts';
import { describeError } from '../shared/errors.ts';
import type { Lookups } from '../content/lookups.ts';

export interface ContentChangeDeps {
  lookups: Lookups;
  kinds: KindsAtWork;
  store: Pick<BlockStore, 'listBlocks'>;
  /** Whether this instance composites grids from layers drawn ahead (else there is nothing to prepare). */
  drawsAhead: boolean;
  background(work: Promise<unknown>): void;
  logger: Logger;
  /** What this instance answered before the change is not answered again (answer-memo.ts). */
  answersChanged?(): void;
}

/**
 * What follows a change to the catalog or a block, once the store has it:
 * this instance's read caches take the change at once (other instances see
 * it when their short-lived entries expire), and what opens will composite
 * is drawn ahead, off the request path, by each block's kind: after a
 * catalog change the changed products' tiles, after a block change its
 * generic decision. One batch at a time, and only while the layer cache has
 * room, so a large catalog does not evict what opens are using.
 */
export class ContentChanges {
  private readonly deps: ContentChangeDeps;
  private preparing: Promise<void> = Promise.resolve();

  constructor(deps: ContentChangeDeps) {
    this.deps = deps;
  }

  catalogChanged(products: readonly Product[]): void {
    this.deps.lookups.productsChanged(products);
    this.deps.answersChanged?.();
    this.prepare(async () => this.deps.store.listBlocks(), products);
  }

  productsDeleted(ids: readonly string[]): void {
    this.deps.lookups.productsDeleted(ids);
    this.deps.answersChanged?.();
  }

  blockChanged(stored: StoredBlock): void {
    this.deps.lookups.blockChanged(stored);
    this.deps.answersChanged?.();
    this.prepare(async () => [stored], undefined);
  }

  blockDeleted(id: string): void {
    this.deps.lookups.blockDeleted(id);
    this.deps.answersChanged?.();
  }

  /** Resolves when what was asked to be drawn ahead so far is drawn (tests, the bench). */
  prepared(): Promise<void> {
    return this.preparing;
  }

  private prepare(blocks: () => Promise<StoredBlock[]>, products: readonly Product[] | undefined): void {
    if (!this.deps.drawsAhead) return;
    const work = async () => {
      for (const stored of await blocks()) {
        await atWork(this.deps.kinds, stored.config).prepare?.(stored, products);
      }
    };
    this.preparing = this.preparing.then(work).catch((error: unknown) => this.deps.logger.warn('layers not prepared', { error: describeError(error) }));
    this.deps.background(this.preparing);
  }
}
