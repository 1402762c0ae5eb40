/**
 * Effectively once (ARCHITECTURE.md "Delivery"; TARGETS T11), against a real broker and redis-server:
 * after `kill -9` at random moments, a Redis flush, a broker restart, or one of three group members
 * killed, the final Redis contents equal a clean single run evaluated at the same time.
 *
 * This is the short drill `npm test` runs. The full one (200,000 events, 5 kills) is `npm run drill`
 * (DRILL_SCALE=full); CRASH_EVENTS and CRASH_KILLS override either size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafka } from '@tandem/infra/kafka';
import { freePort } from '@tandem/infra/ports';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateEventsOverSpan, type LoadRecord } from './load/shoppers.js';
import { type AggregatorProcess, startAggregatorProcess } from './test-support/aggregator-process.js';
import { drillScale, settlesToCleanRun as settles, sleep } from './test-support/drill.js';
import { startTestStack, type TestStack } from './test-support/harness.js';
import { startRestEndpoint } from './test-support/rest-endpoint-process.js';

const EVENTS = Number(process.env.CRASH_EVENTS ?? drillScale(20_000, 200_000));
const KILLS = Number(process.env.CRASH_KILLS ?? drillScale(3, 5));
const LONG = Math.max(300_000, EVENTS * 5);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);
// Each drill compares every key in Redis with its own clean run: start from an empty Redis.
beforeEach(async () => {
  await stack.redisClient.flushall();
});

/** Waits until Redis equals the clean run of `lines` (null) or says how it differs. */
function settlesToCleanRun(lines: readonly string[], timeoutMs = LONG): Promise<string | null> {
  return settles(stack, lines, timeoutMs);
}

/** Realistic traffic over the last two hours, with late, duplicate and a few bad lines. */
function traffic(seed: number, count = EVENTS): LoadRecord[] {
  const spanMs = 2 * 60 * 60_000;
  return generateEventsOverSpan(spanMs, count / (spanMs / 1000), {
    seed,
    shoppers: Math.max(200, Math.round(count / 20)),
    startTimeMs: Date.now() - spanMs - 60_000,
    badShare: 0.001,
  });
}

describe('kill -9 while consuming', () => {
  it(
    `ends with exactly the clean run's values after ${KILLS} kills during ${EVENTS} events`,
    async () => {
      const topic = await stack.createTopic('crash-input');
      const records = traffic(11);
      await stack.produce(records, topic);
      const env = stack.env({ CONSUMER_GROUP: 'crash', ENRICHED_TOPIC: topic });
      let aggregator: AggregatorProcess | null = null;
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          aggregator = await startAggregatorProcess(env, `aggregator-${kill}`);
          await sleep(1_000 + Math.random() * 3_000);
          await aggregator.kill();
        }
        aggregator = await startAggregatorProcess(env, 'aggregator-final');
        const diff = await settlesToCleanRun(records.map((r) => r.value));
        expect(diff, aggregator.output().slice(-4_000)).toBeNull();
        expect(await aggregator.stop(), 'graceful stop').toBe(0);
      } finally {
        await aggregator?.kill();
      }
    },
    LONG * 2,
  );
});

describe('SIGTERM during start-up', () => {
  it('exits 0 when stopped the moment it listens, while the reconciler is still joining Kafka', async () => {
    const topic = await stack.createTopic('startup-stop-input');
    const aggregator = await startAggregatorProcess(
      stack.env({ CONSUMER_GROUP: 'startup-stop', ENRICHED_TOPIC: topic }),
      'aggregator-startup-stop',
    );
    try {
      expect(await aggregator.stop(), aggregator.output().slice(-4_000)).toBe(0);
      expect(aggregator.output()).toContain('"message":"stopped"');
    } finally {
      await aggregator.kill();
    }
  }, 90_000);
});

describe('Redis loses everything mid-stream', () => {
  it(
    'notices the wiped Redis and rebuilds it from the topic',
    async () => {
      const topic = await stack.createTopic('flush-input');
      const records = traffic(12);
      const env = stack.env({ CONSUMER_GROUP: 'flush', ENRICHED_TOPIC: topic });
      const aggregator = await startAggregatorProcess(env, 'aggregator-flush');
      try {
        await stack.produce(records.slice(0, records.length / 2), topic);
        await sleep(2_000);
        await stack.redisClient.flushall();
        await stack.produce(records.slice(records.length / 2), topic);
        const diff = await settlesToCleanRun(records.map((r) => r.value));
        expect(diff, aggregator.output().slice(-4_000)).toBeNull();
        expect(aggregator.output()).toContain('Redis was wiped');
      } finally {
        await aggregator.kill();
      }
    },
    LONG * 2,
  );
});

describe('three aggregators in one group', () => {
  it(
    'split the partitions and, with one killed mid-run, end with the clean run',
    async () => {
      const topic = await stack.createTopic('group-input');
      const records = traffic(13);
      const env = stack.env({ CONSUMER_GROUP: 'trio', ENRICHED_TOPIC: topic });
      const members: AggregatorProcess[] = [];
      try {
        for (const name of ['a', 'b', 'c']) members.push(await startAggregatorProcess(env, `aggregator-${name}`));
        await stack.produce(records.slice(0, records.length / 2), topic);
        await sleep(2_000);
        await members[1]?.kill();
        await stack.produce(records.slice(records.length / 2), topic);
        const diff = await settlesToCleanRun(records.map((r) => r.value));
        expect(diff, members.map((m) => m.output().slice(-1_500)).join('\n---\n')).toBeNull();
        // Each survivor owned partitions at some point.
        for (const member of [members[0], members[2]]) expect(member?.output()).toContain('partition restored');
      } finally {
        for (const member of members) await member.kill();
      }
    },
    LONG * 2,
  );
});

describe('REST endpoint restart', () => {
  it(
    'rides out the Upstash-compatible endpoint going away mid-stream and ends with the clean run',
    async () => {
      const topic = await stack.createTopic('rest-input');
      const records = traffic(15, Math.min(EVENTS, 10_000));
      const restPort = await freePort();
      const restEnv = {
        UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${restPort}`,
        UPSTASH_REDIS_REST_TOKEN: 'drill-token',
        REDIS_URL: stack.redis.url,
      };
      let rest = await startRestEndpoint(stack.redis.url, restPort, restEnv.UPSTASH_REDIS_REST_TOKEN);
      const env = stack.env({ CONSUMER_GROUP: 'rest', ENRICHED_TOPIC: topic, FEATURE_STORE: 'rest', ...restEnv });
      const aggregator = await startAggregatorProcess(env, 'aggregator-rest');
      try {
        await stack.produce(records.slice(0, records.length / 2), topic);
        await sleep(2_000);
        await rest.kill();
        await stack.produce(records.slice(records.length / 2), topic);
        await sleep(3_000);
        rest = await startRestEndpoint(stack.redis.url, restPort, restEnv.UPSTASH_REDIS_REST_TOKEN);
        const diff = await settlesToCleanRun(records.map((r) => r.value));
        expect(diff, aggregator.output().slice(-4_000)).toBeNull();
      } finally {
        await aggregator.kill();
        await rest.kill();
      }
    },
    LONG * 2,
  );
});

describe('Kafka broker restart', () => {
  it(
    'resumes after the broker comes back and ends with the clean run',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'tandem-broker-restart-'));
      const port = await freePort();
      const controllerPort = await freePort();
      const options = { port, controllerPort, dataDir, topics: ['restart-input', 'tandem-dead-letter'], log: () => {} };
      let broker = await startKafka(options);
      const local = await startTestStackOn(broker.brokers);
      const env = {
        ...stack.env({ CONSUMER_GROUP: 'restart', ENRICHED_TOPIC: 'restart-input' }),
        KAFKA_BROKERS: broker.brokers,
      };
      let aggregator: AggregatorProcess | null = null;
      try {
        const records = traffic(14, Math.min(EVENTS, 10_000));
        await local.produce(records.slice(0, records.length / 2));
        aggregator = await startAggregatorProcess(env, 'aggregator-restart');
        await sleep(2_000);
        await broker.stop();
        await sleep(2_000);
        broker = await startKafka(options);
        await local.produce(records.slice(records.length / 2));
        const diff = await settlesToCleanRun(records.map((r) => r.value));
        expect(diff, aggregator.output().slice(-4_000)).toBeNull();
      } finally {
        await aggregator?.kill();
        await local.close();
        await broker.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    LONG * 2,
  );
});

/** A producer and topic creator for a broker other than the stack's. */
async function startTestStackOn(brokers: string) {
  const { Kafka, logLevel } = await import('kafkajs');
  const producer = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 20 } }).producer();
  await producer.connect();
  return {
    async produce(records: readonly LoadRecord[]) {
      for (let i = 0; i < records.length; i += 1000) {
        await producer.send({
          topic: 'restart-input',
          acks: -1,
          messages: records.slice(i, i + 1000).map((r) => ({ key: r.key, value: r.value })),
        });
      }
    },
    close: () => producer.disconnect().catch(() => {}),
  };
}
