/**
 * Terminal styling that disappears when colour is off (NO_COLOR, pipes, dumb terminals), so logs
 * and CI output stay plain text.
 */

export interface Style {
  pass(text: string): string;
  fail(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain = (text: string) => text;

export function createStyle(color: boolean): Style {
  if (!color) return { pass: plain, fail: plain, dim: plain, bold: plain };
  const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
  return { pass: wrap(32, 39), fail: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
