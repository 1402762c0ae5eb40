/**
 * REST endpoint latency (not a test): starts its own redis-server and REST endpoint on free ports, the
 * endpoint in its own process as `npm start` runs it (infra/src/rest/main.ts), and measures, request
 * after request on a kept-alive connection:
 *   (a) one GET through the endpoint, as raw fetch with the headers @upstash/redis sends;
 *   (b) a 100-command pipeline (100 GETs of different keys) through `/pipeline`;
 *   (c) the same GET straight to Redis with ioredis, the same-run baseline (what HTTP + JSON adds);
 *   (d) the same GET with the @upstash/redis client itself (fetch, plus a microtask hop for
 *       auto-pipelining and its result decoding);
 *   (e) the GET of (a) over node:http with a keep-alive agent instead of fetch: the endpoint's own
 *       share, without undici's client-side cost (which dominates (a)'s tail).
 * The kinds take turns in blocks, so a slow patch of the shared VM hits them alike. Each run reports
 * p50/p90/p99 in milliseconds; the figures are the medians over the runs. Ends with one line of JSON
 * and writes docs/benchmarks/rest-endpoint.json (full runs only).
 *
 *   npx tsx infra/bench/rest-latency.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis } from 'ioredis';
import { freePort } from '../src/ports.js';
import { ensureRedis } from '../src/redis.js';

const args = new Set(process.argv.slice(2));
if (args.has('--help') || [...args].some((arg) => arg !== '--quick')) {
  console.log(
    'usage: npx tsx infra/bench/rest-latency.ts [--quick]\n  --quick  fewer samples, one run, no results file',
  );
  process.exit(args.has('--help') ? 0 : 1);
}
const QUICK = args.has('--quick');
const SAMPLES = QUICK ? 300 : 2_000;
const WARMUP = QUICK ? 100 : 500;
const RUNS = QUICK ? 1 : 3;
const BLOCK = 50;
const PIPELINE_LENGTH = 100;

type Kind = 'restGet' | 'restPipeline100' | 'ioredisGet' | 'upstashClientGet' | 'restGetNodeHttp';
const KINDS: readonly Kind[] = ['restGet', 'restPipeline100', 'ioredisGet', 'upstashClientGet', 'restGetNodeHttp'];
const LABELS: Record<Kind, string> = {
  restGet: '(a) GET via REST endpoint (raw fetch)',
  restPipeline100: `(b) ${PIPELINE_LENGTH}-command pipeline via REST`,
  ioredisGet: '(c) GET straight to Redis (ioredis)',
  upstashClientGet: '(d) GET via @upstash/redis client',
  restGetNodeHttp: '(e) GET via REST endpoint (node:http)',
};

const token = randomBytes(32).toString('base64url');
const redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
const endpointUrl = `http://127.0.0.1:${await freePort()}`;
const endpointProcess = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('../src/rest/main.ts', import.meta.url))],
  {
    env: { ...process.env, REDIS_URL: redis.url, UPSTASH_REDIS_REST_URL: endpointUrl, UPSTASH_REDIS_REST_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
await new Promise<void>((resolve, reject) => {
  let output = '';
  endpointProcess.once('exit', (code) => reject(new Error(`the endpoint exited with ${code}:\n${output}`)));
  endpointProcess.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes(`UPSTASH_REDIS_REST_URL=${endpointUrl}`)) resolve();
  });
});
const endpoint = { url: endpointUrl };
const direct = new Redis(redis.url);
const client = new UpstashRedis({ url: endpoint.url, token, enableTelemetry: false, automaticDeserialization: false });

// A feature value of realistic size, and one key per pipeline command.
const VALUE = JSON.stringify({ views_1h: '12', cart_value_minor: '4599', last_category: 'shoes' });
await direct.set('bench:key', VALUE);
const pipelineKeys = Array.from({ length: PIPELINE_LENGTH }, (_, i) => `bench:key:${i}`);
await direct.mset(...pipelineKeys.flatMap((key) => [key, VALUE]));

const headers = {
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  'upstash-encoding': 'base64',
};
const getBody = JSON.stringify(['get', 'bench:key']);
const pipelineBody = JSON.stringify(pipelineKeys.map((key) => ['get', key]));
const expectedValue = Buffer.from(VALUE).toString('base64');

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function postWithNodeHttp(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      endpoint.url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const operations: Record<Kind, () => Promise<void>> = {
  restGet: async () => {
    const response = await fetch(endpoint.url, { method: 'POST', headers, body: getBody });
    const body = (await response.json()) as { result: string };
    if (body.result !== expectedValue) throw new Error(`unexpected GET reply ${JSON.stringify(body)}`);
  },
  restPipeline100: async () => {
    const response = await fetch(`${endpoint.url}/pipeline`, { method: 'POST', headers, body: pipelineBody });
    const body = (await response.json()) as { result: string }[];
    if (body.length !== PIPELINE_LENGTH || body[PIPELINE_LENGTH - 1]?.result !== expectedValue) {
      throw new Error('unexpected pipeline reply');
    }
  },
  ioredisGet: async () => {
    if ((await direct.get('bench:key')) !== VALUE) throw new Error('unexpected ioredis reply');
  },
  upstashClientGet: async () => {
    if ((await client.get('bench:key')) !== VALUE) throw new Error('unexpected client reply');
  },
  restGetNodeHttp: async () => {
    const body = JSON.parse(await postWithNodeHttp(getBody)) as { result: string };
    if (body.result !== expectedValue) throw new Error(`unexpected GET reply ${JSON.stringify(body)}`);
  },
};

function percentile(sorted: readonly number[], p: number): number {
  // Nearest rank.
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (ms: number) => Math.round(ms * 1_000) / 1_000;

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** One run: every kind warmed up, then SAMPLES timed requests each, in alternating blocks. */
async function run(): Promise<Record<Kind, Percentiles>> {
  const samples = Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
  for (const kind of KINDS) for (let i = 0; i < WARMUP; i++) await operations[kind]();
  for (let done = 0; done < SAMPLES; done += BLOCK) {
    for (const kind of KINDS) {
      for (let i = 0; i < BLOCK && done + i < SAMPLES; i++) {
        const started = performance.now();
        await operations[kind]();
        samples[kind].push(performance.now() - started);
      }
    }
  }
  const result = {} as Record<Kind, Percentiles>;
  for (const kind of KINDS) {
    const sorted = samples[kind].sort((a, b) => a - b);
    result[kind] = { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
  }
  return result;
}

console.log(`REST endpoint latency${QUICK ? ' (quick)' : ''}: ${RUNS} run(s) of ${SAMPLES} samples per kind`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}`);
const runs: Record<Kind, Percentiles>[] = [];
try {
  for (let i = 1; i <= RUNS; i++) {
    const result = await run();
    runs.push(result);
    console.log(
      `run ${i}: ${KINDS.map((kind) => `${kind} p50 ${round(result[kind].p50)} / p99 ${round(result[kind].p99)} ms`).join('; ')}`,
    );
  }
} finally {
  direct.disconnect();
  agent.destroy();
  const exited = new Promise((resolve) => endpointProcess.once('exit', resolve));
  endpointProcess.kill('SIGTERM');
  await exited;
  await redis.stop();
}

const summary = {} as Record<Kind, Percentiles>;
for (const kind of KINDS) {
  summary[kind] = {
    p50: round(median(runs.map((r) => r[kind].p50))),
    p90: round(median(runs.map((r) => r[kind].p90))),
    p99: round(median(runs.map((r) => r[kind].p99))),
  };
}

console.log('');
console.log(`${'kind'.padEnd(44)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
for (const kind of KINDS) {
  const { p50, p90, p99 } = summary[kind];
  console.log(
    `${LABELS[kind].padEnd(44)}${p50.toFixed(3).padStart(9)}${p90.toFixed(3).padStart(9)}${p99.toFixed(3).padStart(9)}`,
  );
}

const figures = {
  restGetP50Ms: summary.restGet.p50,
  restGetP99Ms: summary.restGet.p99,
  restPipeline100P50Ms: summary.restPipeline100.p50,
  restPipeline100P99Ms: summary.restPipeline100.p99,
  ioredisGetP50Ms: summary.ioredisGet.p50,
  ioredisGetP99Ms: summary.ioredisGet.p99,
  upstashClientGetP50Ms: summary.upstashClientGet.p50,
  upstashClientGetP99Ms: summary.upstashClientGet.p99,
  restGetNodeHttpP50Ms: summary.restGetNodeHttp.p50,
  restGetNodeHttpP99Ms: summary.restGetNodeHttp.p99,
  p90Ms: Object.fromEntries(KINDS.map((kind) => [kind, summary[kind].p90])),
  valueBytes: Buffer.byteLength(VALUE),
  pipelineLength: PIPELINE_LENGTH,
  samplesPerKindPerRun: SAMPLES,
  warmupPerKind: WARMUP,
  runs: RUNS,
  quick: QUICK,
  redis: 'redis-server, own instance on a free port, no persistence',
  endpoint: 'own process (infra/src/rest/main.ts), client in the benchmark process',
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  date: new Date().toISOString(),
};
if (!QUICK) {
  writeFileSync(
    fileURLToPath(new URL('../../docs/benchmarks/rest-endpoint.json', import.meta.url)),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
}
console.log(JSON.stringify(figures));
