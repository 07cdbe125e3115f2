import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeRecommendations } from '../specs/recommend.spec.ts';

/** The recommendation spec (test/specs/recommend.spec.ts) on Node: the app in process, memory store. */
describeRecommendations(nodeRuntime());
