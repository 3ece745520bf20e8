/**
 * A column of strings kept as the Arrow file's UTF-8 bytes and offsets, each row decoded when asked.
 * A segment loaded from disk to be scanned needs only its top hits' ids and metadata: decoding every
 * row made thousands of strings per load that outlived the young generation while the segment was
 * hot, and a search that loads warm partitions paid for them in old-generation collections.
 */

export class Utf8Column {
  readonly length: number;
  readonly #bytes: Buffer;
  /** length + 1 offsets into `#bytes`: row r is [offsets[r], offsets[r + 1]). */
  readonly #offsets: Int32Array;

  /** `bytes` and `offsets` are used in place (views into the file's bytes), never copied. */
  constructor(bytes: Uint8Array, offsets: Int32Array, length: number) {
    if (offsets.length < length + 1) throw new Error('Utf8Column: fewer offsets than rows + 1');
    this.length = length;
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offsets = offsets;
  }

  /**
   * Rows decoded so far, by row (a hot segment returns the same rows again and again; a decode costs
   * ~0.3 µs). An array, allocated at the first decode: a Map lookup cost a pinned search ~2 %.
   */
  #decoded: (string | undefined)[] | undefined;

  at(row: number): string {
    this.#decoded ??= new Array<string | undefined>(this.length);
    const decoded = this.#decoded;
    let text = decoded[row];
    if (text === undefined) {
      text = this.#bytes.toString('utf8', this.#offsets[row] as number, this.#offsets[row + 1] as number);
      decoded[row] = text;
    }
    return text;
  }

  /** UTF-8 bytes of rows [0, rows), from the offsets alone. */
  totalByteLength(rows: number): number {
    return (this.#offsets[rows] as number) - (this.#offsets[0] as number);
  }

  /** The row's UTF-8 length (what `Buffer.byteLength` of the decoded string gives). */
  byteLength(row: number): number {
    return (this.#offsets[row + 1] as number) - (this.#offsets[row] as number);
  }
}

/** A segment's ids or metadata: plain strings, or the file's bytes decoded per row. */
export type StringColumn = readonly string[] | Utf8Column;

export function stringAt(column: StringColumn, row: number): string {
  return column instanceof Utf8Column ? column.at(row) : (column[row] as string);
}

export function byteLengthAt(column: StringColumn, row: number): number {
  return column instanceof Utf8Column ? column.byteLength(row) : Buffer.byteLength(column[row] as string);
}

/** UTF-8 bytes of the column's first `rows` rows. */
export function totalByteLengthOf(column: StringColumn, rows: number): number {
  if (column instanceof Utf8Column) return column.totalByteLength(rows);
  let bytes = 0;
  for (let row = 0; row < rows; row++) bytes += Buffer.byteLength(column[row] as string);
  return bytes;
}

/** The column as plain strings (a copy). */
export function stringsOf(column: StringColumn): string[] {
  return column instanceof Utf8Column
    ? Array.from({ length: column.length }, (_, row) => column.at(row))
    : [...column];
}
