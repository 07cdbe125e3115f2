// Test files import the core (and so satori) directly, not through src/worker.ts:
// harfbuzz must be handed over as a compiled module before that happens.
import '../../src/adapters/workers/harfbuzz.ts';
