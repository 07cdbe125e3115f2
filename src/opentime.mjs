#!/usr/bin/env node
// `npx opentime …`: the CLI (src/cli.ts) under a Node that runs TypeScript.
import { fileURLToPath } from 'node:url';

process.argv.splice(2, 0, fileURLToPath(new URL('./cli.ts', import.meta.url)));
await import('./run-with-node.mjs');
