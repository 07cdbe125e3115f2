import { describeReports } from '../specs/reports.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The reports spec (test/specs/reports.spec.ts) through the Worker inside workerd: report aggregates in the `reports` Durable Object. */
describeReports(workersRuntime());
