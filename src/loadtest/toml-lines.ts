/**
 * Finds the line of a key in a TOML document, so that scenario errors can name file, line and key.
 *
 * smol-toml parses values but keeps no positions, so this scans the text the way TOML is laid out:
 * `[table]` and `[[array.of.tables]]` headers set the current path, `key = value` lines (bare,
 * quoted or dotted keys) add to it. Inline tables and multi-line values are not descended into; a
 * key inside them reports the line of the enclosing key, which is where a reader looks anyway.
 */

/** Path segments: strings for keys, numbers for indexes into arrays of tables. */
export type TomlPath = ReadonlyArray<string | number>;

/** Where a table came from: the file name shown in messages and the key → line index. */
export interface TomlSource {
  file: string;
  lines: Map<string, number>;
}

/** `group[1].profile.rate` for the path ['group', 1, 'profile', 'rate']. */
export function formatTomlPath(path: TomlPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? part : `.${part}`;
  }
  return text === '' ? '(top level)' : text;
}

const KEY_PART = `(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')`;
const ASSIGNMENT = new RegExp(String.raw`^(${KEY_PART}(?:\s*\.\s*${KEY_PART})*)\s*=(.*)$`);

/** Maps each key path (joined with '.') to its 1-based line. */
export function indexTomlLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let current: Array<string | number> = [];
  let inMultiline: string | undefined;
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const lineNumber = i + 1;
    const raw = rows[i] as string;
    if (inMultiline !== undefined) {
      if (raw.includes(inMultiline)) inMultiline = undefined;
      continue;
    }
    const line = stripComment(raw).trim();
    if (line === '') continue;
    const arrayHeader = /^\[\[\s*(.+?)\s*\]\]$/.exec(line);
    if (arrayHeader) {
      const base = parseKey(arrayHeader[1] as string);
      const baseKey = base.join('.');
      const index = arrayCounts.get(baseKey) ?? 0;
      arrayCounts.set(baseKey, index + 1);
      current = [...base, index];
      setOnce(lines, base, lineNumber);
      setOnce(lines, current, lineNumber);
      continue;
    }
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = resolveArrays(parseKey(header[1] as string), arrayCounts);
      setOnce(lines, current, lineNumber);
      continue;
    }
    const assignment = ASSIGNMENT.exec(line);
    if (assignment) {
      setOnce(lines, [...current, ...parseKey(assignment[1] as string)], lineNumber);
      inMultiline = openedMultiline((assignment[2] as string).trim());
    }
  }
  return lines;
}

/** The line of `path`, or of its nearest ancestor that has one; undefined when none does. */
export function lineOf(index: Map<string, number>, path: TomlPath): number | undefined {
  for (let length = path.length; length > 0; length--) {
    const line = index.get(path.slice(0, length).join('.'));
    if (line !== undefined) return line;
  }
  return undefined;
}

function openedMultiline(value: string): string | undefined {
  for (const fence of ['"""', "'''"]) {
    if (value.startsWith(fence) && value.indexOf(fence, 3) === -1) return fence;
  }
  return undefined;
}

function setOnce(lines: Map<string, number>, path: TomlPath, lineNumber: number): void {
  const key = path.join('.');
  if (!lines.has(key)) lines.set(key, lineNumber);
}

/** `[group.profile]` after `[[group]]` refers to the latest element of the array. */
function resolveArrays(path: string[], arrayCounts: Map<string, number>): Array<string | number> {
  const resolved: Array<string | number> = [];
  for (let i = 0; i < path.length; i++) {
    resolved.push(path[i] as string);
    const count = arrayCounts.get(path.slice(0, i + 1).join('.'));
    if (count !== undefined && i < path.length - 1) resolved.push(count - 1);
  }
  return resolved;
}

function parseKey(text: string): string[] {
  const parts: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/g;
  for (const match of text.matchAll(pattern)) {
    parts.push((match[1] ?? match[2] ?? match[3]) as string);
  }
  return parts;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}
