import { describeCatalog } from '../specs/catalog.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The catalog, block and template admin spec (test/specs/catalog.spec.ts) on Workers, against the Durable Object store. */
describeCatalog(workersRuntime());
