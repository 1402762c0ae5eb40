/**
 * Measuring helpers of the end-to-end benchmark (end-to-end.ts): Prometheus text scrapes and
 * bucket-interpolated percentiles, CPU time and memory of other processes from /proc, Redis
 * command counts from INFO commandstats, and a summary of a V8 `.cpuprofile`. No state, no IO
 * beyond what each function names.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

// ---------------------------------------------------------------------------------------------
// Prometheus text format.

/** One scrape of /metrics: every sample by its full name with labels (`name{a="b"}`). */
export interface Scrape {
  readonly atMs: number;
  readonly samples: ReadonlyMap<string, number>;
}

export function parsePrometheus(text: string, atMs: number): Scrape {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // The value is the last space-separated token (label values here never hold spaces).
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { atMs, samples };
}

export async function scrape(metricsUrl: string): Promise<Scrape> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`GET ${metricsUrl}: ${response.status}`);
  const text = await response.text();
  return parsePrometheus(text, Date.now());
}

function metricName(sample: string): string {
  const brace = sample.indexOf('{');
  return brace < 0 ? sample : sample.slice(0, brace);
}

/** Sum of every sample of `name` (all label sets); 0 when absent. */
export function total(scrape: Scrape, name: string, labelFilter?: string): number {
  let sum = 0;
  for (const [sample, value] of scrape.samples) {
    if (metricName(sample) !== name) continue;
    if (labelFilter !== undefined && !sample.includes(labelFilter)) continue;
    sum += value;
  }
  return sum;
}

export interface Bucket {
  /** Upper bound, seconds; Infinity for `+Inf`. */
  readonly le: number;
  /** Cumulative count. */
  readonly count: number;
}

/** A histogram's cumulative buckets, summed over every other label, sorted by bound. */
export function buckets(scrape: Scrape, name: string): Bucket[] {
  const byBound = new Map<number, number>();
  for (const [sample, value] of scrape.samples) {
    if (metricName(sample) !== `${name}_bucket`) continue;
    const match = /le="([^"]+)"/.exec(sample);
    if (match === null) continue;
    const le = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]);
    byBound.set(le, (byBound.get(le) ?? 0) + value);
  }
  return [...byBound.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** `after - before`, bucket by bucket: the observations made between two scrapes. */
export function bucketDelta(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  const earlier = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) }));
}

export interface BucketPercentile {
  /** Seconds, interpolated linearly within the bucket that holds the rank (0 is the first bucket's lower bound). */
  readonly value: number;
  /** True when the rank fell in the `+Inf` bucket: `value` is then only a lower bound (the last finite bound). */
  readonly aboveLastBucket: boolean;
}

/** The q-quantile (0 < q < 1) of cumulative buckets, linearly interpolated within its bucket. */
export function bucketPercentile(cumulative: readonly Bucket[], q: number): BucketPercentile | null {
  const count = cumulative[cumulative.length - 1]?.count ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const bucket of cumulative) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return { value: lower, aboveLastBucket: true };
      const inBucket = bucket.count - below;
      const share = inBucket <= 0 ? 0 : (rank - below) / inBucket;
      return { value: lower + share * (bucket.le - lower), aboveLastBucket: false };
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return { value: lower, aboveLastBucket: true };
}

// ---------------------------------------------------------------------------------------------
// Other processes, from /proc (Linux).

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, every thread) of a process in seconds; null when it is gone. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (every core, every process) since boot, from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
    const busy = fields.reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
    return busy / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident memory now (VmRSS) and at its peak (VmHWM), MB; null when the process is gone. */
export function memoryMb(pid: number | undefined): { rss: number; peak: number } | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Redis.

/** Calls per command since the server started (`INFO commandstats`), commands run by scripts included. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match !== null) calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

export function callsDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>) {
  const out = new Map<string, number>();
  for (const [command, calls] of after) {
    const delta = calls - (before.get(command) ?? 0);
    if (delta > 0) out.set(command, delta);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// V8 CPU profiles (`node --cpu-prof`).

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Sampled time that was not idle, seconds. */
  readonly busySeconds: number;
  /** Self time by module (a package, the aggregator, feature-core, Node internals, GC), share of busy time. */
  readonly byModule: { readonly module: string; readonly share: number }[];
  /** The functions with the most self time. */
  readonly topFunctions: { readonly fn: string; readonly where: string; readonly share: number }[];
  /** Project and library functions with the most inclusive time (self and callees), share of busy time. */
  readonly topInclusive: { readonly fn: string; readonly where: string; readonly share: number }[];
}

const NOT_WORK = new Set([
  '(root)',
  '(program)',
  '(idle)',
  '(garbage collector)',
  'runMicrotasks',
  'processTicksAndRejections',
]);

function moduleOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native ${functionName}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  if (url.startsWith('node:')) return 'Node internals';
  const repo = /\/(packages|apps|infra)\/([^/]+)\/(?:src\/)?(.*)$/.exec(url);
  if (repo !== null) return `${repo[1]}/${repo[2]}`;
  return url;
}

function shortWhere(url: string, line: number): string {
  if (url === '') return '';
  const trimmed = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*?\/((?:packages|apps|infra)\/)/, '$1');
  // tsx-compiled sources report line 0 for every function: leave the line out then.
  return line > 0 ? `${trimmed}:${line + 1}` : trimmed;
}

/** Self time by module and by function, from a `.cpuprofile` file. */
export function summarizeProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let busy = 0;
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, { fn: string; where: string; micros: number }>();
  for (const [id, micros] of selfMicros) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += micros;
    const module = moduleOf(url, functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + micros);
    const fn = functionName === '' ? '(anonymous)' : functionName;
    const where = shortWhere(url, lineNumber);
    const key = `${fn} ${where}`;
    const entry = byFunction.get(key) ?? { fn, where, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, { fn: string; where: string; micros: number }>();
  for (const [id, micros] of selfMicros) {
    const leaf = nodes.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = nodes.get(at);
      if (node === undefined) break;
      const { functionName, url, lineNumber } = node.callFrame;
      if (url === '' || url.startsWith('node:') || NOT_WORK.has(functionName) || functionName === '') continue;
      const where = shortWhere(url, lineNumber);
      const key = `${functionName} ${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { fn: functionName, where, micros: 0 };
      entry.micros += micros;
      inclusive.set(key, entry);
    }
  }
  const share = (micros: number) => Math.round((micros / Math.max(1, busy)) * 1000) / 1000;
  return {
    busySeconds: Math.round(busy / 10_000) / 100,
    byModule: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([module, micros]) => ({ module, share: share(micros) })),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, top)
      .map(({ fn, where, micros }) => ({ fn, where, share: share(micros) })),
    topInclusive: [...inclusive.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, top)
      .map(({ fn, where, micros }) => ({ fn, where, share: share(micros) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Small statistics.

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits = 0): number {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}
