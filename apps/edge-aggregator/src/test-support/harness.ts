/**
 * Integration-test harness: a real Kafka broker and a real redis-server on free ports (never the
 * developer's own), a producer of enriched lines, and readers of what the aggregator wrote.
 */

import { createFeatureEngine } from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, GOLDEN_CHECKPOINTS, GOLDEN_JOURNEY } from '@tandem/feature-core/testing';
import { createTopics, type RunningKafka, startKafka } from '@tandem/infra/kafka';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type AggregatorConfig, loadConfig } from '../config.js';

export interface TestStack {
  readonly kafka: RunningKafka;
  readonly redis: EnsuredRedis;
  readonly redisClient: Redis;
  readonly producer: Producer;
  config(overrides?: Record<string, string>): AggregatorConfig;
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Creates a topic (6 partitions, broker append time), so each test has its own input. */
  createTopic(name: string): Promise<string>;
  produce(messages: readonly { key: string; value: string }[], topic?: string): Promise<void>;
  /** Every accelerator string key (`user:*`, `session:*`) and its value. */
  readStrings(): Promise<Record<string, string>>;
  /** Every feature hash (`features:*`), without `_at` (evaluation time differs between runs). */
  readHashes(): Promise<Record<string, Record<string, string>>>;
  stop(): Promise<void>;
}

export async function startTestStack(): Promise<TestStack> {
  const kafka = await startKafka({ log: () => {} });
  const redisPort = await freePort();
  const redis = await ensureRedis({ url: `redis://127.0.0.1:${redisPort}`, log: () => {} });
  const redisClient = new Redis(redis.url);
  const producer = new Kafka({
    brokers: [kafka.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200 },
  }).producer();
  await producer.connect();
  const env = (overrides: Record<string, string> = {}) => ({
    KAFKA_BROKERS: kafka.brokers,
    REDIS_URL: redis.url,
    FEATURE_STORE: 'tcp',
    METRICS_PORT: '0',
    CHECKPOINT_INTERVAL_MS: '500',
    ...overrides,
  });
  async function scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redisClient.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys.sort();
  }
  return {
    kafka,
    redis,
    redisClient,
    producer,
    env,
    config: (overrides) => loadConfig(env(overrides)),
    async createTopic(name) {
      // Right after the broker starts, its metadata can lag a creation: retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await createTopics(kafka.brokers, [name], 6);
          return name;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    },
    async produce(messages, topic = 'snowplow-enriched-good') {
      // 200 lines of ~2.5 KB stay below the broker's 1 MB request limit even when all go to one partition.
      for (let i = 0; i < messages.length; i += 200) {
        await producer.send({
          topic,
          acks: -1,
          messages: messages.slice(i, i + 200).map(({ key, value }) => ({ key, value })),
        });
      }
    },
    async readStrings() {
      const keys = [...(await scan('user:*')), ...(await scan('session:*'))];
      const out: Record<string, string> = {};
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const values = await redisClient.mget(...chunk);
        chunk.forEach((key, n) => {
          const value = values[n];
          if (typeof value === 'string') out[key] = value;
        });
      }
      return out;
    },
    async readHashes() {
      const out: Record<string, Record<string, string>> = {};
      for (const key of await scan('features:*')) {
        const { _at, ...fields } = await redisClient.hgetall(key);
        if (Object.keys(fields).length > 0) out[key] = fields;
      }
      return out;
    },
    async stop() {
      await producer.disconnect().catch(() => {});
      redisClient.disconnect();
      await redis.stop();
      await kafka.stop();
    },
  };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

/** Whether two string maps hold the same entries (key order aside). */
export function sameEntries(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** What a clean run gives: feature-core's engine over the good lines, every key as of `atMs`. */
export function expectedKeyValues(lines: readonly string[], atMs: number): Record<string, string> {
  const engine = createFeatureEngine();
  for (const line of lines) {
    const decoded = fromEnrichedTsv(line);
    if (decoded.ok) engine.apply(decoded.value);
  }
  return engine.keyValuesAt(atMs);
}

/** Moves a spec's times by `delta` ms (a multiple of 15 min, so every tile boundary moves with it). */
function shiftSpec(spec: EventSpec, delta: number): EventSpec {
  const moved: Record<string, unknown> = { ...spec, timeMs: spec.timeMs + delta };
  for (const field of ['collectorTimeMs', 'firstEventTimeMs'] as const) {
    const value = spec[field];
    if (value !== undefined) moved[field] = value + delta;
  }
  return moved as unknown as EventSpec;
}

/** Expected golden values moved with `shiftSpec`: only `last_cart_activity_at` holds a time. */
function shiftValues(expected: Readonly<Record<string, string>>, delta: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(expected)) {
    out[key] = key.endsWith(':last_cart_activity_at') ? String(Number(value) + delta) : value;
  }
  return out;
}

/**
 * The golden journey moved to the present: its last checkpoint (c) lands one minute from now, so the
 * Redis expiries the aggregator writes stay in the future. `delta` is a multiple of 15 min, so every
 * tile boundary moves with it; `expected` holds the hand-worked values of (c), moved alike.
 */
export function goldenJourneyNow(): {
  specs: EventSpec[];
  atMs: number;
  delta: number;
  expected: Record<string, string>;
} {
  const final = GOLDEN_CHECKPOINTS[GOLDEN_CHECKPOINTS.length - 1];
  if (final === undefined) throw new Error('no golden checkpoint');
  const quarter = 15 * 60_000;
  const delta = Math.ceil((Date.now() + 60_000 - final.atMs) / quarter) * quarter;
  return {
    specs: GOLDEN_JOURNEY.map((spec) => shiftSpec(spec, delta)),
    atMs: final.atMs + delta,
    delta,
    expected: shiftValues(final.expected, delta),
  };
}
