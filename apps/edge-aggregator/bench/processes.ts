/**
 * Child processes of the end-to-end benchmark other than the aggregator (test-support's
 * aggregator-process.ts starts that, and rest-endpoint-process.ts the REST endpoint): the load
 * producer (bench/produce.ts's command), in its own Node process so it does not share the
 * aggregator's event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ProduceSummary } from './produce.js';

const PRODUCE = fileURLToPath(new URL('./produce.ts', import.meta.url));
const NODE_ARGS = ['--conditions=tandem-source', '--import', 'tsx'];

export interface ProducerProcess {
  readonly child: ChildProcess;
  /** Resolves at the producer's first progress line (about 1 s after it started sending). */
  readonly started: Promise<void>;
  /** The producer's summary (the JSON line it prints at the end). */
  readonly done: Promise<ProduceSummary>;
}

const liveProducers = new Set<ChildProcess>();

/** SIGKILLs every producer still running (the benchmark is stopping on an error). */
export function killProducers(): void {
  for (const child of liveProducers) child.kill('SIGKILL');
}

/** Runs bench/produce.ts with `args` against `topic` on `brokers`. */
export function startProducer(brokers: string, topic: string, args: readonly string[]): ProducerProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, PRODUCE, ...args], {
    env: { ...process.env, KAFKA_BROKERS: brokers, ENRICHED_TOPIC: topic },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveProducers.add(child);
  child.once('exit', () => liveProducers.delete(child));
  let stdout = '';
  let stderr = '';
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (/\bsent \d+/.test(stderr)) markStarted();
  });
  const done = once(child, 'exit').then(([code]) => {
    markStarted();
    const last = stdout.trim().split('\n').pop() ?? '';
    if (code !== 0 || !last.startsWith('{')) {
      throw new Error(`the producer exited with ${code}:\n${stderr.slice(-2000)}\n${stdout.slice(-2000)}`);
    }
    return JSON.parse(last) as ProduceSummary;
  });
  return { child, started, done };
}
