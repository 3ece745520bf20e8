/**
 * The hot budget bounds the process's memory, native hnswlib memory included: every hnswlib index
 * costs about 2.7 MB of native memory whatever its size, so 300 tiny segments counted at their file
 * sizes used to grow RSS by about 850 MB while stats said the hot tier held 0.5 MB. Measured in a
 * child process after garbage collection (a demoted index's native memory is returned when V8
 * collects its wrapper), so it judges memory, never speed.
 *
 * The child runs with MALLOC_MMAP_THRESHOLD_=65536. Without it glibc raises its mmap threshold after
 * the first 2.6 MB block is freed, so later index blocks come from the heap and are kept by the
 * allocator once freed: RSS then grows by about 2.3 MB per index ever read (1.8 GB here) although
 * tiervec holds none of them (the heap snapshot shows only the hot ones). README "Tiers" documents
 * the setting.
 */

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..', '..');
const CHILD = join(HERE, 'hot-budget-rss-child.ts');
const MiB = 2 ** 20;
/**
 * RSS a store may hold beyond its hot budget (the documented constant): the active segment's index
 * (one hnswlib fixed cost, 2.7 MB), up to `promotionsConcurrentMax` indexes being loaded, the
 * per-segment resident state, module code and V8 heap growth. Generous on purpose; the failure it
 * guards against is hundreds of MB.
 */
const RSS_CONSTANT_BYTES = 96 * MiB;

describe('hot budget in RSS', () => {
  it('keeps 300 tiny segments, each with an hnswlib index, within hotBytesMax plus a constant', async () => {
    const hotBytesMax = 16 * MiB;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', CHILD, '300', String(hotBytesMax)],
      {
        cwd: REPO,
        timeout: 240_000,
        maxBuffer: 1 << 20,
        env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' },
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      rssGrowthBytes: number;
      hotBytes: number;
      hotSegments: number;
      sealedSegments: number;
    };
    console.log(`300 tiny segments, hot budget 16 MiB: ${JSON.stringify(result)}`);
    expect(result.sealedSegments).toBe(300);
    expect(result.hotBytes).toBeLessThanOrEqual(hotBytesMax);
    // At 2.7 MB of native memory each, the budget holds a handful of the 300 indexes.
    expect(result.hotSegments).toBeLessThanOrEqual(Math.floor(hotBytesMax / (2.6 * MiB)));
    expect(result.rssGrowthBytes, JSON.stringify(result)).toBeLessThanOrEqual(
      hotBytesMax + RSS_CONSTANT_BYTES,
    );
  }, 300_000);
});
