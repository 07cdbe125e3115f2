import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeOpenClick } from '../specs/open-click.spec.ts';

/** The open and click spec (test/specs/open-click.spec.ts) on Node: the app in process, memory store, sharp and resvg. */
describeOpenClick(nodeRuntime());
