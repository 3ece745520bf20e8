/**
 * Child-process scripts of the tests, bundled into one JavaScript file before a suite spawns them.
 * Under `node --import tsx` every module of a child is resolved and transformed through tsx's loader
 * thread one at a time, and a child that imports the store spends about a second (of CPU) starting;
 * the same sources bundled by esbuild (the transformer tsx itself uses, taken from tsx's own
 * dependencies) start in about a third of that. Suites that spawn dozens of children (the
 * crash-recovery rounds) pay that second per round. The bundle runs the same code: packages stay
 * external (resolved from this repository's node_modules as under tsx), only our sources are joined.
 *
 * Bundles go to a fresh directory under the repository's `tmp/` (ignored by git and the linter;
 * packages resolve from there) and are removed after the suite. It must never write anywhere else.
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { afterAll } from 'vitest';

const REPO = resolve(import.meta.dirname, '..', '..');

/** The part of esbuild's API used here (esbuild is tsx's dependency, not a direct one of ours). */
interface Esbuild {
  build(options: {
    entryPoints: string[];
    outfile: string;
    bundle: true;
    platform: 'node';
    format: 'esm';
    target: string;
    packages: 'external';
    logLevel: 'warning';
  }): Promise<unknown>;
}

function esbuild(): Esbuild {
  const fromTsx = createRequire(createRequire(join(REPO, 'package.json')).resolve('tsx'));
  return fromTsx('esbuild') as Esbuild;
}

/**
 * Registers, in the calling suite, a bundle of the script `entry` (a path to a .ts file); `path()`
 * builds it on first use and returns the .mjs file to run with plain `node`.
 */
export function useBundledChild(entry: string): { path(): Promise<string> } {
  let built: Promise<{ dir: string; file: string }> | undefined;
  afterAll(async () => {
    if (built !== undefined) await rm((await built).dir, { recursive: true, force: true });
  });
  return {
    async path() {
      built ??= (async () => {
        await mkdir(join(REPO, 'tmp'), { recursive: true });
        const dir = await mkdtemp(join(REPO, 'tmp', 'test-child-'));
        const file = join(dir, `${basename(entry, '.ts')}.mjs`);
        await esbuild().build({
          entryPoints: [entry],
          outfile: file,
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: `node${process.versions.node}`,
          packages: 'external',
          logLevel: 'warning',
        });
        return { dir, file };
      })();
      return (await built).file;
    },
  };
}
