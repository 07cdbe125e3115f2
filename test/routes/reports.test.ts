import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeReports } from '../specs/reports.spec.ts';

/** The reports spec (test/specs/reports.spec.ts) on Node: the app in process, memory store. */
describeReports(nodeRuntime());
