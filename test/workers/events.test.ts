import { describeEvents } from '../specs/events.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The events and admin spec (test/specs/events.spec.ts) through the Worker entry, each event stored in its subscriber's Durable Object. */
describeEvents(workersRuntime());
