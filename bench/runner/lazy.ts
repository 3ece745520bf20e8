/**
 * A resource a benchmark acquires on first use and releases once: a server, a temporary directory,
 * a store. Plans stay cheap to build (filters and `--list` plan every suite) because nothing is
 * acquired until a selected task's `setup` asks for it.
 */

export interface Lazy<T> {
  /** Acquires on the first call; later calls share the same promise. */
  get(): Promise<T>;
  /** Releases what was acquired, if anything; safe to call more than once. */
  release(): Promise<void>;
}

export function lazy<T>(acquire: () => Promise<T>, dispose: (value: T) => Promise<void> | void): Lazy<T> {
  let acquired: Promise<T> | undefined;
  return {
    get: () => {
      acquired ??= acquire();
      return acquired;
    },
    release: async () => {
      const pending = acquired;
      acquired = undefined;
      if (pending === undefined) return;
      // A failed acquisition has nothing to dispose of; its error was already reported by `get`.
      const value = await pending.then(
        (v) => ({ ok: true as const, v }),
        () => ({ ok: false as const }),
      );
      if (value.ok) await dispose(value.v);
    },
  };
}
