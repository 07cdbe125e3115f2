import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeParts } from '../specs/parts.spec.ts';

/** The parts spec (test/specs/parts.spec.ts) on Node: the app in process, memory store, sharp and resvg. */
describeParts(nodeRuntime());
