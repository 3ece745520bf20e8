/** Test helper: the routing index of the newest manifest a collection published to the mock S3. */

import { RoutingIndex, type RoutingIndexJson } from '../../../../src/storage/partition/routing-index.ts';
import { RemoteLayout } from '../../../../src/storage/remote/remote-layout.ts';

/** The newest manifest's routing index of collection `name` (tenant default), read from the mock's objects. */
export function remoteRouting(
  mock: { keys(): string[]; peek(key: string): Uint8Array | undefined },
  dimension: number,
  name = 'docs',
): RoutingIndex {
  const layout = new RemoteLayout('default', name);
  const key = mock
    .keys()
    .filter((k) => layout.manifestVersionOf(k) !== undefined)
    .sort()
    .at(-1) as string;
  const manifest = JSON.parse(Buffer.from(mock.peek(key) as Uint8Array).toString('utf8')) as {
    routing: RoutingIndexJson;
  };
  return RoutingIndex.fromJSON(manifest.routing, dimension);
}
