/**
 * Entry point of the `tiervec` command (bin/tiervec.js loads its compiled form from dist/; `npm run
 * loadtest` runs it through tsx). Wires the process to the command: its streams, NO_COLOR, Ctrl-C (the
 * first stops the run and still writes the partial report; a second one exits at once), and the exit
 * code.
 *
 * On Node 20 the AWS SDK prints a seven-line `NodeVersionSupportWarning` the first time an S3 client
 * is made. It says nothing about the run, so the command turns off that one warning through the SDK's
 * own switch (unless the caller set it); every other warning still reaches stderr. The library never
 * does this: an application embedding tiervec decides about its own warnings.
 */

import { processIo } from './cli-io.ts';
import { ExitCode } from './exit-codes.ts';
import { runCli } from './run-cli.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (name: NodeJS.Signals) => {
  interrupts++;
  if (interrupts > 1) process.exit(ExitCode.BROKEN);
  process.stderr.write(
    `\ntiervec: ${name}: stopping; the partial report will be written (again to quit now)\n`,
  );
  controller.abort(new Error(`interrupted by ${name}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), processIo(), { signal: controller.signal });
// Leftover handles (a socket pool, a timer) must not keep a finished command alive.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
