import { memoryStore } from '../../src/adapters/store/memory.ts';
import { describeStore } from './contract.ts';

describeStore('memory', (options) => memoryStore(options));
