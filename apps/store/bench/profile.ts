/**
 * A CPU profile of the worker's ingest path, taken in this Node process with the V8 sampling profiler
 * (`node:inspector`): the same code as the worker's `benchmark()` (a fresh `createFeatureState`, every
 * payload through `ingest`), bundled by esbuild as for the browser but not minified (names kept), on
 * the same kind of payloads. Returns self and inclusive time by function,
 * as percentages of the samples taken during the loops.
 */
import { Session } from 'node:inspector/promises';
import { basename } from 'node:path';
import type { createFeatureState } from '../src/features/feature-state.js';
import type { SentPayload } from '../src/tracking/tracker.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly where: string;
  readonly percent: number;
}

export interface IngestProfile {
  readonly samples: number;
  readonly samplingIntervalUs: number;
  readonly perEventUs: number;
  readonly self: readonly ProfileRow[];
  readonly inclusive: readonly ProfileRow[];
}

/** The bundle is one file: the source module is found from the function's line in the bundle's module comments. */
const where = (frame: ProfileNode['callFrame'], modules: ModuleLines | null) => {
  if (frame.url === '') return '';
  if (modules !== null && frame.url.endsWith(modules.file)) return modules.at(frame.lineNumber);
  return basename(frame.url.replace(/^file:\/\//, ''));
};

/** Maps a 0-based line of an esbuild bundle to the source file it came from (esbuild writes `// path` before each module). */
export interface ModuleLines {
  readonly file: string;
  at(line: number): string;
}

export function moduleLines(file: string, text: string): ModuleLines {
  const starts: { line: number; path: string }[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs))$/.exec(line);
    if (m) starts.push({ line: i, path: m[1] as string });
  });
  return {
    file,
    at(line) {
      let found = '';
      for (const start of starts) if (start.line <= line) found = start.path;
      return found.replace(/^.*?(packages|apps)\//, '$1/');
    },
  };
}

export async function profileIngest(
  create: typeof createFeatureState,
  makePayloads: () => SentPayload[],
  runs: number,
  modules: ModuleLines | null = null,
): Promise<IngestProfile> {
  const batches = Array.from({ length: runs }, makePayloads);
  // One untimed pass so the profile shows optimised code, as the worker's later rounds run.
  const warm = create({ now: Date.now });
  for (const payload of makePayloads()) warm.ingest(payload);

  const session = new Session();
  session.connect();
  const samplingIntervalUs = 100;
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await session.post('Profiler.start');
  const start = performance.now();
  let events = 0;
  for (const payloads of batches) {
    const state = create({ now: Date.now });
    for (const payload of payloads) state.ingest(payload);
    events += payloads.length;
  }
  const elapsed = performance.now() - start;
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
  session.disconnect();

  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const key = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'}|${where(node.callFrame, modules)}`;
  const ignored = new Set(['(idle)', '(program)']);
  const total = profile.nodes.reduce(
    (sum, node) => sum + (ignored.has(node.callFrame.functionName) ? 0 : (node.hitCount ?? 0)),
    0,
  );
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    if (ignored.has(node.callFrame.functionName)) continue;
    self.set(key(node), (self.get(key(node)) ?? 0) + (node.hitCount ?? 0));
  }
  // Inclusive: every sample counts once for each distinct function on its stack.
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0] as ProfileNode;
  const walk = (node: ProfileNode, onStack: ReadonlySet<string>) => {
    const k = key(node);
    const stack = onStack.has(k) ? onStack : new Set([...onStack, k]);
    const hits = ignored.has(node.callFrame.functionName) ? 0 : (node.hitCount ?? 0);
    for (const name of stack) inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    for (const child of node.children ?? []) {
      const next = nodes.get(child);
      if (next !== undefined) walk(next, stack);
    }
  };
  walk(root, new Set());
  const rows = (counts: Map<string, number>) =>
    [...counts]
      .filter(([name]) => !name.startsWith('(root)'))
      .map(([k, hits]) => {
        const [name, at] = k.split('|') as [string, string];
        return { name, where: at, percent: Number(((hits * 100) / Math.max(1, total)).toFixed(1)) };
      })
      .sort((a, b) => b.percent - a.percent)
      .slice(0, 25);
  return {
    samples: total,
    samplingIntervalUs,
    perEventUs: Number(((elapsed * 1_000) / events).toFixed(2)),
    self: rows(self),
    inclusive: rows(inclusive).filter((row) => row.name !== 'profileIngest'),
  };
}
