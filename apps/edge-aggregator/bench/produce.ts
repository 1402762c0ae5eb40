/**
 * Produces generated shopper events (src/load/shoppers.ts) to the enriched topic, as Snowplow Enrich
 * would: enriched TSV values keyed by `domain_userid`, acks from all in-sync replicas, no compression.
 *
 *   npx tsx --conditions=tandem-source apps/edge-aggregator/bench/produce.ts --events 100000
 *   npx tsx --conditions=tandem-source apps/edge-aggregator/bench/produce.ts --rate 2000 --seconds 60
 *
 * Brokers from `KAFKA_BROKERS` (default 127.0.0.1:9092), topic from `ENRICHED_TOPIC` (default
 * snowplow-enriched-good). Progress on stderr every second; one JSON line of figures on stdout at the
 * end (also after Ctrl-C). `produceEvents` does the same in-process for tests and benchmarks.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompressionTypes, Kafka, logLevel, type Message, Partitioners, type Producer } from 'kafkajs';
import { AGGREGATOR_ENV_DEFAULTS } from '../src/config.js';
import { type LoadRecordKind, type ShopperLoadOptions, shopperEvents } from '../src/load/shoppers.js';

export interface ProduceOptions extends Omit<ShopperLoadOptions, 'eventsPerSecond' | 'startTimeMs'> {
  /** Bootstrap brokers (`host:port`); ignored when `producer` is given. */
  readonly brokers?: readonly string[];
  /** A connected producer to use (left connected); by default one is created and disconnected. */
  readonly producer?: Producer;
  readonly topic?: string;
  /** Send exactly this many records as fast as the broker acknowledges them. */
  readonly events?: number;
  /** Paced mode: records per second of wall time (and of event time), for `seconds`. */
  readonly rate?: number;
  readonly seconds?: number;
  /**
   * `events` mode only: records per second of event time; default 1,000. The records' event times
   * end `timeOffsetMs` before the start of the run, so none lies in the future however fast they go.
   */
  readonly eventTimeRate?: number;
  /** Shifts every event time this far into the past, ms (e.g. to see windows expire); default 0. */
  readonly timeOffsetMs?: number;
  /** Records per `send` (and at most 768 KiB of them); default 500. */
  readonly batchSize?: number;
  /** Sends awaiting their acknowledgement at once; default 4. */
  readonly maxInFlight?: number;
  /** Stops early (the summary says `aborted: true`). */
  readonly signal?: AbortSignal;
  /** Called about every second with the figures so far. */
  readonly onProgress?: (progress: ProduceProgress) => void;
  /** Wall clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

export interface ProduceProgress {
  /** Records acknowledged so far. */
  readonly sent: number;
  readonly elapsedMs: number;
  /** Records acknowledged per second over the last interval. */
  readonly recentPerSecond: number;
}

export interface ProduceSummary {
  readonly topic: string;
  /** Records acknowledged by the broker. */
  readonly events: number;
  /** Bytes of keys and values acknowledged. */
  readonly bytes: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Earliest and latest event time among the records sent, epoch ms (null when none). */
  readonly firstEventTimeMs: number | null;
  readonly lastEventTimeMs: number | null;
  readonly kinds: Partial<Record<LoadRecordKind, number>>;
  readonly aborted: boolean;
}

const DEFAULT_BATCH = 500;
const DEFAULT_IN_FLIGHT = 4;
/** Bytes of keys and values per send, below the broker's default `message.max.bytes` (1 MiB). */
const MAX_BATCH_BYTES = 768 * 1024;
const DEFAULT_EVENT_TIME_RATE = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be > 0`);
}

/**
 * Generates and produces records (see `ProduceOptions`): either `events` as fast as acknowledged, or
 * `rate` × `seconds` paced by a token bucket (1 ms granularity, batches of at most `batchSize`).
 * Resolves with the figures once every send was acknowledged or `signal` aborted the run.
 */
export async function produceEvents(options: ProduceOptions): Promise<ProduceSummary> {
  const now = options.now ?? Date.now;
  const topic = options.topic ?? AGGREGATOR_ENV_DEFAULTS.ENRICHED_TOPIC;
  const paced = options.rate !== undefined;
  if (paced === (options.events !== undefined)) throw new RangeError('give either events, or rate and seconds');
  positive('rate', options.rate);
  positive('seconds', options.seconds);
  positive('eventTimeRate', options.eventTimeRate);
  if (paced && options.seconds === undefined) throw new RangeError('rate needs seconds');
  if (options.events !== undefined && !(Number.isInteger(options.events) && options.events >= 0)) {
    throw new RangeError('events must be an integer >= 0');
  }
  const total = paced ? Math.round((options.rate as number) * (options.seconds as number)) : (options.events as number);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const maxInFlight = options.maxInFlight ?? DEFAULT_IN_FLIGHT;
  const offsetMs = options.timeOffsetMs ?? 0;
  const startMs = now();
  const eventTimeRate = paced ? (options.rate as number) : (options.eventTimeRate ?? DEFAULT_EVENT_TIME_RATE);
  // Paced: event time follows the wall clock. As fast as possible: the span ends at the start time.
  const firstEventTimeMs = Math.floor(paced ? startMs - offsetMs : startMs - offsetMs - (total * 1000) / eventTimeRate);
  const records = shopperEvents({ ...options, eventsPerSecond: eventTimeRate, startTimeMs: firstEventTimeMs });

  let producer = options.producer;
  const owned = producer === undefined;
  if (producer === undefined) {
    const kafka = new Kafka({
      clientId: 'tandem-load-producer',
      brokers: [...(options.brokers ?? AGGREGATOR_ENV_DEFAULTS.KAFKA_BROKERS.split(','))],
      logLevel: logLevel.WARN,
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
  }

  let generated = 0;
  let sent = 0;
  let bytes = 0;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = Number.NEGATIVE_INFINITY;
  const kinds: Partial<Record<LoadRecordKind, number>> = {};
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastProgress = { at: startMs, sent: 0 };
  const progress = options.onProgress;
  const timer =
    progress === undefined
      ? undefined
      : setInterval(() => {
          const at = now();
          progress({
            sent,
            elapsedMs: at - startMs,
            recentPerSecond: ((sent - lastProgress.sent) * 1000) / Math.max(1, at - lastProgress.at),
          });
          lastProgress = { at, sent };
        }, 1000);

  try {
    while (generated < total && failure === undefined && options.signal?.aborted !== true) {
      // Token bucket: by now, rate × elapsed records may have gone out (at most one batch of burst).
      const allowed = paced
        ? Math.min(total, Math.floor(((now() - startMs) * (options.rate as number)) / 1000))
        : total;
      const n = Math.min(batchSize, allowed - generated);
      if (n <= 0) {
        await sleep(Math.max(1, Math.ceil(((generated + 1) * 1000) / (options.rate as number) - (now() - startMs))));
        continue;
      }
      if (inFlight.size >= maxInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      const messages: Message[] = [];
      let batchBytes = 0;
      // Also bounded in bytes: the broker refuses a record batch over message.max.bytes (1 MiB).
      while (messages.length < n && batchBytes < MAX_BATCH_BYTES) {
        const record = records.next().value;
        messages.push({ key: record.key, value: record.value });
        batchBytes += record.key.length + record.value.length;
        kinds[record.kind] = (kinds[record.kind] ?? 0) + 1;
        if (record.eventTimeMs < minTime) minTime = record.eventTimeMs;
        if (record.eventTimeMs > maxTime) maxTime = record.eventTimeMs;
      }
      const count = messages.length;
      generated += count;
      const send: Promise<void> = producer
        .send({ topic, messages, acks: -1, compression: CompressionTypes.None })
        .then(
          () => {
            sent += count;
            bytes += batchBytes;
          },
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(send));
      inFlight.add(send);
    }
    await Promise.all(inFlight);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    if (owned) await producer.disconnect();
  }
  if (failure !== undefined) throw failure;
  const seconds = (now() - startMs) / 1000;
  return {
    topic,
    events: sent,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSecond: Math.round(sent / Math.max(seconds, 1e-3)),
    firstEventTimeMs: sent === 0 ? null : minTime,
    lastEventTimeMs: sent === 0 ? null : maxTime,
    kinds,
    aborted: generated < total,
  };
}

// ---------------------------------------------------------------------------------------------
// CLI.

const USAGE = `usage: npx tsx --conditions=tandem-source apps/edge-aggregator/bench/produce.ts (--events N | --rate R --seconds S) [options]

Produces generated shopper events (enriched TSV, key = domain_userid) to Kafka.
  --events N             send N records as fast as the broker acknowledges them
  --rate R --seconds S   send R records per second for S seconds (event times follow the wall clock)
  --shoppers N           distinct shoppers (default 1000)
  --seed N               seed of the generator (default 1)
  --bad-share X          share of bad lines for the dead-letter path (default 0)
  --duplicate-share X    share of byte-identical repeats (default 0.005)
  --late-share X         share of events sent late (default 0.01)
  --time-offset-ms N     shift every event time N ms into the past (default 0)
  --event-rate R         --events mode: records per second of event time (default 1000)
  --batch N              records per send (default 500)
  --max-in-flight N      sends awaiting acknowledgement at once (default 4)
Environment: KAFKA_BROKERS (default ${AGGREGATOR_ENV_DEFAULTS.KAFKA_BROKERS}), ENRICHED_TOPIC (default ${AGGREGATOR_ENV_DEFAULTS.ENRICHED_TOPIC}).
Progress on stderr every second; one JSON line of figures on stdout at the end (also after Ctrl-C).`;

function numberOption(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined || typeof text === 'boolean') return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new RangeError(`--${name} must be a number, got ${text}`);
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  const names = [
    'events',
    'rate',
    'seconds',
    'shoppers',
    'seed',
    'bad-share',
    'duplicate-share',
    'late-share',
    'time-offset-ms',
    'event-rate',
    'batch',
    'max-in-flight',
  ];
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean' },
      ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const n = (name: string) => numberOption(values, name);
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping: waiting for acknowledgements (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const brokers = (process.env.KAFKA_BROKERS ?? AGGREGATOR_ENV_DEFAULTS.KAFKA_BROKERS).split(',');
  const summary = await produceEvents({
    brokers,
    topic: process.env.ENRICHED_TOPIC ?? AGGREGATOR_ENV_DEFAULTS.ENRICHED_TOPIC,
    events: n('events'),
    rate: n('rate'),
    seconds: n('seconds'),
    shoppers: n('shoppers'),
    seed: n('seed'),
    badShare: n('bad-share'),
    duplicateShare: n('duplicate-share'),
    lateShare: n('late-share'),
    timeOffsetMs: n('time-offset-ms'),
    eventTimeRate: n('event-rate'),
    batchSize: n('batch'),
    maxInFlight: n('max-in-flight'),
    signal: controller.signal,
    onProgress: (p) =>
      process.stderr.write(
        `${(p.elapsedMs / 1000).toFixed(0)}s sent ${p.sent} (${Math.round(p.recentPerSecond)} events/s)\n`,
      ),
  });
  console.log(
    JSON.stringify({
      ...summary,
      brokers: brokers.join(','),
      firstEventTime: summary.firstEventTimeMs === null ? null : new Date(summary.firstEventTimeMs).toISOString(),
      lastEventTime: summary.lastEventTimeMs === null ? null : new Date(summary.lastEventTimeMs).toISOString(),
    }),
  );
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      console.error('run with --help for usage');
      process.exitCode = 1;
    },
  );
}
