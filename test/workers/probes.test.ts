import { describeProbes } from '../specs/probes.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The probes spec (test/specs/probes.spec.ts) through the Worker entry. */
describeProbes(workersRuntime());
