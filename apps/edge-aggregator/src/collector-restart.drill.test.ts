/**
 * Drill: the collector killed (-9) and restarted under tracker traffic, with the aggregator running
 * (issue 8, "no lost or double-counted event"). Real HTTP POSTs of tracker payloads go to the
 * collector process; each simulated browser sends its queue in order and resends a batch until it is
 * acknowledged with 200, as the Snowplow tracker's outQueue does after a network error or a 5xx.
 *
 * What "no lost or double-counted event" means here. The collector answers 200 only once Kafka has
 * acknowledged a request's events, so a kill can land after Kafka's ack and before the HTTP answer:
 * the browser resends, and the same event id reaches the topic twice. That is at-least-once delivery
 * by design; the lanes dedupe by event id. So the drill asserts:
 * - every event the browsers sent is on the enriched topic, and nothing else is (no loss, no invention);
 * - Redis equals a clean run (feature-core's engine) over the lines on the topic, duplicates included,
 *   in topic order: each event id counts once, whichever of its copies came first.
 *
 * Short in `npm test` (4,000 events, 2 kills); `npm run drill` (DRILL_SCALE=full): 40,000 events, 5 kills.
 * DRILL_LOG_DIR=/some/dir keeps every process's log.
 */
import { randomUUID } from 'node:crypto';
import { trackerPayload, trackerPostBody } from '@tandem/feature-core/testing';
import { freePort } from '@tandem/infra/ports';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEventsOverSpan, type LoadRecord } from './load/shoppers.js';
import { type AggregatorProcess, startAggregatorProcess } from './test-support/aggregator-process.js';
import { type CollectorProcess, startCollectorProcess } from './test-support/collector-process.js';
import { drillScale, settlesToCleanRun, sleep } from './test-support/drill.js';
import { startTestStack, type TestStack } from './test-support/harness.js';

const EVENTS = Number(process.env.COLLECTOR_DRILL_EVENTS ?? drillScale(4_000, 40_000));
const KILLS = Number(process.env.COLLECTOR_DRILL_KILLS ?? drillScale(2, 5));
/** Simulated browsers sending at the same time; each sends its own queue one batch after another. */
const BROWSERS = 8;
/** Events per POST at most, as the tracker's bufferSize batches them. */
const BATCH_EVENTS = 10;
const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
const LONG = Math.max(300_000, EVENTS * 20);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** One POST's worth: up to BATCH_EVENTS consecutive events of one shopper. */
interface Batch {
  readonly body: string;
  readonly userAgent: string;
  readonly eventIds: readonly string[];
}

/**
 * The browsers' queues: each shopper's events in their order, cut into batches, each shopper on one
 * browser (so a shopper's batches are sent in order, as one tracker sends them).
 */
function browserQueues(records: readonly LoadRecord[]): Batch[][] {
  const byShopper = new Map<string, LoadRecord[]>();
  for (const record of records) {
    const list = byShopper.get(record.key) ?? [];
    list.push(record);
    byShopper.set(record.key, list);
  }
  const queues: { first: number; batch: Batch }[][] = Array.from({ length: BROWSERS }, () => []);
  let shopper = 0;
  const index = new Map(records.map((record, n) => [record.eventId, n]));
  for (const list of byShopper.values()) {
    const queue = queues[shopper++ % BROWSERS] as { first: number; batch: Batch }[];
    for (let i = 0; i < list.length; i += BATCH_EVENTS) {
      const chunk = list.slice(i, i + BATCH_EVENTS);
      queue.push({
        first: index.get((chunk[0] as LoadRecord).eventId) ?? 0,
        batch: {
          body: JSON.stringify(trackerPostBody(chunk.map((record) => trackerPayload(record.spec)))),
          userAgent: chunk[0]?.spec.useragent ?? 'Mozilla/5.0',
          eventIds: chunk.map((record) => record.eventId),
        },
      });
    }
  }
  // Interleave the shoppers of a browser in the order their events happened.
  return queues.map((queue) => queue.sort((a, b) => a.first - b.first).map((entry) => entry.batch));
}

interface Traffic {
  /** Events acknowledged so far (their POST answered 200). */
  acked: number;
  requests: number;
  /** POSTs sent again after no answer, a reset connection or a 5xx. */
  resends: number;
  /** Answers that are neither 200 nor worth a resend (a valid tracker payload must never get one). */
  refused: string[];
}

/**
 * Sends every queue, each browser one batch at a time, resending a batch (backoff 50 ms doubling to
 * 1 s) until it is answered 200, like the tracker, which keeps an unsent batch at the head of its queue.
 */
async function sendAll(url: string, queues: readonly Batch[][], traffic: Traffic): Promise<void> {
  await Promise.all(
    queues.map(async (queue) => {
      for (const batch of queue) {
        for (let attempt = 0; ; attempt++) {
          if (attempt > 0) {
            traffic.resends++;
            await sleep(Math.min(1_000, 50 * 2 ** (attempt - 1)));
          }
          traffic.requests++;
          let status: number;
          try {
            const response = await fetch(`${url}${TP2_PATH}`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json; charset=UTF-8', 'User-Agent': batch.userAgent },
              body: batch.body,
              // The tracker gives up on a request after its connectionTimeout (5 s by default) and retries.
              signal: AbortSignal.timeout(10_000),
            });
            await response.arrayBuffer();
            status = response.status;
          } catch {
            continue;
          }
          if (status === 200) {
            traffic.acked += batch.eventIds.length;
            break;
          }
          // The tracker retries every status but a few client errors; 429 and 5xx must be retried.
          if (status === 429 || status >= 500) continue;
          traffic.refused.push(`${status} for ${batch.eventIds[0]}`);
          break;
        }
      }
    }),
  );
}

/** Every line on `topic`, partition by partition in offset order, read up to the end. */
async function readTopic(topic: string): Promise<string[]> {
  const kafka = new Kafka({ brokers: [stack.kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: `drill-reader-${randomUUID()}` });
  await Promise.all([admin.connect(), consumer.connect()]);
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const byPartition = new Map<number, string[]>();
    const next = new Map<number, bigint>();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const lines = byPartition.get(partition) ?? [];
        lines.push(String(message.value));
        byPartition.set(partition, lines);
        next.set(partition, BigInt(message.offset) + 1n);
      },
    });
    const done = () => ends.every(({ partition, high }) => (next.get(partition) ?? 0n) >= BigInt(high));
    const deadline = Date.now() + 120_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`could not read ${topic} to its end in 120 s`);
      await sleep(100);
    }
    return [...byPartition.keys()].sort((a, b) => a - b).flatMap((partition) => byPartition.get(partition) ?? []);
  } finally {
    await Promise.all([consumer.disconnect(), admin.disconnect()]);
  }
}

/** The event_id field (index 6) of an enriched line. */
const eventIdOf = (line: string) => line.split('\t', 7)[6] ?? '';

describe('collector killed under load', () => {
  it(
    `loses and double-counts nothing over ${KILLS} kills during ${EVENTS} tracker events`,
    async () => {
      const started = Date.now();
      const topic = await stack.createTopic('collector-drill-good');
      const badTopic = await stack.createTopic('collector-drill-bad');
      const spanMs = 2 * 60 * 60_000;
      const records = generateEventsOverSpan(spanMs, EVENTS / (spanMs / 1000), {
        seed: 21,
        shoppers: Math.max(100, Math.round(EVENTS / 20)),
        startTimeMs: Date.now() - spanMs - 60_000,
        duplicateShare: 0,
        badShare: 0,
      });
      const sent = new Set(records.map((record) => record.eventId));
      const queues = browserQueues(records);
      const port = await freePort();
      const collectorEnv = {
        COLLECTOR_URL: `http://127.0.0.1:${port}`,
        KAFKA_BROKERS: stack.kafka.brokers,
        ENRICHED_TOPIC: topic,
        BAD_TOPIC: badTopic,
        // One client address sends everything here; the rate limit is not what this drill is about.
        COLLECTOR_RATE_LIMIT: '1000000',
      };
      const aggregator: AggregatorProcess = await startAggregatorProcess(
        stack.env({ CONSUMER_GROUP: 'collector-drill', ENRICHED_TOPIC: topic }),
        'aggregator-collector-drill',
      );
      let collector: CollectorProcess = await startCollectorProcess(collectorEnv, 'collector-0');
      const traffic: Traffic = { acked: 0, requests: 0, resends: 0, refused: [] };
      let downMs = 0;
      try {
        const sending = sendAll(collectorEnv.COLLECTOR_URL, queues, traffic);
        let finished = false;
        void sending.finally(() => {
          finished = true;
        });
        // Each kill at its share of the traffic, so every one of them lands while batches are in flight.
        for (let kill = 1; kill <= KILLS; kill++) {
          while (!finished && traffic.acked < (EVENTS * kill) / (KILLS + 1)) await sleep(5);
          expect(finished, `the traffic ended before kill ${kill}`).toBe(false);
          await collector.kill();
          const down = Date.now();
          collector = await startCollectorProcess(collectorEnv, `collector-${kill}`);
          downMs += Date.now() - down;
        }
        await sending;
        expect(traffic.refused).toEqual([]);
        expect(traffic.acked).toBe(EVENTS);
        // The kills hit requests in flight: some batches had to be sent again.
        expect(traffic.resends).toBeGreaterThan(0);

        const lines = await readTopic(topic);
        const onTopic = new Set(lines.map(eventIdOf));
        const lost = [...sent].filter((id) => !onTopic.has(id));
        const unknown = [...onTopic].filter((id) => !sent.has(id));
        expect(lost, 'events the browsers sent that are not on the topic').toEqual([]);
        expect(unknown, 'events on the topic that no browser sent').toEqual([]);
        const badRows = await readTopic(badTopic);
        expect(badRows.slice(0, 3), 'bad rows for valid tracker events').toEqual([]);

        const diff = await settlesToCleanRun(stack, lines, LONG);
        expect(diff, aggregator.output().slice(-4_000)).toBeNull();
        console.log(
          `collector drill: ${EVENTS} events in ${traffic.requests} POSTs (${traffic.resends} resent), ${KILLS} kills, ` +
            `collector down ${downMs} ms in all, ${lines.length - onTopic.size} duplicate lines on the topic, ` +
            `Redis equal to the clean run; ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      } finally {
        await collector.kill();
        await aggregator.kill();
      }
    },
    LONG * 2,
  );
});
