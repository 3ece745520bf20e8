#!/usr/bin/env node
// `npm run bench`: the tinybench suites under bench/, compiled on load by tsx.
import { register } from 'tsx/esm/api';

register();
await import('../bench/main.ts');
