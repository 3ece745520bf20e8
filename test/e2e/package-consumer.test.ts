/**
 * The package as a user installs it: `npm pack` of dist/ as built before the tests (test/global-setup.ts
 * runs `npm run build`, what `npm pack`'s prepack would run), the tarball unpacked into a new
 * project's node_modules, and there a plain ESM program, a CommonJS `require`, a TypeScript NodeNext
 * consumer typechecked without `skipLibCheck`, and `npx tiervec --version`. The runtime dependencies
 * the packed package.json declares (and only those) are linked from this repository's install, so the
 * test runs offline and without rebuilding the native HNSW addon.
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
/** npm pack of the built tree; on a busy 2-core machine that can take a minute. */
const PACK_TIMEOUT_MS = 600_000;

let project = '';

async function node(args: string[]) {
  return run(process.execPath, args, { cwd: project, timeout: 120_000 });
}

async function installTarball(tarball: string): Promise<void> {
  const modules = join(project, 'node_modules');
  await mkdir(join(modules, '.bin'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', modules]);
  await rename(join(modules, 'package'), join(modules, 'tiervec'));
  const manifest = JSON.parse(await readFile(join(modules, 'tiervec', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  // s3rver is the optional peer that `startS3rver` (used by README examples) needs.
  for (const name of [...Object.keys(manifest.dependencies), '@types/node', 's3rver']) {
    await mkdir(dirname(join(modules, name)), { recursive: true });
    await symlink(join(repo, 'node_modules', name), join(modules, name));
  }
  await symlink('../tiervec/bin/tiervec.js', join(modules, '.bin', 'tiervec'));
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'tiervec-consumer-'));
  // --ignore-scripts: prepack would rebuild dist/ (deleting it first) while other test files run it.
  const { stdout } = await run(
    'npm',
    ['pack', '--silent', '--ignore-scripts', '--pack-destination', project],
    {
      cwd: repo,
      timeout: PACK_TIMEOUT_MS,
    },
  );
  const tarball = join(project, stdout.trim().split('\n').at(-1) ?? '');
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
  await installTarball(tarball);
}, PACK_TIMEOUT_MS);

afterAll(async () => {
  if (project !== '') await rm(project, { recursive: true, force: true });
});

/** README code blocks: every ```ts block, except one whose first line is `// fragment`. */
function readmeExamples(): Array<{ line: number; heading: string; code: string }> {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const examples: Array<{ line: number; heading: string; code: string }> = [];
  const lines = text.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (line.trim() !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    const code = lines.slice(i + 1, end).join('\n');
    if (!code.startsWith('// fragment')) examples.push({ line: i + 1, heading, code });
    i = end;
  }
  return examples;
}

// The cases below are independent processes in their own files and directories, and the longest
// (the README's 20-second load test) mostly waits: they run side by side, at most vitest's
// `maxConcurrency` (5) at a time, instead of one after the other.
//
// Each example runs as written, in its own new directory, against the packed package; TypeScript
// is stripped on load by tsx (a development dependency of tiervec, not of the package).
describe.concurrent('README examples', () => {
  const tsx = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  // The example that runs a 20-second load test starts first: the others then run beside it.
  const examples = readmeExamples().sort(
    (a, b) => Number(b.code.includes('runLoadTest(')) - Number(a.code.includes('runLoadTest(')),
  );
  for (const example of examples) {
    it(`runs the example of "${example.heading}" (README.md:${example.line})`, async () => {
      const dir = join(project, `example-${example.line}`);
      await mkdir(dir);
      await writeFile(join(dir, 'example.ts'), example.code);
      const result = await run(process.execPath, ['--import', tsx, 'example.ts'], {
        cwd: dir,
        timeout: 180_000,
      }).catch((error) => error);
      expect(result.code ?? 0, `${result.stdout}\n${result.stderr}`).toBe(0);
    });
  }
});

describe.concurrent('the packed tiervec package', () => {
  it('ships compiled JavaScript, declarations, scenarios and LICENSE, and no TypeScript sources', async () => {
    const { stdout } = await run('tar', ['-tzf', (await findTarball()) ?? ''], { cwd: project });
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/scenarios/smoke.toml');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((file) => file.startsWith('package/bin/bench'))).toBe(false);
  });

  it('opens a store, inserts and searches from a plain node ESM program', async () => {
    await writeFile(
      join(project, 'esm.mjs'),
      `import { openStore } from 'tiervec';
const store = await openStore({ dir: './esm-data' });
const docs = await store.createCollection({ name: 'docs', dimension: 3, metric: 'l2' });
await docs.insert([{ id: 'a', vector: [1, 0, 0] }, { id: 'b', vector: [0, 1, 0] }]);
const hits = await docs.search([0.9, 0.1, 0], { k: 1 });
console.log(JSON.stringify(hits.map((hit) => hit.id)));
await store.close();
`,
    );
    const { stdout } = await node(['esm.mjs']);
    expect(stdout.trim()).toBe('["a"]');
  });

  it('loads with require() from CommonJS (Node loads the ES module synchronously)', async () => {
    await writeFile(
      join(project, 'cjs.cjs'),
      `const tiervec = require('tiervec');\nconsole.log(typeof tiervec.openStore, typeof tiervec.TierVecError);\n`,
    );
    const { stdout } = await node(['cjs.cjs']);
    expect(stdout.trim()).toBe('function function');
  });

  it('typechecks a TypeScript NodeNext consumer without skipLibCheck', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['consumer.ts'],
      }),
    );
    await writeFile(
      join(project, 'consumer.ts'),
      `import { isTierVecError, openStore, type SearchHit } from 'tiervec';
const store = await openStore({ dir: './ts-data' });
const docs = await store.createCollection({ name: 'docs', dimension: 3 });
await docs.insert([{ id: 'a', vector: [1, 0, 0], metadata: { lang: 'en' } }]);
const hits: SearchHit[] = await docs.search([1, 0, 0], { k: 1 });
console.log(hits.length, isTierVecError(new Error('x')));
await store.close();
`,
    );
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await node([tsc, '-p', 'tsconfig.json']).catch((error) => error);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toBe('');
  });

  it('runs the tiervec command from the package with npx', async () => {
    const { stdout } = await run('npx', ['--offline', '--no-install', 'tiervec', '--version'], {
      cwd: project,
      timeout: 120_000,
    });
    const { version } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(version);
    const list = await run('npx', ['--offline', '--no-install', 'tiervec', 'loadtest', 'list'], {
      cwd: project,
      timeout: 120_000,
    });
    expect(list.stdout).toContain('smoke');
  });
});

async function findTarball(): Promise<string | undefined> {
  const name = (await readdir(project)).find((file) => file.endsWith('.tgz'));
  return name === undefined ? undefined : join(project, name);
}
