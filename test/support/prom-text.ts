// A strict reader of the Prometheus text exposition format (0.0.4), so tests check what a scraper
// would read rather than trusting the library that wrote it. It throws on anything Prometheus would
// refuse: a sample before its TYPE, a family declared twice, a malformed line or label, a bad value.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case, so prom-client's "Nan" passes.
function parseValue(raw: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(raw)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(raw)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value in: ${line}`);
  return Number(raw);
}

/** Reads `{a="x",b="y\"z"}` from the start of `s`; returns the labels and what follows. */
function parseLabels(s: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq);
    if (eq < 0 || !LABEL.test(name) || s[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] !== '\\') {
        value += s[j];
        continue;
      }
      const next = s[++j];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else throw new Error(`bad escape in: ${line}`);
    }
    if (j >= s.length) throw new Error(`unterminated label value in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

/** The family a sample belongs to: histograms and summaries own their suffixed series. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m?.[1] === undefined ? undefined : families.get(m[1]);
  if (!base) return undefined;
  if (base.type === 'histogram' || (base.type === 'summary' && m?.[2] !== 'bucket')) return base;
  return undefined;
}

export function parsePromText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helped = new Set<string>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, what, name = '', rest = ''] = m;
      if (!NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (what === 'HELP') {
        if (helped.has(name)) throw new Error(`HELP twice for ${name}`);
        helped.add(name);
        const f = families.get(name);
        if (f) f.help = rest;
        else families.set(name, { name, help: rest, type: 'untyped', samples: [] });
      } else {
        if (!TYPES.has(rest as MetricType)) throw new Error(`bad type in: ${line}`);
        const f = families.get(name);
        if (f && (f.samples.length > 0 || f.type !== 'untyped'))
          throw new Error(`TYPE late or twice: ${name}`);
        if (f) f.type = rest as MetricType;
        else families.set(name, { name, help: '', type: rest as MetricType, samples: [] });
      }
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`bad sample: ${line}`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample ${name} has no TYPE before it`);
    family.samples.push({ name, labels, value: parseValue(parts[0] ?? '', line) });
  }
  return families;
}

const key = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/**
 * One histogram series per label set (without `le`): its bucket bounds, cumulative counts, sum and
 * count; throws where the series is inconsistent (no +Inf bucket, counts falling, +Inf ≠ _count).
 */
export function histogramSeries(f: Family) {
  if (f.type !== 'histogram') throw new Error(`${f.name} is a ${f.type}`);
  const series = new Map<
    string,
    { labels: Record<string, string>; buckets: [number, number][]; sum?: number; count?: number }
  >();
  for (const s of f.samples) {
    const { le, ...labels } = s.labels;
    const k = key(labels);
    const entry = series.get(k) ?? { labels, buckets: [] };
    series.set(k, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}_bucket without le`);
      entry.buckets.push([parseValue(le, s.name), s.value]);
    } else if (le !== undefined) throw new Error(`${s.name} has an le label`);
    else if (s.name === `${f.name}_sum`) entry.sum = s.value;
    else if (s.name === `${f.name}_count`) entry.count = s.value;
    else throw new Error(`${s.name} in histogram ${f.name}`);
  }
  return [...series.values()].map((e) => {
    const at = JSON.stringify(e.labels);
    const les = e.buckets.map(([le]) => le);
    if (les.some((le, i) => i > 0 && le <= (les[i - 1] ?? 0))) throw new Error(`${at}: le not ascending`);
    if (e.buckets.some(([, n], i) => i > 0 && n < (e.buckets[i - 1]?.[1] ?? 0)))
      throw new Error(`${at}: bucket counts fall`);
    const inf = e.buckets.at(-1);
    if (inf?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${at}: no +Inf bucket`);
    if (e.count === undefined || e.sum === undefined) throw new Error(`${at}: no _count or _sum`);
    if (inf[1] !== e.count) throw new Error(`${at}: +Inf bucket ${inf[1]} ≠ _count ${e.count}`);
    return { labels: e.labels, buckets: e.buckets, sum: e.sum, count: e.count };
  });
}

/** The value of the one sample of `name` with exactly these labels; undefined when absent. */
export function sampleValue(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number | undefined {
  const want = key(labels);
  return families.get(family)?.samples.find((s) => s.name === name && key(s.labels) === want)?.value;
}
