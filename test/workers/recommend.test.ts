import { describeRecommendations } from '../specs/recommend.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The recommendation spec (test/specs/recommend.spec.ts) through the Worker entry inside workerd: neighbours in a Durable Object. */
describeRecommendations(workersRuntime());
