import { describeStudio } from '../specs/studio.spec.ts';
import { workersRuntime } from './helpers/runtime.ts';

/** The Studio's routes (test/specs/studio.spec.ts) inside workerd: stateless sessions any isolate accepts, previews, versions, the page from the static-assets binding. */
describeStudio(workersRuntime());
