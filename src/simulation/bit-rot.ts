/**
 * The bit-rot fault of the simulation: while no process runs (between a crash and the recovery from
 * the local directory), one digit of a collection's newest local manifest turns into another digit.
 * A changed digit keeps the JSON valid and every field well-typed, which is the damage a store is
 * most likely to accept silently (a `sealedLsn` one higher drops acknowledged writes; a size or a
 * segment number one off names the wrong bytes). The store must refuse such a manifest with
 * CORRUPT_DATA; the operator then restores from the object store onto a new directory.
 *
 * Every choice comes from the seeded `Rng` it is given. It writes only below `root`, with plain
 * `node:fs` (the damage is on the disk, not an operation of the store).
 */

import * as nodeFs from 'node:fs';
import { join, relative } from 'node:path';
import type { Rng } from '../random.ts';

/** Chance that a recovery from the local directory finds a damaged manifest. */
export const BIT_ROT_PROBABILITY = 0.1;

const MANIFEST_FILE = /^\d{20}\.json$/;
const ZERO = 0x30;

export interface BitRot {
  /** The damaged file, relative to the store's directory. */
  file: string;
  offset: number;
  from: string;
  to: string;
}

/** With `BIT_ROT_PROBABILITY`, damages one digit of one collection's newest manifest under `root`. */
export function maybeRotManifest(root: string, rng: Rng): BitRot | undefined {
  if (rng.next() >= BIT_ROT_PROBABILITY) return undefined;
  const manifests = newestManifests(root);
  if (manifests.length === 0) return undefined;
  const path = manifests[rng.nextInt(manifests.length)] as string;
  const bytes = nodeFs.readFileSync(path);
  const digits: number[] = [];
  bytes.forEach((byte, offset) => {
    if (byte >= ZERO && byte <= ZERO + 9) digits.push(offset);
  });
  if (digits.length === 0) return undefined;
  const offset = digits[rng.nextInt(digits.length)] as number;
  const from = (bytes[offset] as number) - ZERO;
  const to = (from + 1 + rng.nextInt(9)) % 10;
  bytes[offset] = ZERO + to;
  nodeFs.writeFileSync(path, bytes);
  return { file: relative(root, path), offset, from: String(from), to: String(to) };
}

/** The newest `manifest/{version}.json` of every collection directory under `root/tenants`. */
function newestManifests(root: string): string[] {
  const found: string[] = [];
  for (const tenant of entries(join(root, 'tenants'))) {
    for (const collection of entries(join(root, 'tenants', tenant, 'collections'))) {
      const dir = join(root, 'tenants', tenant, 'collections', collection, 'manifest');
      const newest = entries(dir)
        .filter((name) => MANIFEST_FILE.test(name))
        .sort()
        .at(-1);
      if (newest !== undefined) found.push(join(dir, newest));
    }
  }
  return found;
}

function entries(dir: string): string[] {
  return nodeFs.existsSync(dir) ? nodeFs.readdirSync(dir).sort() : [];
}
