/**
 * Edge-aggregator end-to-end benchmark (not a test): Kafka → decode TSV → repartition → feature-core →
 * Redis acknowledged, with every part real and on this machine: a Kafka broker (its own JVM), a
 * redis-server, the Upstash-compatible REST endpoint (its own Node process, for FEATURE_STORE=rest),
 * the aggregator as its own process (main.ts, as `npm start` runs it), and the load producer
 * (bench/produce.ts, realistic enriched TSV from src/load/shoppers.ts) in yet another process. They all
 * share the machine's cores; this process only orchestrates, scrapes /metrics and polls Redis.
 *
 * Measured for each store path (FEATURE_STORE=tcp and rest), each run with its own topic and group:
 * - freshness at fixed rates (event times = now): Kafka append time → Redis acknowledged, from the
 *   aggregator's `tandem_freshness_seconds` histogram, scraped before and after the measured interval
 *   (after a warm-up) and subtracted; percentiles interpolated linearly within buckets;
 * - T4 staleness, during those runs: probe shoppers whose 5-minute value goes from 2 to 1 at a known
 *   tile boundary (only the aggregator's expiry scheduler can make that change; Redis's own key expiry
 *   cannot), polled in Redis every 20 ms;
 * - sustained throughput at saturation: N events produced up front, then the aggregator started and
 *   timed until every event is applied to its lanes and acknowledged by Redis;
 * - CPU (aggregator from its own process_cpu_seconds_total, broker / redis-server / REST endpoint /
 *   producer from /proc), memory, Redis commands per event (INFO commandstats) and Redis operations per
 *   event (the aggregator's tandem_redis_ops_total).
 *
 *   npm run bench -w @tandem/edge-aggregator [-- --quick] [-- --help]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { userFeatureKey, userHashKey } from '@tandem/feature-core';
import { type EventSpec, enrichedTsv, uuid } from '@tandem/feature-core/testing';
import { createTopics, startKafka } from '@tandem/infra/kafka';
import { freePort } from '@tandem/infra/ports';
import { ensureRedis } from '@tandem/infra/redis';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { type AggregatorProcess, startAggregatorProcess } from '../src/test-support/aggregator-process.js';
import { type RestEndpointProcess, startRestEndpoint } from '../src/test-support/rest-endpoint-process.js';
import {
  bucketDelta,
  bucketPercentile,
  buckets,
  callsDelta,
  commandCalls,
  cpuSeconds,
  machineBusySeconds,
  median,
  memoryMb,
  type ProfileSummary,
  round,
  type Scrape,
  scrape,
  summarizeProfile,
  total,
} from './measure.js';
import { killProducers, startProducer } from './processes.js';

const USAGE = `usage: npm run bench -w @tandem/edge-aggregator [-- options]
       node --conditions=tandem-source --import tsx apps/edge-aggregator/bench/end-to-end.ts [options]

  --quick             1 round, 5 s warm-up + 15 s measured, 50,000 saturation events (~3 min); no results file
  --store S           tcp, rest or both (default both)
  --rounds N          rounds of every measurement (default 3)
  --events N          events of each saturation run (default 200,000)
  --shoppers N        distinct shoppers in the load (default 20,000)
  --cpu-prof          one more saturation run per store under node --cpu-prof; prints the top costs
  --phases P          freshness, saturation or both (default freshness,saturation)
  --help              this text

Ends with one line of JSON; a full run (no --quick, --rounds, --events or --store) writes
docs/benchmarks/edge-aggregator.json.`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    store: { type: 'string' },
    rounds: { type: 'string' },
    events: { type: 'string' },
    shoppers: { type: 'string' },
    phases: { type: 'string' },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const positive = (value: string | undefined, fallback: number, name: string) => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
type Store = 'tcp' | 'rest';
const storeArg = args.store ?? 'both';
if (!['tcp', 'rest', 'both'].includes(storeArg)) {
  console.error(`--store must be tcp, rest or both\n\n${USAGE}`);
  process.exit(2);
}
const STORES: Store[] = storeArg === 'both' ? ['tcp', 'rest'] : [storeArg as Store];
const QUICK = args.quick;
const ROUNDS = positive(args.rounds, QUICK ? 1 : 3, '--rounds');
const SATURATION_EVENTS = positive(args.events, QUICK ? 50_000 : 200_000, '--events');
const SHOPPERS = positive(args.shoppers, 20_000, '--shoppers');
const WARMUP_S = QUICK ? 5 : 10;
const MEASURE_S = QUICK ? 15 : 30;
const RATES = [1_000, 10_000];
/** Tried in turn when a store path cannot sustain the highest rate. */
const FALLBACK_RATES = [5_000, 2_500];
/** Event-time span of the saturation load: records per second of event time (a 20 s burst for 200k). */
const SATURATION_EVENT_RATE = 10_000;
const CPU_PROF = args['cpu-prof'];
const PHASES = new Set((args.phases ?? 'freshness,saturation').split(',').map((phase) => phase.trim()));
if ([...PHASES].some((phase) => phase !== 'freshness' && phase !== 'saturation')) {
  console.error(`--phases takes freshness, saturation or both\n\n${USAGE}`);
  process.exit(2);
}
const CANONICAL =
  !QUICK &&
  args.rounds === undefined &&
  args.events === undefined &&
  args.store === undefined &&
  args.phases === undefined;
const TILE_MS = 10_000;
const WINDOW_5M_MS = 300_000;
const PROBE_POLL_MS = 20;
const PROFILE_PRELOAD = fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------
// The stack: broker, redis-server, REST endpoint; all on free ports, all stopped at the end.

const loadBefore = os.loadavg();
const startedAt = Date.now();
log(`edge-aggregator end to end: starting Kafka, redis-server${STORES.includes('rest') ? ', REST endpoint' : ''}`);
const broker = await startKafka({ log: () => {} });
const redisServer = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
if (!redisServer.startedByUs) throw new Error('expected a redis-server of our own on a free port');
const redis = new Redis(redisServer.url);
const restToken = randomBytes(24).toString('base64url');
let rest: RestEndpointProcess | null = null;
const kafka = new Kafka({ clientId: 'tandem-bench', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const children = new Set<AggregatorProcess>();

async function shutdown(): Promise<void> {
  killProducers();
  for (const child of children) await child.kill().catch(() => {});
  await admin.disconnect().catch(() => {});
  redis.disconnect();
  await rest?.stop().catch(() => {});
  await redisServer.stop().catch(() => {});
  await broker.stop().catch(() => {});
}
process.once('SIGINT', () => {
  shutdown().finally(() => process.exit(130));
});
// kafkajs lets a few internal promises reject unobserved (metadata of a topic just created or
// deleted); they are logged, and any error still ends in shutdown() so no child outlives the bench.
process.on('unhandledRejection', (error) => log(`  (unobserved rejection: ${String(error)})`));
process.once('uncaughtException', (error) => {
  console.error(error);
  shutdown().finally(() => process.exit(1));
});

try {
  await admin.connect();
  if (STORES.includes('rest')) rest = await startRestEndpoint(redisServer.url, await freePort(), restToken);
} catch (error) {
  await shutdown();
  throw error;
}

// ---------------------------------------------------------------------------------------------
// One aggregator run: its own topic and consumer group, Redis emptied and topics deleted afterwards.

let runCounter = 0;
interface RunContext {
  readonly topic: string;
  readonly group: string;
  readonly metricsUrl: string;
  readonly healthUrl: string;
  readonly env: Record<string, string>;
}

async function prepareRun(store: Store, purpose: string): Promise<RunContext> {
  runCounter++;
  const id = `${purpose}-${store}-${runCounter}-${Date.now().toString(36)}`;
  const topic = `bench-${id}`;
  const group = `bench-${id}`;
  // A broker under load can lag its own metadata right after a creation or deletion: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await createTopics(broker.brokers, [topic], 6);
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
  const port = await freePort();
  const env: Record<string, string> = {
    KAFKA_BROKERS: broker.brokers,
    REDIS_URL: redisServer.url,
    FEATURE_STORE: store,
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(port),
    CONSUMER_GROUP: group,
    ENRICHED_TOPIC: topic,
    LOG_LEVEL: 'info',
  };
  if (store === 'rest' && rest !== null) {
    env.UPSTASH_REDIS_REST_URL = rest.url;
    env.UPSTASH_REDIS_REST_TOKEN = restToken;
  }
  return {
    topic,
    group,
    env,
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
  };
}

async function startAggregator(ctx: RunContext, extraEnv: Record<string, string> = {}): Promise<AggregatorProcess> {
  const aggregator = await startAggregatorProcess({ ...ctx.env, ...extraEnv }, `aggregator ${ctx.group}`);
  children.add(aggregator);
  return aggregator;
}

async function waitReady(healthUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(healthUrl).catch(() => null);
    if (response?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${healthUrl} was not ready in ${timeoutMs} ms`);
}

async function finishRun(ctx: RunContext, aggregator: AggregatorProcess | null): Promise<void> {
  if (aggregator !== null) {
    const code = await aggregator.stop();
    children.delete(aggregator);
    if (code !== 0) log(`  (aggregator exited with ${code}; last output:\n${aggregator.output().slice(-1500)})`);
  }
  await redis.flushall();
  await admin
    .deleteTopics({ topics: [ctx.topic, `${ctx.group}-user-events`, `${ctx.group}-session-events`] })
    .catch((error: unknown) => log(`  (deleting topics: ${String(error)})`));
}

/** CPU seconds of the other processes of the stack. */
function stackCpu(producerPid?: number) {
  return {
    machine: machineBusySeconds(),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    broker: cpuSeconds(broker.pid),
    redis: cpuSeconds(redisServer.pid),
    rest: rest === null ? null : cpuSeconds(rest.pid),
    producer: cpuSeconds(producerPid),
  };
}
type StackCpu = ReturnType<typeof stackCpu>;

/** Cores used by processes outside this benchmark's stack during an interval (other people's work). */
function otherCores(before: StackCpu, after: StackCpu, aggregatorSeconds: number, seconds: number): number | null {
  if (before.machine === null || after.machine === null) return null;
  let ours = aggregatorSeconds + (after.bench - before.bench);
  for (const part of ['broker', 'redis', 'rest', 'producer'] as const) {
    const [a, b] = [before[part], after[part]];
    if (a !== null && b !== null) ours += b - a;
  }
  return round(Math.max(0, after.machine - before.machine - ours) / seconds, 2);
}

function cores(before: number | null, after: number | null, seconds: number): number | null {
  return before === null || after === null ? null : round((after - before) / seconds, 2);
}
function microsPerEvent(before: number | null, after: number | null, events: number): number | null {
  return before === null || after === null || events <= 0 ? null : round(((after - before) * 1e6) / events, 1);
}

const AGGREGATOR_CPU = 'tandem_aggregator_process_cpu_seconds_total';
/** Commands this process sends (the probes poll with commands the aggregator never uses). */
const OWN_COMMANDS = new Set(['info', 'getrange', 'hmget', 'flushall', 'ping']);

function commandsOf(delta: ReadonlyMap<string, number>) {
  let all = 0;
  let scripts = 0;
  for (const [command, calls] of delta) {
    if (OWN_COMMANDS.has(command)) continue;
    all += calls;
    if (command === 'evalsha' || command === 'eval') scripts += calls;
  }
  return { all, scripts };
}

// ---------------------------------------------------------------------------------------------
// T4: staleness probes.

let probeCounter = 0;

interface StalenessResult {
  /** ms from the tile boundary until Redis held the new value (key and hash field both). */
  readonly samplesMs: number[];
  /** Probes applied too late to see the old value before the boundary (no sample). */
  readonly missed: number;
}

/**
 * Probe shoppers with two product views: one in the 10-second tile that leaves the 5-minute window at
 * a boundary a few seconds ahead, one now. Their `product_view_count_5m` goes from 2 to 1 at the
 * boundary; the string key still expires minutes later, so only the aggregator's expiry scheduler
 * writes the 1. Polls the key and the hash field every 20 ms (GETRANGE and HMGET: commands the
 * aggregator never sends, so they are left out of its command counts).
 */
async function probeStaleness(topic: string, boundaries: number, perBoundary: number): Promise<StalenessResult> {
  const now = Date.now();
  const first = (Math.floor((now + 4_000) / TILE_MS) + 1) * TILE_MS;
  const probes: { duid: string; leavesAt: number }[] = [];
  const messages: { key: string; value: string }[] = [];
  for (let b = 0; b < boundaries; b++) {
    for (let p = 0; p < perBoundary; p++) {
      const n = ++probeCounter;
      const duid = `eeeeeeee-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
      const sessionId = `eeeeeeee-5555-4000-8000-${n.toString(16).padStart(12, '0')}`;
      const leavesAt = first + b * TILE_MS;
      const view = (k: number, timeMs: number): EventSpec => ({
        eventId: uuid(0xe0_0000_0000 + n * 2 + k),
        timeMs,
        domainUserId: duid,
        sessionId,
        type: 'product_view',
        products: [{ id: `probe-${n}-${k}`, category: 'Shoes', price: 42.99, currency: 'USD' }],
      });
      messages.push({ key: duid, value: enrichedTsv(view(0, leavesAt - WINDOW_5M_MS + 500)) });
      messages.push({ key: duid, value: enrichedTsv(view(1, now - 1_000)) });
      probes.push({ duid, leavesAt });
    }
  }
  // A producer per run: kafkajs keeps refreshing metadata of every topic a producer ever sent to,
  // and fails once a previous run's topic is deleted.
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
  const results = await Promise.all(
    probes.map(async ({ duid, leavesAt }) => {
      const key = userFeatureKey(duid, 'product_view_count_5m');
      const hash = userHashKey(duid);
      const read = async () => {
        const replies = await redis.pipeline().getrange(key, 0, -1).hmget(hash, 'product_view_count_5m').exec();
        const fields = (replies?.[1]?.[1] ?? []) as (string | null)[];
        return { key: replies?.[0]?.[1] as string, field: fields[0] ?? null };
      };
      let sawTwo = false;
      const deadline = leavesAt + 20_000;
      while (Date.now() < deadline) {
        const value = await read();
        const at = Date.now();
        if (!sawTwo) {
          if (value.key === '2' && value.field === '2' && at < leavesAt) sawTwo = true;
          else if (at >= leavesAt) return null;
        } else if (value.key === '1' && value.field === '1') {
          return at - leavesAt;
        }
        await sleep(PROBE_POLL_MS);
      }
      return Number.POSITIVE_INFINITY;
    }),
  );
  return {
    samplesMs: results.filter((r): r is number => r !== null),
    missed: results.filter((r) => r === null).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Freshness at a fixed rate.

interface FreshnessRun {
  readonly store: Store;
  readonly rate: number;
  readonly round: number;
  readonly producerEventsPerSec: number;
  readonly inEventsPerSec: number;
  readonly observations: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  /** A percentile fell in the +Inf bucket (beyond 30 s): its figure is a lower bound. */
  readonly aboveLastBucket: boolean;
  readonly laneLagAtEnd: number;
  readonly sustained: boolean;
  readonly cores: Record<'aggregator' | 'broker' | 'redis' | 'rest' | 'producer', number | null>;
  /** Cores other processes on the machine (not this benchmark's) used meanwhile. */
  readonly otherCores: number | null;
  readonly cpuUsPerEvent: Record<'aggregator' | 'broker' | 'redis' | 'rest', number | null>;
  readonly aggregatorPeakRssMb: number | null;
  readonly redisOpsPerEvent: number;
  readonly redisCommandsPerEvent: number;
  readonly scriptCallsPerEvent: number;
  readonly staleness: StalenessResult;
}

async function freshnessRun(store: Store, rate: number, roundIndex: number): Promise<FreshnessRun> {
  const ctx = await prepareRun(store, `fresh${rate}`);
  let aggregator: AggregatorProcess | null = null;
  try {
    aggregator = await startAggregator(ctx);
    await waitReady(ctx.healthUrl);
    const seconds = 1 + WARMUP_S + MEASURE_S + 2;
    const producer = startProducer(broker.brokers, ctx.topic, [
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
      '--shoppers',
      String(SHOPPERS),
      '--seed',
      String(roundIndex + 1),
    ]);
    await producer.started;
    await sleep(WARMUP_S * 1000 - 1000);
    const before = { scrape: await scrape(ctx.metricsUrl), cpu: stackCpu(producer.child.pid) };
    const callsBefore = await commandCalls(redis);
    const boundaries = Math.max(1, Math.floor((MEASURE_S - 6) / 10));
    const probing = probeStaleness(ctx.topic, boundaries, 2);
    probing.catch(() => {});
    await sleep(MEASURE_S * 1000);
    const after = { scrape: await scrape(ctx.metricsUrl), cpu: stackCpu(producer.child.pid) };
    const callsAfter = await commandCalls(redis);
    const summary = await producer.done;
    const staleness = await probing;
    const memory = memoryMb(aggregator.child.pid);
    return summarizeFreshness(store, rate, roundIndex, before, after, callsDelta(callsBefore, callsAfter), {
      producerEventsPerSec: summary.eventsPerSecond,
      peakRss: memory?.peak ?? null,
      staleness,
    });
  } finally {
    await finishRun(ctx, aggregator);
  }
}

function summarizeFreshness(
  store: Store,
  rate: number,
  roundIndex: number,
  before: { scrape: Scrape; cpu: StackCpu },
  after: { scrape: Scrape; cpu: StackCpu },
  calls: ReadonlyMap<string, number>,
  extra: { producerEventsPerSec: number; peakRss: number | null; staleness: StalenessResult },
): FreshnessRun {
  const seconds = (after.scrape.atMs - before.scrape.atMs) / 1000;
  const events = total(after.scrape, 'tandem_events_in_total') - total(before.scrape, 'tandem_events_in_total');
  const delta = bucketDelta(
    buckets(before.scrape, 'tandem_freshness_seconds'),
    buckets(after.scrape, 'tandem_freshness_seconds'),
  );
  const p = (q: number) => bucketPercentile(delta, q);
  const [p50, p99, p999] = [p(0.5), p(0.99), p(0.999)];
  const ms = (value: { value: number } | null) => (value === null ? null : round(value.value * 1000, 1));
  const laneLagAtEnd = total(after.scrape, 'tandem_consumer_lag');
  const inEventsPerSec = events / seconds;
  const commands = commandsOf(calls);
  const aggCpu = [total(before.scrape, AGGREGATOR_CPU), total(after.scrape, AGGREGATOR_CPU)] as const;
  return {
    store,
    rate,
    round: roundIndex + 1,
    producerEventsPerSec: extra.producerEventsPerSec,
    inEventsPerSec: round(inEventsPerSec),
    observations: delta[delta.length - 1]?.count ?? 0,
    p50Ms: ms(p50),
    p99Ms: ms(p99),
    p999Ms: ms(p999),
    aboveLastBucket: [p50, p99, p999].some((x) => x?.aboveLastBucket === true),
    laneLagAtEnd,
    // Kept up: took in (nearly) all that was produced, little backlog left, and a p50 under a second.
    sustained: inEventsPerSec >= 0.95 * rate && laneLagAtEnd <= rate && (p50?.value ?? 99) <= 1,
    cores: {
      aggregator: cores(aggCpu[0], aggCpu[1], seconds),
      broker: cores(before.cpu.broker, after.cpu.broker, seconds),
      redis: cores(before.cpu.redis, after.cpu.redis, seconds),
      rest: cores(before.cpu.rest, after.cpu.rest, seconds),
      producer: cores(before.cpu.producer, after.cpu.producer, seconds),
    },
    otherCores: otherCores(before.cpu, after.cpu, aggCpu[1] - aggCpu[0], seconds),
    cpuUsPerEvent: {
      aggregator: microsPerEvent(aggCpu[0], aggCpu[1], events),
      broker: microsPerEvent(before.cpu.broker, after.cpu.broker, events),
      redis: microsPerEvent(before.cpu.redis, after.cpu.redis, events),
      rest: microsPerEvent(before.cpu.rest, after.cpu.rest, events),
    },
    aggregatorPeakRssMb: extra.peakRss === null ? null : round(extra.peakRss),
    redisOpsPerEvent: round(
      (total(after.scrape, 'tandem_redis_ops_total') - total(before.scrape, 'tandem_redis_ops_total')) / events,
      2,
    ),
    redisCommandsPerEvent: round(commands.all / events, 2),
    scriptCallsPerEvent: round(commands.scripts / events, 3),
    staleness: extra.staleness,
  };
}

// ---------------------------------------------------------------------------------------------
// Saturation: everything produced up front, then the aggregator started and timed.

interface SaturationRun {
  readonly store: Store;
  readonly round: number;
  readonly events: number;
  readonly producerEventsPerSec: number;
  /** From the last scrape before the first event was read until everything was applied and acknowledged. */
  readonly eventsPerSec: number;
  readonly seconds: number;
  /** The same, counted from spawning the aggregator (process start, group join, restore included). */
  readonly eventsPerSecFromSpawn: number;
  readonly cores: Record<'aggregator' | 'broker' | 'redis' | 'rest', number | null>;
  readonly otherCores: number | null;
  readonly cpuUsPerEvent: Record<'aggregator' | 'broker' | 'redis' | 'rest', number | null>;
  readonly aggregatorPeakRssMb: number | null;
  readonly brokerRssMb: number | null;
  readonly redisUsedMemoryMb: number;
  readonly redisOpsPerEvent: number;
  readonly redisCommandsPerEvent: number;
  readonly scriptCallsPerEvent: number;
  readonly laneRecords: number;
  readonly commands: Record<string, number>;
  readonly profile?: ProfileSummary;
}

async function laneTopicTotal(group: string): Promise<number> {
  let sum = 0;
  for (const topic of [`${group}-user-events`, `${group}-session-events`]) {
    for (const o of await admin.fetchTopicOffsets(topic)) sum += Number(o.high);
  }
  return sum;
}

async function inputCommitted(group: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function saturationRun(store: Store, roundIndex: number, profileDir?: string): Promise<SaturationRun> {
  const ctx = await prepareRun(store, profileDir === undefined ? 'sat' : 'prof');
  let starting: Promise<AggregatorProcess> | null = null;
  let result: SaturationRun;
  try {
    const produced = await startProducer(broker.brokers, ctx.topic, [
      '--events',
      String(SATURATION_EVENTS),
      '--event-rate',
      String(SATURATION_EVENT_RATE),
      '--shoppers',
      String(SHOPPERS),
      '--seed',
      String(100 + roundIndex),
      '--max-in-flight',
      '8',
    ]).done;
    const events = produced.events;
    const callsBefore = await commandCalls(redis);
    const spawnedAt = Date.now();
    starting = startAggregator(
      ctx,
      profileDir === undefined
        ? {}
        : {
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROFILE_PRELOAD}`.trim(),
            TANDEM_CPU_PROFILE_DIR: profileDir,
          },
    );
    let startError: unknown = null;
    starting.catch((error: unknown) => {
      startError = error;
    });
    // Scrape from the start (the metrics server listens before the consumer joins), so the last
    // scrape before the first event was read marks the start of the timed interval.
    let start: { scrape: Scrape; cpu: StackCpu } | null = null;
    let last: { scrape: Scrape; cpu: StackCpu } | null = null;
    let laneTotal: number | null = null;
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`${store}: not all ${events} events applied in 15 min`);
      if (startError !== null) throw startError;
      const current = await scrape(ctx.metricsUrl).then(
        (s) => ({ scrape: s, cpu: stackCpu() }),
        () => null,
      );
      if (current !== null) {
        const read = total(current.scrape, 'tandem_events_in_total');
        if (read === 0) start = current;
        else start ??= last ?? current;
        last = current;
        if (read >= events) {
          if (laneTotal === null && (await inputCommitted(ctx.group, ctx.topic)) >= events) {
            laneTotal = await laneTopicTotal(ctx.group);
          }
          if (laneTotal !== null && total(current.scrape, 'tandem_events_applied_total') >= laneTotal) break;
        }
      }
      await sleep(100);
    }
    const end = last as { scrape: Scrape; cpu: StackCpu };
    const begin = start as { scrape: Scrape; cpu: StackCpu };
    const callsAfter = await commandCalls(redis);
    const aggregator = await starting;
    const memory = memoryMb(aggregator.child.pid);
    const brokerMemory = memoryMb(broker.pid);
    const usedMemory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? Number.NaN);
    const seconds = (end.scrape.atMs - begin.scrape.atMs) / 1000;
    const delta = callsDelta(callsBefore, callsAfter);
    const commands = commandsOf(delta);
    const aggCpu = [total(begin.scrape, AGGREGATOR_CPU), total(end.scrape, AGGREGATOR_CPU)] as const;
    result = {
      store,
      round: roundIndex + 1,
      events,
      producerEventsPerSec: produced.eventsPerSecond,
      eventsPerSec: round(events / seconds),
      seconds: round(seconds, 2),
      eventsPerSecFromSpawn: round(events / ((end.scrape.atMs - spawnedAt) / 1000)),
      cores: {
        aggregator: cores(aggCpu[0], aggCpu[1], seconds),
        broker: cores(begin.cpu.broker, end.cpu.broker, seconds),
        redis: cores(begin.cpu.redis, end.cpu.redis, seconds),
        rest: cores(begin.cpu.rest, end.cpu.rest, seconds),
      },
      otherCores: otherCores(begin.cpu, end.cpu, aggCpu[1] - aggCpu[0], seconds),
      cpuUsPerEvent: {
        aggregator: microsPerEvent(aggCpu[0], aggCpu[1], events),
        broker: microsPerEvent(begin.cpu.broker, end.cpu.broker, events),
        redis: microsPerEvent(begin.cpu.redis, end.cpu.redis, events),
        rest: microsPerEvent(begin.cpu.rest, end.cpu.rest, events),
      },
      aggregatorPeakRssMb: memory === null ? null : round(memory.peak),
      brokerRssMb: brokerMemory === null ? null : round(brokerMemory.rss),
      redisUsedMemoryMb: round(usedMemory / 1024 / 1024),
      redisOpsPerEvent: round(total(end.scrape, 'tandem_redis_ops_total') / events, 2),
      redisCommandsPerEvent: round(commands.all / events, 2),
      scriptCallsPerEvent: round(commands.scripts / events, 3),
      laneRecords: laneTotal ?? 0,
      commands: Object.fromEntries(
        [...delta.entries()].filter(([command]) => !OWN_COMMANDS.has(command)).sort((a, b) => b[1] - a[1]),
      ),
    };
  } finally {
    await finishRun(ctx, starting === null ? null : await starting.catch(() => null));
  }
  if (profileDir === undefined) return result;
  // Written by the aggregator's process as it exits.
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  return file === undefined ? result : { ...result, profile: summarizeProfile(join(profileDir, file)) };
}

// ---------------------------------------------------------------------------------------------
// The runs.

const freshness: FreshnessRun[] = [];
const saturation: SaturationRun[] = [];
const profiles: Partial<Record<Store, ProfileSummary>> = {};
/** Stores in alternating order per round, so a machine that speeds up or slows down favours neither. */
const ordered = (roundIndex: number) => (roundIndex % 2 === 0 ? STORES : [...STORES].reverse());

function logFreshness(run: FreshnessRun): void {
  log(
    `  ${run.store} ${run.rate.toLocaleString('en-US')}/s round ${run.round}: freshness p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, p99.9 ${run.p999Ms} ms` +
      ` (${run.observations} lane writes); in ${run.inEventsPerSec}/s (producer ${run.producerEventsPerSec}/s), lane lag ${run.laneLagAtEnd}` +
      `${run.sustained ? '' : ' NOT SUSTAINED'}; aggregator ${run.cores.aggregator} cores, other people's processes ${run.otherCores} cores; staleness ${JSON.stringify(run.staleness.samplesMs)}${run.staleness.missed > 0 ? ` (${run.staleness.missed} missed)` : ''}`,
  );
}

let failure: unknown = null;
try {
  const ratesByStore = new Map<Store, number[]>(STORES.map((store) => [store, [...RATES]]));
  for (const rate of PHASES.has('freshness') ? RATES : []) {
    log(`freshness at ${rate.toLocaleString('en-US')} events/s (${WARMUP_S} s warm-up, ${MEASURE_S} s measured)`);
    for (let r = 0; r < ROUNDS; r++) {
      for (const store of ordered(r)) {
        const run = await freshnessRun(store, rate, r);
        freshness.push(run);
        logFreshness(run);
      }
    }
  }
  // Lower rates where the highest was not sustained in most rounds.
  for (const store of PHASES.has('freshness') ? STORES : []) {
    let rate = RATES[RATES.length - 1] as number;
    for (const fallback of FALLBACK_RATES) {
      const runs = freshness.filter((run) => run.store === store && run.rate === rate);
      if (runs.filter((run) => run.sustained).length * 2 > runs.length) break;
      rate = fallback;
      ratesByStore.get(store)?.push(rate);
      log(`freshness at ${rate.toLocaleString('en-US')} events/s for ${store} (the higher rate was not sustained)`);
      for (let r = 0; r < ROUNDS; r++) {
        const run = await freshnessRun(store, rate, r);
        freshness.push(run);
        logFreshness(run);
      }
    }
  }
  log(`saturation: ${SATURATION_EVENTS.toLocaleString('en-US')} events produced up front, then the aggregator`);
  for (let r = 0; r < (PHASES.has('saturation') ? ROUNDS : 0); r++) {
    for (const store of ordered(r)) {
      const run = await saturationRun(store, r);
      saturation.push(run);
      log(
        `  ${store} round ${run.round}: ${run.eventsPerSec.toLocaleString('en-US')} events/s (${run.seconds} s; ${run.eventsPerSecFromSpawn}/s from spawn)` +
          `, cores: aggregator ${run.cores.aggregator}, broker ${run.cores.broker}, redis ${run.cores.redis}${run.cores.rest === null ? '' : `, rest ${run.cores.rest}`}` +
          `; others ${run.otherCores}; ${run.redisCommandsPerEvent} Redis commands/event (${run.scriptCallsPerEvent} script calls), peak RSS ${run.aggregatorPeakRssMb} MB`,
      );
    }
  }
  if (CPU_PROF) {
    for (const store of STORES) {
      const dir = mkdtempSync(join(os.tmpdir(), `tandem-cpu-prof-${store}-`));
      try {
        const run = await saturationRun(store, 0, dir);
        if (run.profile !== undefined) profiles[store] = run.profile;
        log(`  profiled ${store} run: ${run.eventsPerSec.toLocaleString('en-US')} events/s under --cpu-prof`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} catch (error) {
  failure = error;
} finally {
  await shutdown();
}
if (failure !== null) throw failure;

// ---------------------------------------------------------------------------------------------
// Figures.

const med = (values: readonly (number | null)[], digits = 0): number | null => {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? null : round(median(present), digits);
};

function freshnessFigures(store: Store) {
  const rates = [...new Set(freshness.filter((run) => run.store === store).map((run) => run.rate))];
  return Object.fromEntries(
    rates.map((rate) => {
      const runs = freshness.filter((run) => run.store === store && run.rate === rate);
      return [
        String(rate),
        {
          p50Ms: med(
            runs.map((r) => r.p50Ms),
            1,
          ),
          p99Ms: med(
            runs.map((r) => r.p99Ms),
            1,
          ),
          p999Ms: med(
            runs.map((r) => r.p999Ms),
            1,
          ),
          sustainedRounds: runs.filter((r) => r.sustained).length,
          aboveLastBucket: runs.some((r) => r.aboveLastBucket),
          inEventsPerSec: med(runs.map((r) => r.inEventsPerSec)),
          producerEventsPerSec: med(runs.map((r) => r.producerEventsPerSec)),
          cores: {
            aggregator: med(
              runs.map((r) => r.cores.aggregator),
              2,
            ),
            broker: med(
              runs.map((r) => r.cores.broker),
              2,
            ),
            redis: med(
              runs.map((r) => r.cores.redis),
              2,
            ),
            rest: med(
              runs.map((r) => r.cores.rest),
              2,
            ),
            producer: med(
              runs.map((r) => r.cores.producer),
              2,
            ),
          },
          otherCores: med(
            runs.map((r) => r.otherCores),
            2,
          ),
          aggregatorCpuUsPerEvent: med(
            runs.map((r) => r.cpuUsPerEvent.aggregator),
            1,
          ),
          aggregatorPeakRssMb: med(runs.map((r) => r.aggregatorPeakRssMb)),
          redisOpsPerEvent: med(
            runs.map((r) => r.redisOpsPerEvent),
            2,
          ),
          redisCommandsPerEvent: med(
            runs.map((r) => r.redisCommandsPerEvent),
            2,
          ),
          scriptCallsPerEvent: med(
            runs.map((r) => r.scriptCallsPerEvent),
            3,
          ),
          runs: runs.map((r) => ({ p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, sustained: r.sustained })),
        },
      ];
    }),
  );
}

function saturationFigures(store: Store) {
  const runs = saturation.filter((run) => run.store === store);
  const key = <K extends 'cores' | 'cpuUsPerEvent'>(field: K, part: 'aggregator' | 'broker' | 'redis' | 'rest') =>
    med(
      runs.map((r) => r[field][part]),
      field === 'cores' ? 2 : 1,
    );
  return {
    eventsPerSec: med(runs.map((r) => r.eventsPerSec)),
    eventsPerSecFromSpawn: med(runs.map((r) => r.eventsPerSecFromSpawn)),
    producerEventsPerSec: med(runs.map((r) => r.producerEventsPerSec)),
    cores: {
      aggregator: key('cores', 'aggregator'),
      broker: key('cores', 'broker'),
      redis: key('cores', 'redis'),
      rest: key('cores', 'rest'),
    },
    cpuUsPerEvent: {
      aggregator: key('cpuUsPerEvent', 'aggregator'),
      broker: key('cpuUsPerEvent', 'broker'),
      redis: key('cpuUsPerEvent', 'redis'),
      rest: key('cpuUsPerEvent', 'rest'),
    },
    otherCores: med(
      runs.map((r) => r.otherCores),
      2,
    ),
    aggregatorPeakRssMb: med(runs.map((r) => r.aggregatorPeakRssMb)),
    brokerRssMb: med(runs.map((r) => r.brokerRssMb)),
    redisUsedMemoryMb: med(runs.map((r) => r.redisUsedMemoryMb)),
    redisOpsPerEvent: med(
      runs.map((r) => r.redisOpsPerEvent),
      2,
    ),
    redisCommandsPerEvent: med(
      runs.map((r) => r.redisCommandsPerEvent),
      2,
    ),
    scriptCallsPerEvent: med(
      runs.map((r) => r.scriptCallsPerEvent),
      3,
    ),
    laneRecordsPerEvent: med(
      runs.map((r) => r.laneRecords / r.events),
      2,
    ),
    commands: runs[0]?.commands ?? {},
    runs: runs.map((r) => r.eventsPerSec),
  };
}

function stalenessFigures(store: Store) {
  const runs = freshness.filter((run) => run.store === store);
  const samples = runs.flatMap((run) => run.staleness.samplesMs).sort((a, b) => a - b);
  return {
    medianMs: med(samples),
    maxMs: samples.length === 0 ? null : (samples[samples.length - 1] as number),
    samples: samples.length,
    missed: runs.reduce((sum, run) => sum + run.staleness.missed, 0),
    byRate: Object.fromEntries(
      [...new Set(runs.map((r) => r.rate))].map((rate) => {
        const at = runs.filter((r) => r.rate === rate).flatMap((r) => r.staleness.samplesMs);
        return [String(rate), { medianMs: med(at), maxMs: at.length === 0 ? null : Math.max(...at) }];
      }),
    ),
  };
}

const perStore = Object.fromEntries(
  STORES.map((store) => [
    store,
    {
      freshness: freshnessFigures(store),
      saturation: saturationFigures(store),
      staleness: stalenessFigures(store),
      ...(profiles[store] === undefined ? {} : { profile: profiles[store] }),
    },
  ]),
) as Record<
  Store,
  {
    freshness: ReturnType<typeof freshnessFigures>;
    saturation: ReturnType<typeof saturationFigures>;
    staleness: ReturnType<typeof stalenessFigures>;
    profile?: ProfileSummary;
  }
>;

const at10k = (store: Store) => perStore[store]?.freshness['10000'];
const ratio = (a: number | null | undefined, b: number | null | undefined, digits = 2) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round(a / b, digits);
const best = (pick: (store: Store) => number | null | undefined, better: 'max' | 'min') => {
  const values = STORES.map(pick).filter((v): v is number => v !== null && v !== undefined);
  if (values.length === 0) return null;
  return better === 'max' ? Math.max(...values) : Math.min(...values);
};
const targets = Object.fromEntries(
  STORES.map((store) => {
    const sat = perStore[store].saturation.eventsPerSec;
    const fresh = at10k(store);
    const stale = perStore[store].staleness.maxMs;
    return [
      store,
      {
        T2: { target: '>= 50,000 events/s sustained', value: sat, met: sat !== null && sat >= 50_000 },
        T3: {
          target: 'p50 <= 50 ms, p99 <= 250 ms at 10,000 events/s',
          p50Ms: fresh?.p50Ms ?? null,
          p99Ms: fresh?.p99Ms ?? null,
          met:
            fresh !== undefined &&
            fresh.sustainedRounds * 2 > ROUNDS &&
            (fresh.p50Ms ?? Number.POSITIVE_INFINITY) <= 50 &&
            (fresh.p99Ms ?? Number.POSITIVE_INFINITY) <= 250,
        },
        T4: { target: '<= 1 s', maxMs: stale, met: stale !== null && stale <= 1_000 },
      },
    ];
  }),
);

const figures = {
  stores: perStore,
  targets,
  restVsTcp:
    STORES.length === 2
      ? {
          saturationThroughput: ratio(perStore.rest.saturation.eventsPerSec, perStore.tcp.saturation.eventsPerSec),
          freshnessP50At1k: ratio(perStore.rest.freshness['1000']?.p50Ms, perStore.tcp.freshness['1000']?.p50Ms),
          freshnessP99At1k: ratio(perStore.rest.freshness['1000']?.p99Ms, perStore.tcp.freshness['1000']?.p99Ms),
          freshnessP50At10k: ratio(at10k('rest')?.p50Ms, at10k('tcp')?.p50Ms),
          freshnessP99At10k: ratio(at10k('rest')?.p99Ms, at10k('tcp')?.p99Ms),
          aggregatorCpuPerEvent: ratio(
            perStore.rest.saturation.cpuUsPerEvent.aggregator,
            perStore.tcp.saturation.cpuUsPerEvent.aggregator,
          ),
        }
      : null,
  best: {
    saturationEventsPerSec: best((s) => perStore[s].saturation.eventsPerSec, 'max'),
    p50MsAt10k: best((s) => at10k(s)?.p50Ms, 'min'),
    p99MsAt10k: best((s) => at10k(s)?.p99Ms, 'min'),
  },
  method: {
    freshness:
      'tandem_freshness_seconds (Kafka LogAppendTime on the enriched topic -> Redis ack, one observation per lane write), scraped before and after the measured interval, bucket-interpolated',
    staleness:
      'probe shoppers whose product_view_count_5m goes 2 -> 1 at a 10 s tile boundary, polled in Redis every 20 ms',
    saturation: `events produced up front (${SATURATION_EVENT_RATE}/s of event time), then the aggregator started; timed from the last scrape before the first event was read until every lane record was applied and acknowledged`,
    processes:
      'broker (JVM), redis-server, REST endpoint (node), aggregator (node), producer (node) and this orchestrator share the machine',
  },
  rounds: ROUNDS,
  warmupSeconds: WARMUP_S,
  measuredSeconds: MEASURE_S,
  saturationEvents: SATURATION_EVENTS,
  shoppers: SHOPPERS,
  quick: QUICK,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: os.loadavg().map((v) => round(v, 2)) },
  minutes: round((Date.now() - startedAt) / 60_000, 1),
  date: new Date().toISOString(),
};

// ---------------------------------------------------------------------------------------------
// Report.

const n = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits });
const pad = (cells: string[], widths: number[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 10)).join('  ');
log('');
log(
  `edge-aggregator end to end, medians of ${ROUNDS} round(s); ${os.cpus().length} cores shared by broker, redis-server, REST endpoint, aggregator and producer`,
);
const widths = [6, 12, 22, 10, 26, 34];
log(
  pad(
    [
      'store',
      'rate (ev/s)',
      'fresh p50/p99/p99.9',
      'sustained',
      'CPU cores agg/brk/redis/rest',
      'agg CPU/event, cmds/event, RSS',
    ],
    widths,
  ),
);
for (const store of STORES) {
  for (const [rate, f] of Object.entries(perStore[store].freshness)) {
    log(
      pad(
        [
          store,
          n(Number(rate)),
          `${n(f.p50Ms, 1)} / ${n(f.p99Ms, 1)} / ${n(f.p999Ms, 1)} ms`,
          `${f.sustainedRounds}/${f.runs.length}`,
          `${n(f.cores.aggregator, 2)} / ${n(f.cores.broker, 2)} / ${n(f.cores.redis, 2)} / ${n(f.cores.rest, 2)}`,
          `${n(f.aggregatorCpuUsPerEvent, 1)} µs, ${n(f.redisCommandsPerEvent, 2)}, ${n(f.aggregatorPeakRssMb)} MB`,
        ],
        widths,
      ),
    );
  }
}
log('');
log(
  pad(
    [
      'store',
      'saturation',
      'runs',
      'CPU cores agg/brk/redis/rest',
      'CPU µs/event agg/brk/redis/rest',
      'Redis per event',
    ],
    [6, 14, 24, 28, 34, 30],
  ),
);
for (const store of STORES) {
  const s = perStore[store].saturation;
  log(
    pad(
      [
        store,
        `${n(s.eventsPerSec)} ev/s`,
        s.runs.map((v) => n(v)).join(', '),
        `${n(s.cores.aggregator, 2)} / ${n(s.cores.broker, 2)} / ${n(s.cores.redis, 2)} / ${n(s.cores.rest, 2)}`,
        `${n(s.cpuUsPerEvent.aggregator, 1)} / ${n(s.cpuUsPerEvent.broker, 1)} / ${n(s.cpuUsPerEvent.redis, 1)} / ${n(s.cpuUsPerEvent.rest, 1)}`,
        `${n(s.redisCommandsPerEvent, 2)} cmds, ${n(s.scriptCallsPerEvent, 3)} scripts, ${n(s.redisOpsPerEvent, 2)} ops`,
      ],
      [6, 14, 24, 28, 34, 30],
    ),
  );
}
log('');
for (const store of STORES) {
  const st = perStore[store].staleness;
  log(
    `T4 staleness (${store}): median ${n(st.medianMs)} ms, max ${n(st.maxMs)} ms over ${st.samples} probes (${st.missed} missed)`,
  );
}
for (const store of STORES) {
  const t = targets[store] as (typeof targets)[string];
  log(
    `targets (${store}): T2 ${t.T2.met ? 'met' : 'not met'} (${n(t.T2.value)} ev/s), T3 ${t.T3.met ? 'met' : 'not met'} (p50 ${n(t.T3.p50Ms, 1)} ms, p99 ${n(t.T3.p99Ms, 1)} ms), T4 ${t.T4.met ? 'met' : 'not met'} (max ${n(t.T4.maxMs)} ms)`,
  );
}
if (figures.restVsTcp !== null) log(`rest / tcp: ${JSON.stringify(figures.restVsTcp)}`);
for (const store of STORES) {
  const profile = perStore[store].profile;
  if (profile === undefined) continue;
  log(`CPU profile of the aggregator (${store}, saturation run, ${profile.busySeconds} s busy), self time:`);
  log(`  by module: ${profile.byModule.map((m) => `${m.module} ${(m.share * 100).toFixed(1)}%`).join(', ')}`);
  for (const f of profile.topFunctions) log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.fn}  ${f.where}`);
  log('  inclusive (self and callees):');
  for (const f of profile.topInclusive) log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.fn}  ${f.where}`);
}
if (CANONICAL) {
  writeFileSync(
    fileURLToPath(new URL('../../../docs/benchmarks/edge-aggregator.json', import.meta.url)),
    `${JSON.stringify(figures, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, items: string) => `[${items.split(/,\s+/).join(', ')}]`)}\n`,
  );
}
console.log(JSON.stringify(figures));
