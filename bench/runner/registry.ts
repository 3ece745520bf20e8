/**
 * Every benchmark suite `npm run bench` knows, in the order they run. A suite is registered here
 * once and planned per mode; planning must be cheap (servers and temporary directories are acquired
 * in task `setup`, not in `plan`), because `--list` and filtering plan every suite.
 */

import type { RegisteredSuite } from './bench-suite.ts';

export const SUITES: readonly RegisteredSuite[] = [];
