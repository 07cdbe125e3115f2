import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeBanner } from '../specs/banner.spec.ts';

/** The banner spec (test/specs/banner.spec.ts) on Node: the app in process, memory store, sharp and resvg. */
describeBanner(nodeRuntime());
