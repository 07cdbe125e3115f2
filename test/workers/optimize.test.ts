import { describeOptimize } from '../specs/optimize.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The optimize spec (test/specs/optimize.spec.ts) through the Worker inside workerd: allocations beside the report aggregates in the `reports` Durable Object. */
describeOptimize(workersRuntime());
