/**
 * A small reader of the Prometheus text exposition format (version 0.0.4), enough for the drift
 * dashboard's pipeline health: samples with labels, sums over a metric's series, and a quantile from
 * histogram buckets the way PromQL's `histogram_quantile` computes it. Pure: text in, numbers out.
 */

/** One sample line: `name{label="value",...} value [timestamp]`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** NaN, +Inf and -Inf are kept as JavaScript's. */
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default:
      return text === '' ? Number.NaN : Number(text);
  }
}

/** Parses one sample line; null for a line that is not one (malformed lines are skipped, not fatal). */
function parseSampleLine(line: string): PromSample | null {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return null;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const labelName = LABEL_NAME.exec(rest)?.[0];
      if (labelName === undefined) return null;
      rest = rest.slice(labelName.length).trimStart();
      if (!rest.startsWith('="')) return null;
      rest = rest.slice(2);
      let value = '';
      let closed = false;
      let i = 0;
      for (; i < rest.length; i++) {
        const char = rest[i] as string;
        if (char === '\\' && i + 1 < rest.length) {
          const next = rest[++i] as string;
          value += next === 'n' ? '\n' : next;
        } else if (char === '"') {
          closed = true;
          break;
        } else {
          value += char;
        }
      }
      if (!closed) return null;
      labels[labelName] = value;
      rest = rest.slice(i + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
    }
  }
  const [valueText] = rest.trim().split(/\s+/);
  const value = parseValue(valueText ?? '');
  if (Number.isNaN(value) && valueText !== 'NaN') return null;
  return { name, labels, value };
}

/** Every sample of a Prometheus text page, in order. `#` lines (HELP, TYPE) and malformed lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseSampleLine(line);
    if (sample !== null) out.push(sample);
  }
  return out;
}

/** Whether any sample of `name` is present (a metric the process has not registered is absent). */
export function hasMetric(samples: readonly PromSample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

/** Sum of every series of `name` whose labels include `match`; 0 when there is none. */
export function sumMetric(
  samples: readonly PromSample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    if (Number.isFinite(s.value)) sum += s.value;
  }
  return sum;
}

/** A counter's series summed by one label's values, e.g. `tandem_digests_total` by `outcome`. */
export function sumByLabel(samples: readonly PromSample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** A histogram's cumulative buckets (summed over its other labels), by upper bound, ascending. */
export function histogramBuckets(samples: readonly PromSample[], name: string): { le: number; count: number }[] {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = parseValue(s.labels.le ?? '');
    if (Number.isNaN(le) || !Number.isFinite(s.value)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * The `q` quantile (0..1) of a histogram from its cumulative buckets, as PromQL's
 * `histogram_quantile`: linear interpolation inside the bucket the rank falls in (from 0 for the
 * first bucket); a rank in the `+Inf` bucket answers the highest finite bound. Null without
 * observations or without a `+Inf` bucket. Units: those of the bucket bounds (seconds here).
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const last = buckets.at(-1);
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || last.count <= 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * last.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      if (inBucket <= 0) return bucket.le;
      return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}
