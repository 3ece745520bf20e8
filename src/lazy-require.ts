/**
 * Loads a dependency on its first use rather than when tiervec is imported, so that
 * `import('tiervec')` and the `tiervec` command start in a fraction of a second: the S3 SDK, Apache
 * Arrow and the HDR histogram build cost hundreds of milliseconds of CPU to load, and many programs
 * (a store on local disk, `tiervec --version`) need some of them late or never.
 *
 * The module is loaded with `require`, synchronously, so constructors and encoders stay synchronous.
 * Use it only for a package whose every use inside tiervec goes through this loader, or whose
 * `import` and `require` give the same instance (a CommonJS package without an `exports` map):
 * otherwise a class from one copy would fail `instanceof` against the other. It never loads anything
 * by itself: nothing happens until the returned function is called.
 */

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Returns a function that loads `specifier` on its first call and returns the same module after. */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}
