/**
 * A strict reader of the OpenMetrics 1.0 text exposition, for tests of the metrics endpoint and
 * `store.metrics()`: it parses every line into metric families and throws, naming the line, on
 * anything the format does not allow — a sample before its family's TYPE, a family split in two,
 * a sample name that is not the family's name plus a suffix its type allows, a bad name, label,
 * escape or value, a negative counter, a quantile outside [0, 1], a blank line, or a missing `# EOF`.
 */

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);
const SUFFIXES: Record<MetricType, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [''],
  unknown: [''],
};

function parseValue(text: string, where: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`);
  return Number(text);
}

/** Label set `{a="x",b="y"}` starting at `text[0] === '{'`; returns the labels and the rest. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('="', i);
    if (eq < 0) throw new Error(`${where}: label without ="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name in labels)
      throw new Error(`${where}: bad or repeated label "${name}"`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '"' || next === '\\') value += next;
        else throw new Error(`${where}: bad escape \\${next}`);
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`${where}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after a label`);
  }
  return { labels, rest: text.slice(i + 1) };
}

function parseSample(line: string, where: string): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`${where}: sample without a value`);
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
  let rest = line.slice(nameEnd);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
  if (!rest.startsWith(' ')) throw new Error(`${where}: expected one space before the value`);
  const parts = rest.slice(1).split(' # ')[0]?.split(' ') ?? [];
  if (parts.length < 1 || parts.length > 2)
    throw new Error(`${where}: expected a value and an optional timestamp`);
  const value = parseValue(parts[0] as string, where);
  if (parts[1] !== undefined) parseValue(parts[1], where);
  return { name, labels, value };
}

function checkSample(family: MetricFamily, sample: Sample, where: string): void {
  const suffix = SUFFIXES[family.type].find((s) => sample.name === family.name + s);
  if (suffix === undefined)
    throw new Error(`${where}: sample ${sample.name} does not belong to ${family.type} ${family.name}`);
  if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`${where}: negative counter`);
  if (family.type === 'histogram' && suffix === '_bucket') {
    const le = sample.labels.le;
    if (le === undefined || !(le === '+Inf' || Number.isFinite(Number(le))))
      throw new Error(`${where}: histogram bucket without a numeric or +Inf "le"`);
  }
  if (family.type === 'summary' && suffix === '') {
    const q = Number(sample.labels.quantile);
    if (!(q >= 0 && q <= 1))
      throw new Error(`${where}: summary quantile "${sample.labels.quantile}" outside [0, 1]`);
  }
}

/** Parses OpenMetrics text strictly; throws with the line number on the first violation. */
export function parseOpenMetrics(text: string): MetricFamily[] {
  if (!text.endsWith('# EOF\n')) throw new Error('exposition does not end with "# EOF\\n"');
  const lines = text.slice(0, -'# EOF\n'.length).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const families: MetricFamily[] = [];
  const seen = new Set<string>();
  let current: MetricFamily | undefined;
  lines.forEach((line, i) => {
    const where = `line ${i + 1} "${line}"`;
    if (line === '') throw new Error(`${where}: blank line`);
    const meta = /^# (HELP|TYPE|UNIT) ([^ ]+)(?: (.*))?$/.exec(line);
    if (meta !== null) {
      const [, keyword, name = '', rest = ''] = meta;
      if (!NAME.test(name)) throw new Error(`${where}: bad family name`);
      if (current?.name !== name) {
        if (seen.has(name)) throw new Error(`${where}: family ${name} appears twice`);
        seen.add(name);
        current = { name, type: 'unknown', help: '', samples: [] };
        families.push(current);
      } else if (current.samples.length > 0) throw new Error(`${where}: metadata after samples`);
      if (keyword === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        current.type = rest as MetricType;
      } else if (keyword === 'HELP') current.help = rest;
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unknown comment`);
    if (current === undefined) throw new Error(`${where}: sample before any family`);
    const sample = parseSample(line, where);
    checkSample(current, sample, where);
    current.samples.push(sample);
  });
  for (const family of families) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/**
 * Each series of a histogram: buckets in increasing `le` with non-decreasing counts, ending with
 * +Inf, whose count equals the series' `_count`.
 */
function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const list = series.get(key) ?? [];
    list.push(sample);
    series.set(key, list);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const where = `histogram ${family.name} ${key}`;
    buckets.forEach((bucket, i) => {
      const previous = buckets[i - 1];
      if (previous === undefined) return;
      const le = (b: Sample) => (b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le));
      if (!(le(bucket) > le(previous)) || bucket.value < previous.value)
        throw new Error(`${where}: buckets not cumulative in increasing le at le="${bucket.labels.le}"`);
    });
    const last = buckets[buckets.length - 1];
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (last?.labels.le !== '+Inf') throw new Error(`${where}: no +Inf bucket last`);
    if (count === undefined || count.value !== last.value)
      throw new Error(`${where}: the +Inf bucket (${last.value}) is not the count (${count?.value})`);
  }
}

/** The value of the sample `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(
  families: readonly MetricFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
