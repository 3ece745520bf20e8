/**
 * Where reports go: `reports/<scenario>-<timestamp>/` by default, one timestamp per command so a
 * suite's reports and its summary sort together. Timestamps are UTC and file-name safe
 * (`20250102T030405Z`).
 */

import path from 'node:path';

export const REPORTS_DIR = 'reports';

export function reportTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `<root>/<name>-<timestamp>`, resolved against `cwd`. */
export function reportDir(cwd: string, root: string | undefined, name: string, timestamp: string): string {
  return path.resolve(cwd, root ?? REPORTS_DIR, `${name}-${timestamp}`);
}

/** A path as the user would type it from `cwd`. */
export function shownPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
