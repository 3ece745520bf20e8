/**
 * Child process of the failures suite: writes 10 documents through a BatchUploader to a mock S3
 * whose every put fails, so all three batches end in the dead-letter queue in `argv[2]`, prints a
 * JSON summary on stdout and exits. The parent process then replays those dead letters.
 * Usage: node --import tsx test/e2e/uploaders-dead-letter-writer.ts <deadLetterDir>
 */

import { ManualClock } from '../../src/clock.ts';
import { isTierVecError } from '../../src/errors.ts';
import { MockS3ObjectStore } from '../../src/object-store/testing/mock-s3.ts';
import { BatchUploader } from '../../src/uploaders/batch-uploader.ts';
import { documents, drive } from './uploaders-support.ts';

const deadLetterDir = process.argv[2];
if (deadLetterDir === undefined) throw new Error('usage: uploaders-dead-letter-writer.ts <deadLetterDir>');

const clock = new ManualClock(0);
const mock = new MockS3ObjectStore({
  seed: 5,
  clock,
  latency: { fixedMs: 10 },
  rateLimit: false,
  failures: { always: 'ServiceUnavailable', operations: ['put'] },
});
const batches = new BatchUploader({
  objectStore: mock,
  deadLetterDir,
  dimension: 4,
  batchSizeMax: 4,
  waitMsMax: 50,
  clock,
  seed: 5,
  retry: { attemptsMax: 3, delayMsBase: 10, delayMsMax: 100 },
  circuitBreaker: { failuresMax: 100 },
});
const adds = documents('crash', 10, 4, 9).map((doc) => batches.add('docs', doc));
const results = await drive(clock, Promise.allSettled(adds), [batches.uploader]);
await drive(clock, batches.close(), [batches.uploader]);
const summary = {
  rejected: results.map((result) =>
    result.status === 'rejected' && isTierVecError(result.reason) ? result.reason.code : result.status,
  ),
  puts: mock.stats().byOperation.put.requests,
  stats: batches.stats(),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
