import { describeIdentity } from '../specs/identity.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The browser key's identity rules (test/specs/identity.spec.ts) through the Worker entry, links kept in each subscriber's Durable Object. */
describeIdentity(workersRuntime());
