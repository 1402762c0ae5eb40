/**
 * The replay command: `npm run replay -w @tandem/edge-aggregator -- --help`.
 *
 * Rebuilds every feature from the enriched topic's retained history into a fresh or separate Redis
 * (another server, another DB number, a Redis that lost its data while no aggregator ran), without
 * disturbing the live consumer group: it reads the topic from its earliest offset up to the high
 * watermarks taken at start with a throwaway group (`tandem-replay-<random>`) that never commits and
 * is deleted at the end, applies every event to one feature engine, evaluates every lane at one time
 * and writes each lane in full (every field set or deleted, the hash replaced), unfenced.
 *
 * A running aggregator keeps its own state and needs no replay: after a definition change it rebuilds
 * by itself (its checkpoints carry the definition version), and it fences its writes. The replay owns
 * no partition, so pointed at the Redis an aggregator writes it would race it; use it for a fresh or
 * separate Redis. It holds every lane in memory (the whole retained history), like one big partition.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createFeatureEngine,
  definitionVersion,
  evaluateSessionLane,
  evaluateUserLane,
  type SessionLane,
  type UserLane,
} from '@tandem/feature-core';
import { loadEnvLocalIntoProcess } from '@tandem/infra/env-local';
import { type ErasureRegistry, isErasedEvent } from '@tandem/infra/erasure';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { AGGREGATOR_ENV_DEFAULTS, type AggregatorConfig, ConfigError, loadConfig } from './config.js';
import { createErasureWatch } from './erasure.js';
import { type DeadLetterReason, decodeInput } from './input-decoder.js';
import { writeUnfenced } from './redis/feature-store.js';
import { type RedisTransport, restTransport, tcpTransport } from './redis/transport.js';
import { hashKey, type LaneKind, planLaneWrite, type RedisOp } from './write-plan.js';

/** Where the replay is: reading the topic, then writing lanes. */
export interface ReplayProgress {
  readonly phase: 'read' | 'write';
  /** Messages read (read phase) or lanes written (write phase). */
  readonly done: number;
  readonly total: number;
}

export interface ReplayOptions {
  /** Brokers, topic, input format and Redis settings: the aggregator's own (`loadConfig`). */
  readonly config: AggregatorConfig;
  /** Evaluation time, epoch ms; default the clock once the topic is read. */
  readonly atMs?: number;
  /** Compute everything and write nothing. */
  readonly dryRun?: boolean;
  /** Where to write; default one made from `config` (and closed at the end). Unused in a dry run. */
  readonly transport?: RedisTransport;
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly now?: () => number;
  /** The erasure registry: events of erased shoppers dated up to their erasure are skipped, as the aggregator does. */
  readonly erasures?: ErasureRegistry;
}

export interface ReplaySummary {
  readonly topic: string;
  /** The throwaway consumer group; deleted at the end unless `groupDeleted` is false. */
  readonly groupId: string;
  readonly groupDeleted: boolean;
  /** Messages read below the high watermarks taken at start. */
  readonly eventsRead: number;
  /** Decoded events that changed at least one lane. */
  readonly applied: number;
  /** Decoded events every lane had already seen (same event id). */
  readonly duplicates: number;
  /** Decoded events no lane took (no user-lane type and no session, or outside every window). */
  readonly notApplied: number;
  /** Events of erased shoppers, skipped (docs/decisions/0008-erasure.md). */
  readonly erased: number;
  /** Events of no shopper (anonymous tracking), skipped as the aggregator does. */
  readonly anonymous: number;
  /** Messages that could not be decoded, by reason (the aggregator's dead-letter reasons). */
  readonly dead: Readonly<Partial<Record<DeadLetterReason, number>>>;
  /** Lanes with at least one applied event, each written in full. */
  readonly lanes: { readonly user: number; readonly session: number };
  /** String keys set plus hashes written. */
  readonly keysWritten: number;
  /** String keys and hashes deleted (their value is empty at `atMs`). */
  readonly keysDeleted: number;
  readonly redisCalls: number;
  readonly atMs: number;
  readonly definitionVersion: string;
  readonly dryRun: boolean;
  readonly seconds: number;
}

/** Lanes per write batch: a batch's script calls run in order, batches run side by side. */
const LANES_PER_BATCH = 500;
const BATCHES_IN_FLIGHT = 4;

/** Offsets to read per partition: [low, high) as of the start. */
async function watermarks(admin: Admin, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const out = new Map<number, { low: number; high: number }>();
  let entries: Awaited<ReturnType<Admin['fetchTopicOffsets']>> | undefined;
  // Right after a broker start or a leader change the metadata kafkajs holds may be stale for a moment.
  for (let attempt = 1; entries === undefined; attempt++) {
    try {
      entries = await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (attempt >= 10 || (error as { retriable?: boolean }).retriable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
  for (const entry of entries) {
    out.set(entry.partition, { low: Number(entry.low), high: Number(entry.high) });
  }
  return out;
}

async function deleteGroup(admin: Admin, groupId: string): Promise<boolean> {
  try {
    await admin.deleteGroups([groupId]);
    return true;
  } catch (error) {
    // A group without offsets may already be gone once its last member left.
    const groups = (error as { groups?: { errorCode?: number; error?: { type?: string } }[] }).groups ?? [];
    return groups.length > 0 && groups.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND');
  }
}

/**
 * Reads the topic from its earliest offset up to the high watermarks taken at start (messages
 * appended meanwhile are left for the live consumer), handing each message value to `onMessage`.
 * The group never commits, so nothing of the live group's progress is touched.
 */
async function readTopic(
  config: AggregatorConfig,
  groupId: string,
  onMessage: (value: Buffer | null) => void,
  onProgress: (read: number, total: number) => void,
): Promise<{ read: number; groupDeleted: boolean }> {
  const kafka = new Kafka({
    clientId: groupId,
    brokers: config.brokers,
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      process.stderr.write(
        `${JSON.stringify({ component: 'kafkajs', level: entry.label, namespace: entry.namespace, ...entry.log })}\n`,
      );
    },
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topic = config.enrichedTopic;
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(`the input topic ${topic} does not exist on ${config.brokers.join(',')}`);
    }
    const ends = await watermarks(admin, topic);
    const remaining = new Set([...ends].filter(([, { low, high }]) => high > low).map(([partition]) => partition));
    const total = [...ends.values()].reduce((sum, { low, high }) => sum + Math.max(0, high - low), 0);
    let read = 0;
    onProgress(read, total);
    if (remaining.size === 0) return { read, groupDeleted: true };

    const consumer = kafka.consumer({
      groupId,
      maxBytesPerPartition: 4 * 1_048_576,
      maxBytes: 32 * 1_048_576,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    let settle: { resolve: () => void; reject: (error: unknown) => void } | null = null;
    const finished = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) settle?.reject(event.payload.error);
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, heartbeat }) => {
          const partition = batch.partition;
          if (!remaining.has(partition)) return;
          const high = ends.get(partition)?.high ?? 0;
          for (const message of batch.messages) {
            if (Number(message.offset) >= high) break;
            onMessage(message.value);
            read++;
          }
          onProgress(read, total);
          // lastOffset() covers records kafkajs filtered out (transaction markers, compaction gaps).
          if (Number(batch.lastOffset()) >= high - 1) {
            remaining.delete(partition);
            consumer.pause([{ topic, partitions: [partition] }]);
            if (remaining.size === 0) settle?.resolve();
          }
          await heartbeat();
        },
      });
      await finished;
    } finally {
      await consumer.disconnect().catch(() => {});
    }
    return { read, groupDeleted: await deleteGroup(admin, groupId) };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Runs `tasks` with at most `limit` in flight. */
async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * Rebuilds every feature from the topic's retained history (see the file comment). Bad messages are
 * counted by reason, never fatal; a Redis or Kafka failure rejects (nothing is committed anywhere, so
 * running it again is safe: every write is absolute).
 */
export async function runReplay(options: ReplayOptions): Promise<ReplaySummary> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const startedAt = performance.now();
  const dryRun = options.dryRun === true;
  const progress = options.onProgress ?? (() => {});
  const groupId = `tandem-replay-${randomUUID().slice(0, 12)}`;
  const engine = createFeatureEngine(config.engine);
  const version = definitionVersion(config.engine);

  const dead: Partial<Record<DeadLetterReason, number>> = {};
  let applied = 0;
  let duplicates = 0;
  let notApplied = 0;
  let erased = 0;
  let anonymous = 0;
  const erasures = options.erasures ?? new Map<string, number>();
  const { read, groupDeleted } = await readTopic(
    config,
    groupId,
    (value) => {
      const decoded = decodeInput(value, config.inputFormat);
      if (!decoded.ok && decoded.reason === 'no_shopper') {
        anonymous++;
        return;
      }
      if (!decoded.ok) {
        dead[decoded.reason] = (dead[decoded.reason] ?? 0) + 1;
        return;
      }
      if (isErasedEvent(erasures, decoded.event)) {
        erased++;
        return;
      }
      const outcome = engine.apply(decoded.event);
      if (outcome.user === 'applied' || outcome.session === 'applied') applied++;
      else if (outcome.user === 'duplicate' || outcome.session === 'duplicate') duplicates++;
      else notApplied++;
    },
    (done, total) => progress({ phase: 'read', done, total }),
  );

  const atMs = options.atMs ?? now();
  const lanes: { kind: LaneKind; laneKey: string }[] = [];
  // A lane with no applied event (a user lane met only by page views) has never had keys: skip it.
  for (const [laneKey, lane] of engine.userLanes) if (lane.eventsApplied > 0) lanes.push({ kind: 'user', laneKey });
  for (const [laneKey, lane] of engine.sessionLanes) {
    if (lane.eventsApplied > 0) lanes.push({ kind: 'session', laneKey });
  }

  let keysWritten = 0;
  let keysDeleted = 0;
  let redisCalls = 0;
  let lanesWritten = 0;
  const transport =
    dryRun || options.transport !== undefined
      ? (options.transport ?? null)
      : config.featureStore === 'rest'
        ? restTransport(config.restUrl, config.restToken)
        : tcpTransport(config.redisUrl);
  try {
    const tasks: (() => Promise<void>)[] = [];
    progress({ phase: 'write', done: 0, total: lanes.length });
    for (let i = 0; i < lanes.length; i += LANES_PER_BATCH) {
      const batch = lanes.slice(i, i + LANES_PER_BATCH);
      tasks.push(async () => {
        const ops: RedisOp[] = [];
        for (const { kind, laneKey } of batch) {
          const lane = kind === 'user' ? engine.userLanes.get(laneKey) : engine.sessionLanes.get(laneKey);
          if (lane === undefined) continue;
          const values =
            kind === 'user' ? evaluateUserLane(lane as UserLane, atMs) : evaluateSessionLane(lane as SessionLane, atMs);
          const plan = planLaneWrite({
            kind,
            laneKey,
            values,
            eventsApplied: lane.eventsApplied,
            definitionVersion: version,
            nowMs: atMs,
            previous: null,
          });
          const hash = hashKey(kind, laneKey);
          for (const op of plan.ops) {
            if (op.kind === 'set' || op.kind === 'hset') keysWritten++;
            else if (op.kind === 'del' && op.key !== hash) keysDeleted++;
            ops.push(op);
          }
          // A full write deletes the hash first; without an HSET after it, it stays deleted.
          if (!plan.ops.some((op) => op.kind === 'hset')) keysDeleted++;
        }
        if (transport !== null && !dryRun) redisCalls += await writeUnfenced(transport, ops);
        lanesWritten += batch.length;
        progress({ phase: 'write', done: lanesWritten, total: lanes.length });
      });
    }
    await inParallel(tasks, dryRun ? 1 : BATCHES_IN_FLIGHT);
  } finally {
    if (transport !== null && options.transport === undefined) await transport.close();
  }

  return {
    topic: config.enrichedTopic,
    groupId,
    groupDeleted,
    eventsRead: read,
    applied,
    duplicates,
    notApplied,
    erased,
    anonymous,
    dead,
    lanes: {
      user: lanes.filter((lane) => lane.kind === 'user').length,
      session: lanes.filter((lane) => lane.kind === 'session').length,
    },
    keysWritten,
    keysDeleted,
    redisCalls,
    atMs,
    definitionVersion: version,
    dryRun,
    seconds: Math.round((performance.now() - startedAt) / 10) / 100,
  };
}

// ---------------------------------------------------------------------------------------------------
// The command line

const USAGE = `Usage: npm run replay -w @tandem/edge-aggregator -- [--at <epoch ms>] [--redis-url <url>] [--dry-run]

Rebuilds every feature from the enriched topic's retained history: reads ENRICHED_TOPIC from its
earliest offset up to the high watermarks taken at start (a throwaway consumer group that never
commits and is deleted at the end: the live group CONSUMER_GROUP is not touched), computes every lane
with feature-core, evaluates each at one time and writes it in full (every key set or deleted, every
hash replaced). Bad messages are counted by reason.

A running aggregator keeps its own state and does not need this: after a definition change it
rebuilds by itself (its checkpoints carry the definition version). The replay owns no partition and
writes unfenced: use it for a fresh or separate Redis, not one an aggregator is writing.

Options:
  --at <epoch ms>     evaluation time [now, once the topic is read]
  --redis-url <url>   write over TCP to this Redis (another server or DB number: redis://host:6379/2),
                      whatever FEATURE_STORE says
  --dry-run           read and compute, print the summary, write nothing
  -h, --help          this text

Settings come from the aggregator's environment (and the repository's .env.local); those it reads:
${(
  [
    'KAFKA_BROKERS',
    'ENRICHED_TOPIC',
    'INPUT_FORMAT',
    'FEATURE_STORE',
    'REDIS_URL',
    'UPSTASH_REDIS_REST_URL',
    'UPSTASH_REDIS_REST_TOKEN',
  ] as const
)
  .map((name) => `  ${name.padEnd(26)} [${name.includes('TOKEN') ? 'from .env.local' : AGGREGATOR_ENV_DEFAULTS[name]}]`)
  .join('\n')}

Progress goes to stderr; a summary, then one line of JSON with the same figures, to stdout.`;

export interface ReplayArgs {
  readonly help: boolean;
  readonly dryRun: boolean;
  readonly atMs: number | undefined;
  readonly redisUrl: string | undefined;
}

/** Parses the command line; throws ConfigError naming the option at fault. */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        at: { type: 'string' },
        'redis-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  let atMs: number | undefined;
  if (values.at !== undefined) {
    atMs = Number(values.at);
    if (!/^\d+$/.test(values.at) || !Number.isSafeInteger(atMs)) {
      throw new ConfigError(`--at must be epoch milliseconds (an integer), got '${values.at}'`);
    }
  }
  const redisUrl = values['redis-url'];
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`--redis-url must be a redis:// or rediss:// URL, got '${redisUrl}'`);
  }
  return { help: values.help === true, dryRun: values['dry-run'] === true, atMs, redisUrl };
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${Math.ceil(seconds % 60)}s` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/**
 * A progress bar: redrawn in place on a TTY (at most 10 times a second), one line per 5 % otherwise
 * (a log file or CI gets about 20 lines per phase).
 */
export function createProgressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  clock: () => number = Date.now,
): (progress: ReplayProgress) => void {
  const tty = stream.isTTY === true;
  let phase: ReplayProgress['phase'] | null = null;
  let phaseStart = 0;
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  return (progress) => {
    const t = clock();
    if (progress.phase !== phase) {
      if (tty && drawn) stream.write('\n');
      phase = progress.phase;
      phaseStart = t;
      lastStep = -1;
      lastDraw = 0;
      drawn = false;
    }
    const { done, total } = progress;
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const complete = done >= total;
    const step = Math.floor(ratio * 20);
    if (tty ? !complete && t - lastDraw < 100 : step === lastStep) return;
    lastDraw = t;
    lastStep = step;
    const seconds = (t - phaseStart) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const unit = progress.phase === 'read' ? 'messages' : 'lanes';
    const label = progress.phase === 'read' ? 'reading' : 'writing';
    const line =
      `${label} [${'#'.repeat(step)}${'-'.repeat(20 - step)}] ${(ratio * 100).toFixed(1).padStart(5)}%` +
      ` ${formatCount(done)}/${formatCount(total)} ${unit}, ${formatCount(rate)}/s, ` +
      (complete ? `done in ${formatDuration(seconds)}` : `ETA ${formatDuration(eta)}`);
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      if (complete) stream.write('\n');
      drawn = !complete;
    } else {
      stream.write(`${line}\n`);
    }
  };
}

/** The human summary: one figure per line. */
export function describeSummary(summary: ReplaySummary): string[] {
  const dead = Object.entries(summary.dead);
  return [
    `replay of ${summary.topic}${summary.dryRun ? ' (dry run: nothing written)' : ''}`,
    `  events read     ${formatCount(summary.eventsRead)}`,
    `  applied         ${formatCount(summary.applied)} (duplicates ${formatCount(summary.duplicates)}, not applied ${formatCount(summary.notApplied)}, erased shoppers' ${formatCount(summary.erased)}, anonymous ${formatCount(summary.anonymous)})`,
    `  dead            ${dead.length === 0 ? '0' : dead.map(([reason, count]) => `${reason} ${count}`).join(', ')}`,
    `  lanes           ${formatCount(summary.lanes.user)} user, ${formatCount(summary.lanes.session)} session`,
    `  keys ${summary.dryRun ? 'to write ' : 'written  '}  ${formatCount(summary.keysWritten)} (deleted ${formatCount(summary.keysDeleted)}, ${formatCount(summary.redisCalls)} Redis calls)`,
    `  evaluated at    ${summary.atMs} (${new Date(summary.atMs).toISOString()}), definition ${summary.definitionVersion}`,
    `  seconds         ${summary.seconds}`,
  ];
}

/** The live Redis's erasure registry; empty (with a warning) when it cannot be read. */
async function readLiveErasures(): Promise<ErasureRegistry> {
  try {
    const live = loadConfig(process.env);
    const transport =
      live.featureStore === 'rest' ? restTransport(live.restUrl, live.restToken) : tcpTransport(live.redisUrl);
    try {
      const watch = createErasureWatch(transport);
      await watch.refresh();
      return watch.registry;
    } finally {
      await transport.close();
    }
  } catch (error) {
    process.stderr.write(`replay: erasure registry not read (${String(error)}): no shopper is skipped\n`);
    return new Map();
  }
}

async function main(): Promise<void> {
  let args: ReplayArgs;
  try {
    args = parseReplayArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`replay: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  loadEnvLocalIntoProcess();
  // The erasure registry lives in the live Redis (REDIS_URL / the REST endpoint), even when the
  // replay writes elsewhere: erased shoppers must not come back in a rebuilt Redis.
  const erasures = await readLiveErasures();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (args.redisUrl !== undefined) {
    env.FEATURE_STORE = 'tcp';
    env.REDIS_URL = args.redisUrl;
  } else if (args.dryRun) {
    // Nothing is written: no REST token needed.
    env.FEATURE_STORE = 'tcp';
  }
  let config: AggregatorConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`replay: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const store = args.dryRun
    ? 'none (dry run)'
    : config.featureStore === 'rest'
      ? `rest ${config.restUrl}`
      : `tcp ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
  process.stderr.write(
    `replay: ${config.enrichedTopic} (${config.inputFormat}) on ${config.brokers.join(',')} into ${store}\n`,
  );
  const summary = await runReplay({
    config,
    atMs: args.atMs,
    dryRun: args.dryRun,
    erasures,
    onProgress: createProgressBar(process.stderr),
  });
  for (const line of describeSummary(summary)) console.log(line);
  if (!summary.groupDeleted) {
    process.stderr.write(`replay: could not delete the consumer group ${summary.groupId}; delete it by hand\n`);
  }
  console.log(JSON.stringify(summary));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`replay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}
