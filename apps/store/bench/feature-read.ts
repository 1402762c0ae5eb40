/**
 * T9, a shopper's features read through the store's API (not a test): starts its own redis-server,
 * the Upstash-compatible REST endpoint (its own process, as `npm start` runs it) and the store
 * (`next start` of a build in `.next-bench`), seeds the feature hashes of 500 shoppers as the
 * aggregator writes them (feature-core evaluating 20 events each), then measures, request after
 * request on a kept-alive connection:
 *   (a) GET /api/features with the shopper's tracker cookie: the whole store API (Next.js route, the
 *       @upstash/redis client, the REST endpoint, Redis, JSON both ways) — the target's figure;
 *   (b) the route's own read (`readShopperFeatures`) in this process through @upstash/redis and the
 *       REST endpoint: what the API costs without Next.js;
 *   (c) the same two HGETALLs pipelined straight to Redis with ioredis: the same-run baseline.
 * The kinds take turns in blocks over random shoppers, so a slow patch of the shared VM hits them
 * alike. Each run reports p50/p90/p99 in ms; the figures are medians over the runs. Ends with one line
 * of JSON and writes docs/benchmarks/store-feature-read.json (full runs only).
 *
 *   npm run bench:read -w @tandem/store -- [--quick] [--no-build]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createFeatureEngine,
  evaluateSessionLane,
  evaluateUserLane,
  featureHashFields,
  type ShopperEvent,
  sessionHashKey,
  userHashKey,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, uuid } from '@tandem/feature-core/testing';
import { freePort } from '@tandem/infra/ports';
import { ensureRedis } from '@tandem/infra/redis';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis } from 'ioredis';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from '../src/features/engine-config';
import { readShopperFeatures } from '../src/server/features-api';

const USAGE = `usage: npm run bench:read -w @tandem/store -- [--quick] [--no-build]
  --quick     fewer samples, one run, no results file
  --no-build  serve the existing .next-bench build instead of building the store first`;
const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean' }, 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const QUICK = flags.quick === true;
const SAMPLES = QUICK ? 300 : 2_000;
const WARMUP = QUICK ? 100 : 300;
const RUNS = QUICK ? 1 : 3;
const BLOCK = 50;
const SHOPPERS = 500;
const EVENTS_PER_SHOPPER = 20;
const STORE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DIST_DIR = '.next-bench';

type Kind = 'storeApi' | 'routeReadInProcess' | 'ioredisPipeline';
const KINDS: readonly Kind[] = ['storeApi', 'routeReadInProcess', 'ioredisPipeline'];
const LABELS: Record<Kind, string> = {
  storeApi: '(a) GET /api/features (store API)',
  routeReadInProcess: '(b) route read, no Next.js',
  ioredisPipeline: '(c) 2 × HGETALL via ioredis',
};

const children: ChildProcess[] = [];
function stopChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('exit', stopChildren);

/** Runs `command` to its end, its output prefixed; throws on a non-zero exit. */
async function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4_000);
    });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${label} failed (exit code ${code}):\n${tail}`);
}

/** Starts a long-running child and resolves once a line of its output matches `ready`. */
async function start(label: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, ready: RegExp) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}:\n${output.slice(-4_000)}`)));
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (ready.test(output)) resolve();
      });
  });
  return child;
}

// --- the stack --------------------------------------------------------------------------------------
const startedAt = Date.now();
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: DIST_DIR };
if (!flags['no-build']) {
  console.log(`[bench] building the store into apps/store/${DIST_DIR} (about a minute)`);
  await run('building the store', 'npm', ['run', '--silent', 'build', '-w', '@tandem/store'], env);
  console.log(`[bench] built in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}
const token = randomBytes(32).toString('base64url');
const redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
const endpointUrl = `http://127.0.0.1:${await freePort()}`;
await start(
  'the REST endpoint',
  ['--import', 'tsx', fileURLToPath(new URL('../../../infra/src/rest/main.ts', import.meta.url))],
  { ...env, REDIS_URL: redis.url, UPSTASH_REDIS_REST_URL: endpointUrl, UPSTASH_REDIS_REST_TOKEN: token },
  REPO_ROOT,
  new RegExp(`UPSTASH_REDIS_REST_URL=${endpointUrl}`),
);
const storePort = await freePort();
await start(
  'the store',
  [
    fileURLToPath(new URL('../../../node_modules/next/dist/bin/next', import.meta.url)),
    'start',
    '-H',
    '127.0.0.1',
    '-p',
    String(storePort),
  ],
  { ...env, UPSTASH_REDIS_REST_URL: endpointUrl, UPSTASH_REDIS_REST_TOKEN: token, TRACKING: 'off' },
  STORE_DIR,
  /Ready in/,
);
console.log(`[bench] redis ${redis.url}, REST endpoint ${endpointUrl}, store http://127.0.0.1:${storePort}`);

// --- the shoppers -------------------------------------------------------------------------------------
const direct = new Redis(redis.url);
const shoppers: { userKey: string; sessionKey: string }[] = [];
const nowMs = Date.now();
const engine = createFeatureEngine(STORE_ENGINE_CONFIG);
const CATEGORIES = ['Shoes', 'Jackets', 'Bags', 'Watches', 'Home'];
for (let s = 0; s < SHOPPERS; s++) {
  const userKey = uuid(900_000 + s);
  const sessionKey = uuid(950_000 + s);
  shoppers.push({ userKey, sessionKey });
  for (let e = 0; e < EVENTS_PER_SHOPPER; e++) {
    const spec: EventSpec = {
      eventId: uuid(1_000_000 + s * EVENTS_PER_SHOPPER + e),
      timeMs: nowMs - (EVENTS_PER_SHOPPER - e) * 20_000,
      domainUserId: userKey,
      sessionId: sessionKey,
      type: e % 5 === 4 ? 'add_to_cart' : 'product_view',
      products: [
        {
          id: `sku-${(s * 7 + e) % 30}`,
          category: CATEGORIES[(s + e) % CATEGORIES.length] as string,
          price: 10 + ((s * 13 + e * 17) % 300),
          currency: 'EUR',
        },
      ],
      ...(e % 5 === 4 ? { cart: { total_value: 40 + e * 10, currency: 'EUR' } } : {}),
    };
    const decoded = fromEnrichedTsv(enrichedTsv(spec));
    if (!decoded.ok) throw new Error(decoded.detail);
    engine.apply(decoded.value as ShopperEvent);
  }
}
const seed = direct.pipeline();
for (const { userKey, sessionKey } of shoppers) {
  const userLane = engine.userLanes.get(userKey);
  const sessionLane = engine.sessionLanes.get(sessionKey);
  if (userLane === undefined || sessionLane === undefined) throw new Error('a seeded shopper has no lanes');
  const meta = { definitionVersion: STORE_DEFINITION_VERSION, evaluatedAtMs: nowMs, eventsApplied: EVENTS_PER_SHOPPER };
  seed.hset(userHashKey(userKey), featureHashFields(evaluateUserLane(userLane, nowMs), meta));
  seed.hset(sessionHashKey(sessionKey), featureHashFields(evaluateSessionLane(sessionLane, nowMs), meta));
}
await seed.exec();
const fieldsPerShopper = Object.keys(await direct.hgetall(userHashKey(shoppers[0]?.userKey ?? ''))).length;
console.log(`[bench] seeded ${SHOPPERS} shoppers (${fieldsPerShopper} fields in a user hash)`);

// --- the kinds ------------------------------------------------------------------------------------------
const client = new UpstashRedis({ url: endpointUrl, token, enableTelemetry: false, automaticDeserialization: false });
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const cookieOf = ({ userKey, sessionKey }: { userKey: string; sessionKey: string }) =>
  `_sp_id.1fff=${userKey}.1764300000.2.1764300100.1764200000.${sessionKey}..e1.1764300000000.4`;

function getFeatures(shopper: { userKey: string; sessionKey: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${storePort}/api/features`,
      { method: 'GET', agent, headers: { cookie: cookieOf(shopper) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const operations: Record<Kind, (shopper: { userKey: string; sessionKey: string }) => Promise<void>> = {
  storeApi: async (shopper) => {
    const body = JSON.parse(await getFeatures(shopper)) as { userKey: string; user: Record<string, string> };
    if (body.userKey !== shopper.userKey || body.user.product_view_count_24h === undefined)
      throw new Error(`unexpected store answer for ${shopper.userKey}`);
  },
  routeReadInProcess: async (shopper) => {
    const body = await readShopperFeatures(client, shopper);
    if (body.user.product_view_count_24h === undefined) throw new Error('unexpected route read');
  },
  ioredisPipeline: async (shopper) => {
    const replies = await direct
      .pipeline()
      .hgetall(userHashKey(shopper.userKey))
      .hgetall(sessionHashKey(shopper.sessionKey))
      .exec();
    if ((replies?.[0]?.[1] as Record<string, string> | undefined)?.product_view_count_24h === undefined)
      throw new Error('unexpected ioredis reply');
  },
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const randomShopper = () => shoppers[Math.floor(Math.random() * shoppers.length)] as (typeof shoppers)[number];

for (const kind of KINDS) for (let i = 0; i < WARMUP; i++) await operations[kind](randomShopper());

type Figures = { p50: number; p90: number; p99: number };
const perRun: Record<Kind, Figures[]> = { storeApi: [], routeReadInProcess: [], ioredisPipeline: [] };
for (let runIndex = 0; runIndex < RUNS; runIndex++) {
  const samples: Record<Kind, number[]> = { storeApi: [], routeReadInProcess: [], ioredisPipeline: [] };
  while (samples.storeApi.length < SAMPLES) {
    for (const kind of KINDS) {
      for (let i = 0; i < BLOCK; i++) {
        const shopper = randomShopper();
        const t0 = performance.now();
        await operations[kind](shopper);
        samples[kind].push(performance.now() - t0);
      }
    }
  }
  for (const kind of KINDS) {
    const sorted = samples[kind].sort((a, b) => a - b);
    perRun[kind].push({ p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) });
  }
  console.log(`[bench] run ${runIndex + 1}/${RUNS}: ${SAMPLES} samples of each kind`);
}

const result = Object.fromEntries(
  KINDS.map((kind) => [
    kind,
    {
      p50: Number(median(perRun[kind].map((f) => f.p50)).toFixed(3)),
      p90: Number(median(perRun[kind].map((f) => f.p90)).toFixed(3)),
      p99: Number(median(perRun[kind].map((f) => f.p99)).toFixed(3)),
    },
  ]),
) as Record<Kind, Figures>;

console.log(`\nFeature read for one shopper, ms (median of ${RUNS} run(s) × ${SAMPLES} samples; ${SHOPPERS} shoppers)`);
console.log(`${'kind'.padEnd(40)}${'p50'.padStart(9)}${'p90'.padStart(9)}${'p99'.padStart(9)}`);
for (const kind of KINDS) {
  const { p50, p90, p99 } = result[kind];
  console.log(
    `${LABELS[kind].padEnd(40)}${p50.toFixed(3).padStart(9)}${p90.toFixed(3).padStart(9)}${p99.toFixed(3).padStart(9)}`,
  );
}
const ratio = Number((result.storeApi.p99 / result.ioredisPipeline.p99).toFixed(1));
const met = result.storeApi.p99 <= 5;
console.log(
  `\nT9 (p99 <= 5 ms through the store API): ${result.storeApi.p99.toFixed(3)} ms, ${met ? 'met' : 'not met'}`,
);
console.log(
  `store API p99 / direct Redis p99 in the same run: ${ratio}x; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const summary = {
  bench: 'store-feature-read',
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  quick: QUICK,
  runs: RUNS,
  samplesPerRun: SAMPLES,
  shoppers: SHOPPERS,
  fieldsPerUserHash: fieldsPerShopper,
  ms: result,
  t9: { target: 'p99 <= 5 ms', p99: result.storeApi.p99, met },
  storeApiOverDirectP99: ratio,
};
if (!QUICK)
  writeFileSync(
    fileURLToPath(new URL('../../../docs/benchmarks/store-feature-read.json', import.meta.url)),
    `${JSON.stringify(summary, null, 2)}\n`,
  );

await direct.quit();
agent.destroy();
stopChildren();
await redis.stop();
console.log(JSON.stringify(summary));
process.exit(0);
