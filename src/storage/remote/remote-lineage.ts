/**
 * A collection's lineage in the object store: the uid (`{dir}/object-store.json`) that every manifest
 * it publishes carries, so a store can tell its own manifests from those of another collection that
 * was created under the same name. The uid is written durably the first time and never changed; this
 * module must never replace an existing one.
 */

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, TierVecError } from '../../errors.ts';
import { readFileIfExists, writeFileDurable } from '../durable-file.ts';

const STATE_FILE = 'object-store.json';
const STATE_FORMAT = 'tiervec.object-store-state';

/** The lineage uid kept in `dir`; when there is none yet, `uid` (or a fresh one) is written durably. */
export async function readOrCreateLineage(dir: string, uid?: string): Promise<string> {
  const path = join(dir, STATE_FILE);
  const bytes = await readFileIfExists(path);
  if (bytes !== undefined) return parseState(bytes, path).uid;
  const fresh = uid ?? randomUUID();
  await writeFileDurable(path, Buffer.from(JSON.stringify({ format: STATE_FORMAT, uid: fresh })));
  return fresh;
}

function parseState(bytes: Buffer, path: string): { uid: string } {
  try {
    const state = JSON.parse(String(bytes)) as { format?: unknown; uid?: unknown };
    if (state.format === STATE_FORMAT && typeof state.uid === 'string' && state.uid.length > 0) {
      return { uid: state.uid };
    }
  } catch (error) {
    throw new TierVecError(ErrorCode.CORRUPT_DATA, `${path} is not valid JSON`, { cause: error });
  }
  throw new TierVecError(ErrorCode.CORRUPT_DATA, `${path} is not a tiervec object-store state file`);
}
