import { describeParts } from '../specs/parts.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The parts spec (test/specs/parts.spec.ts) through the Worker inside workerd: the open memo in the subject's Durable Object, resvg-wasm for pixels. */
describeParts(workersRuntime());
