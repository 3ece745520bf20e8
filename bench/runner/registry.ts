/**
 * Every benchmark suite `npm run bench` knows, in the order they run. A suite is registered here
 * once and planned per mode; planning must be cheap (servers and temporary directories are acquired
 * in task `setup`, not in `plan`), because `--list` and filtering plan every suite.
 */

import { loadHarnessSuite } from '../loadtest/harness-suite.ts';
import { objectStoreSuite } from '../object-store/object-store-suite.ts';
import { s3rverTarget } from '../object-store/s3rver-target.ts';
import { uploadsSuite } from '../uploaders/uploads-suite.ts';
import type { RegisteredSuite } from './bench-suite.ts';
import { partitionsSuite } from './partitions-suite.ts';
import { replicasSuite } from './replicas-suite.ts';
import { startupSuite } from './startup-suite.ts';
import { storageSuite } from './storage-suite.ts';
import { tiersSuite } from './tiers-suite.ts';

export const SUITES: readonly RegisteredSuite[] = [
  uploadsSuite,
  objectStoreSuite({ extra: [s3rverTarget] }),
  storageSuite,
  tiersSuite,
  startupSuite,
  partitionsSuite,
  replicasSuite,
  loadHarnessSuite,
];
