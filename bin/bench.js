#!/usr/bin/env node
// `npm run bench`: the tinybench suites under bench/, compiled on load by tsx. Repository-only: the
// published package ships neither bench/ nor this file.
import { register } from 'tsx/esm/api';

register();
await import('../bench/main.ts');
