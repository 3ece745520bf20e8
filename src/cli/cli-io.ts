/**
 * What the command writes to and reads from: two output streams, the environment and whether
 * colour is wanted. Commands take a `CliIo` instead of touching `process`, so tests run them
 * in-process and read what they printed.
 */

export interface CliOutput {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Whether stdout is a terminal (live progress line instead of one line per interval). */
  isTty: boolean;
  /** Colour on: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
  color: boolean;
  /** Where relative paths (reports/, scenario files) are resolved. */
  cwd: string;
}

export function processIo(): CliIo {
  const isTty = process.stdout.isTTY === true;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTty,
    color: isTty && !noColor && process.env.TERM !== 'dumb',
    cwd: process.cwd(),
  };
}

/** Collects output in memory (for tests and for composing tables). */
export class BufferOutput implements CliOutput {
  text = '';

  write(text: string): boolean {
    this.text += text;
    return true;
  }
}
