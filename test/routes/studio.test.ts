import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeStudio } from '../specs/studio.spec.ts';

/** The Studio's routes (test/specs/studio.spec.ts) on Node: sessions, previews, versions and the built page. */
describeStudio(nodeRuntime());
