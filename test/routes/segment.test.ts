import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeSegment } from '../specs/segment.spec.ts';

/** The Segment fidelity spec (test/specs/segment.spec.ts) on Node; the finer cases are in segment-*.test.ts beside it. */
describeSegment(nodeRuntime());
