import { describeBanner } from '../specs/banner.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The banner spec (test/specs/banner.spec.ts) through the Worker entry inside workerd: Durable Objects, resvg-wasm, the Cache API. */
describeBanner(workersRuntime());
