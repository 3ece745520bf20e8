/**
 * Number and time formatting shared by the command's tables: short, aligned, with units.
 */

/**
 * 12 → "12s", 90 → "1m30s", 7200 → "2h". Above a minute it rounds to whole seconds before splitting,
 * so 179.6 s reads "3m", never "2m60s".
 */
export function formatDurationS(seconds: number): string {
  if (round(seconds, 1) < 60) return `${round(seconds, 1)}s`;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${rest > 0 ? `${rest}s` : ''}`;
}

/** A latency in milliseconds with precision that suits its size. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 100) return `${Math.round(ms)}`;
  if (ms >= 10) return round(ms, 1).toFixed(1);
  return round(ms, 2).toFixed(2);
}

export function formatRate(opsPerS: number | undefined): string {
  if (opsPerS === undefined || !Number.isFinite(opsPerS)) return '-';
  return opsPerS >= 100 ? `${Math.round(opsPerS)}` : round(opsPerS, 1).toFixed(1);
}

export function formatPct(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${round(ratio * 100, 2)}%`;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A plain-text table with columns padded to their widest cell; `align` 'r' right-aligns a column. */
export function formatTable(header: string[], rows: string[][], align: string = ''): string[] {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}
