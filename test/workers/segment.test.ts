import { describeSegment } from '../specs/segment.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The Segment fidelity spec (test/specs/segment.spec.ts) through the Worker entry, the reducer running inside each subscriber's Durable Object. */
describeSegment(workersRuntime());
