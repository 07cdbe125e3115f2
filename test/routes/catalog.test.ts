import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeCatalog } from '../specs/catalog.spec.ts';

/** The catalog, block and template admin spec (test/specs/catalog.spec.ts) on Node. */
describeCatalog(nodeRuntime());
