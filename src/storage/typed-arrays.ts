/** Typed-array helpers shared by the in-memory structures that grow (segments, the id map). */

type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;

/** Copies `from` into the start of `to` (a larger array of the same type) and returns `to`. */
export function growTyped<T extends Typed>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
