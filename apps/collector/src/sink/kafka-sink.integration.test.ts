/** The sink against a real broker of its own (infra's launcher, free ports, temporary data). */
import { randomUUID } from 'node:crypto';
import { type RunningKafka, startKafka } from '@tandem/infra/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaSink } from './kafka-sink.js';

let broker: RunningKafka;
let brokers = '';
beforeAll(async () => {
  broker = await startKafka({ log: () => {} });
  brokers = broker.brokers;
});
afterAll(async () => {
  await broker?.stop();
});
const GOOD = 'snowplow-enriched-good';
const BAD = 'snowplow-enriched-bad';

describe('Kafka sink against a real broker', () => {
  it('writes good events keyed by domain_userid and unkeyed JSON bad rows, acknowledged', async () => {
    const run = randomUUID();
    const kafka = new Kafka({ clientId: 'sink-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `sink-test-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [GOOD, BAD], fromBeginning: true });
    const received: { topic: string; partition: number; key: string | null; value: string }[] = [];
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString() ?? '';
        if (value.includes(run)) received.push({ topic, partition, key: message.key?.toString() ?? null, value });
      },
    });

    const sink = createKafkaSink({
      brokers: brokers ?? '',
      goodTopic: GOOD,
      badTopic: BAD,
      clientId: 'collector-test',
    });
    const users = ['u-a', 'u-b', 'u-c'];
    const started = performance.now();
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => sink.sendGood([{ key: users[i % 3] as string, value: `${run}\t${i}` }])),
      sink.sendBad([
        { schema: 'iglu:com.snowplowanalytics.snowplow.badrows/size_violation/jsonschema/2-0-0', data: { run } },
      ]),
    ]);
    const ackMs = performance.now() - started;
    expect(sink.stats()).toMatchObject({ sentGood: 30, sentBad: 1, failedBatches: 0 });
    expect(sink.stats().batches).toBeLessThanOrEqual(5);
    expect(ackMs).toBeLessThan(10_000);
    await sink.close();

    const deadline = Date.now() + 30_000;
    while (received.length < 31 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();

    const good = received.filter((m) => m.topic === GOOD);
    const bad = received.filter((m) => m.topic === BAD);
    expect(good).toHaveLength(30);
    expect(bad).toHaveLength(1);
    expect(bad[0]?.key).toBeNull();
    expect(JSON.parse(bad[0]?.value ?? '{}')).toMatchObject({ data: { run } });
    for (const user of users) {
      const mine = good.filter((m) => m.key === user);
      expect(mine).toHaveLength(10);
      // One key, one partition, and the sends' order within it.
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      expect(mine.map((m) => Number(m.value.split('\t')[1]))).toEqual(
        [...mine.map((m) => Number(m.value.split('\t')[1]))].sort((a, b) => a - b),
      );
    }
  }, 60_000);
});
