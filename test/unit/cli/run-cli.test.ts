import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput, type CliIo, processIo } from '../../../src/cli/cli-io.ts';
import { ExitCode, exitCodeFor } from '../../../src/cli/exit-codes.ts';
import { runCli } from '../../../src/cli/run-cli.ts';
import { createStyle } from '../../../src/cli/style.ts';
import { ErrorCode, TierVecError } from '../../../src/errors.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function io(cwd = ROOT, color = false): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(), stderr: new BufferOutput(), isTty: false, color, cwd };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tiervec-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiervec --help', () => {
  const commands = [
    [],
    ['loadtest'],
    ['loadtest', 'short'],
    ['loadtest', 'full'],
    ['loadtest', 'run'],
    ['loadtest', 'list'],
    ['loadtest', 'compare'],
    ['loadtest', 'merge'],
    ['loadtest', 'capacity'],
  ];
  for (const command of commands) {
    it(`prints usage and exits 0 for \`tiervec ${command.join(' ')} --help\``, async () => {
      const cli = io();
      expect(await runCli([...command, '--help'], cli)).toBe(0);
      expect(cli.stdout.text).toMatch(/^Usage: tiervec/);
      if (command.length > 0) expect(cli.stdout.text).toContain('Exit codes:');
    });
  }
});

describe('usage errors exit 2 with one line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['loadtest', 'rnu'], /unknown command 'rnu'/],
    ['an unknown option', ['loadtest', 'run', 'smoke', '--rat', '5'], /unknown option '--rat'/],
    [
      'a negative rate',
      ['loadtest', 'run', 'smoke', '--rate', '-5'],
      /'--rate <n>' argument '-5' is invalid/,
    ],
    [
      'a duration that is not a number',
      ['loadtest', 'run', 'smoke', '--duration-s', 'ten'],
      /argument 'ten' is invalid/,
    ],
    ['a missing scenario', ['loadtest', 'run'], /missing required argument 'scenario'/],
    [
      '--short with --full',
      ['loadtest', 'run', 'smoke', '--short', '--full'],
      /at most one of --short and --full/,
    ],
    [
      'an unknown object store',
      ['loadtest', 'run', 'smoke', '--object-store', 'gcs'],
      /Allowed choices are mock, local, s3rver, s3/,
    ],
    [
      's3 without a bucket',
      ['loadtest', 'run', 'smoke', '--object-store', 's3'],
      /without a bucket: pass --s3-bucket/,
    ],
    [
      '--only naming no shipped scenario',
      ['loadtest', 'short', '--only', 'smok'],
      /Expected --only to name shipped scenarios/,
    ],
    [
      'a scenario that does not exist',
      ['loadtest', 'run', 'no_such'],
      /scenarios\/no_such\.toml: no such scenario file/,
    ],
    ['capacity without its SLO', ['loadtest', 'capacity', 'smoke'], /required option '--p99-ms-max <n>'/],
  ];
  for (const [name, argv, message] of cases) {
    it(`rejects ${name}`, async () => {
      const cli = io();
      expect(await runCli(argv, cli)).toBe(ExitCode.USAGE);
      expect(cli.stderr.text).toMatch(message);
      expect(cli.stderr.text).not.toMatch(/\n\s+at /);
      expect(cli.stdout.text).toBe('');
    });
  }
});

const SMOKE = await readFile(path.join(ROOT, 'scenarios/smoke.toml'), 'utf8');

/** Each broken file: a change to the shipped smoke scenario, and the `file:line: key` it must name. */
const BROKEN: Array<{ name: string; find: string; replace: string; key: string }> = [
  {
    name: 'an unknown key',
    find: 'in_flight_max = 5',
    replace: 'in_flight_max = 5\nclients = 5',
    key: 'load.clients: unknown key',
  },
  {
    name: 'a wrong type',
    find: 'rate = 10',
    replace: 'rate = "ten"',
    key: 'load.profile.rate: expected a number >= 0',
  },
  {
    name: 'weights summing to 0',
    find: 'search = 50\ninsert = 20\nupdate = 10\ndelete = 5\nmetadata = 10\nflush = 5',
    replace: 'search = 0\ninsert = 0',
    key: 'mix.search: expected operation weights summing to more than 0',
  },
  {
    name: 'a negative rate',
    find: 'rate = 10',
    replace: 'rate = -10',
    key: 'load.profile.rate: expected a number >= 0',
  },
  {
    name: 'a spike outside the run',
    find: 'kind = "constant"\nrate = 10',
    replace: 'kind = "spike"\nrate = 10\nspike_rate = 50\nstart_pct = 80\nlength_pct = 30',
    key: 'load.profile.length_pct: the spike runs from 80% to 110%',
  },
];

describe('broken scenario files exit 2 naming file, line and key', () => {
  for (const { name, find, replace, key } of BROKEN) {
    it(`rejects ${name}`, async () => {
      expect(SMOKE).toContain(find);
      const text = SMOKE.replace(find, replace);
      const file = path.join(dir, `${name.replaceAll(' ', '-')}.toml`);
      await writeFile(file, text);
      const keyPath = key.slice(0, key.indexOf(':'));
      const leaf = keyPath.slice(keyPath.lastIndexOf('.') + 1);
      const line =
        text.split('\n').findIndex((row) => row.startsWith(`${leaf} =`) || row.startsWith(`${leaf}=`)) + 1;
      expect(line).toBeGreaterThan(0);
      const cli = io(dir);
      expect(await runCli(['loadtest', 'run', file, '--duration-s', '1'], cli)).toBe(ExitCode.USAGE);
      expect(cli.stderr.text.startsWith(`tiervec: ${file}:${line}: ${key}`), cli.stderr.text).toBe(true);
      expect(cli.stderr.text.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('rejects a byte size beyond the safe integer range before the run starts, naming file, line and key', async () => {
    const text = `${SMOKE.trimEnd()}\n[target.tiering]\nhot_bytes_max = "99999999999TiB"\n`;
    const file = path.join(dir, 'huge-size.toml');
    await writeFile(file, text);
    const line = text.split('\n').indexOf('hot_bytes_max = "99999999999TiB"') + 1;
    const cli = io(dir);
    expect(await runCli(['loadtest', 'run', file, '--duration-s', '1'], cli)).toBe(ExitCode.USAGE);
    expect(cli.stderr.text, cli.stderr.text).toMatch(
      new RegExp(`^tiervec: ${file.replaceAll('.', '\\.')}:${line}: target\\.tiering\\.hot_bytes_max: `),
    );
    expect(cli.stderr.text.trimEnd().split('\n')).toHaveLength(1);
    // Nothing of the run was printed: the file was refused while it was read.
    expect(cli.stdout.text).toBe('');
  });

  it('adds the stack trace under --verbose', async () => {
    const file = path.join(dir, 'verbose.toml');
    await writeFile(file, SMOKE.replace('rate = 10', 'rate = -10'));
    const cli = io(dir);
    expect(await runCli(['loadtest', 'run', file, '--verbose'], cli)).toBe(ExitCode.USAGE);
    expect(cli.stderr.text).toMatch(/load\.profile\.rate/);
    expect(cli.stderr.text).toMatch(/\n\s+at /);
  });
});

describe('tiervec loadtest list', () => {
  it('prints every shipped scenario with its short and full durations', async () => {
    const cli = io();
    expect(await runCli(['loadtest', 'list'], cli)).toBe(0);
    const lines = cli.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+short\s+full\s+description/);
    expect(lines.length).toBeGreaterThanOrEqual(17);
    expect(cli.stdout.text).toMatch(/^soak\s+10s\s+2h\s+Soak/m);
  });

  it('uses colour only when asked, and never under NO_COLOR', async () => {
    const colored = io(ROOT, true);
    await runCli(['loadtest', 'list'], colored);
    expect(colored.stdout.text).toContain('\u001b[1m');
    const plain = io(ROOT, false);
    await runCli(['loadtest', 'list'], plain);
    expect(plain.stdout.text).not.toContain('\u001b[');
    expect(createStyle(false).fail('x')).toBe('x');
  });
});

describe('processIo', () => {
  const saved = { noColor: process.env.NO_COLOR, isTty: process.stdout.isTTY, term: process.env.TERM };
  afterEach(() => {
    if (saved.noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved.noColor;
    process.env.TERM = saved.term;
    process.stdout.isTTY = saved.isTty;
  });

  it('turns colour on for a terminal and off when NO_COLOR is set', () => {
    process.stdout.isTTY = true;
    process.env.TERM = 'xterm';
    delete process.env.NO_COLOR;
    expect(processIo().color).toBe(true);
    process.env.NO_COLOR = '1';
    expect(processIo().color).toBe(false);
    process.stdout.isTTY = false;
    delete process.env.NO_COLOR;
    expect(processIo().color).toBe(false);
  });
});

describe('exitCodeFor', () => {
  it('maps scenario and argument errors to 2 and anything else to 3', () => {
    expect(exitCodeFor(new TierVecError(ErrorCode.SCENARIO_INVALID, 'x'))).toBe(2);
    expect(exitCodeFor(new TierVecError(ErrorCode.INVALID_ARGUMENT, 'x'))).toBe(2);
    expect(exitCodeFor(new TierVecError(ErrorCode.OBJECT_STORE, 'x'))).toBe(3);
    expect(exitCodeFor(new Error('boom'))).toBe(3);
  });
});
