/**
 * The real broker: started on free ports with its own data directory (so tests run beside
 * `npm start`), topics created as the contracts say, a kafkajs round trip, and a clean stop.
 */
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningKafka, startKafka } from './kafka.js';
import { topicNames } from './topics.js';

let broker: RunningKafka;
const output: string[] = [];

beforeAll(async () => {
  broker = await startKafka({ log: (line) => output.push(line) });
});

afterAll(async () => {
  await broker?.stop();
});

describe('local Kafka broker', () => {
  it('creates the contract topics with 6 partitions and broker append time', async () => {
    const admin = new Kafka({ clientId: 'test', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: topicNames() });
      expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(
        ['snowplow-enriched-bad', 'snowplow-enriched-good', 'tandem-dead-letter', 'tandem-drift'].map((name) => [
          name,
          6,
        ]),
      );
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name: 'snowplow-enriched-good', configNames: ['message.timestamp.type'] }],
      });
      expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('LogAppendTime');
    } finally {
      await admin.disconnect();
    }
  });

  it('round-trips a keyed message with kafkajs, stamped with the broker append time', async () => {
    const kafka = new Kafka({ clientId: 'test', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `test-${Date.now()}` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      await consumer.subscribe({ topic: 'snowplow-enriched-good', fromBeginning: true });
      const received = new Promise<{ key: string; value: string; timestamp: number }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ key: String(message.key), value: String(message.value), timestamp: Number(message.timestamp) }),
        });
      });
      const before = Date.now();
      // A producer timestamp far in the past: LogAppendTime must replace it with the broker's clock.
      await producer.send({
        topic: 'snowplow-enriched-good',
        messages: [{ key: 'duid-1', value: 'an enriched TSV line', timestamp: '1000' }],
      });
      const message = await received;
      expect(message.key).toBe('duid-1');
      expect(message.value).toBe('an enriched TSV line');
      expect(message.timestamp).toBeGreaterThanOrEqual(before - 1_000);
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  });

  it('stops on SIGTERM and removes its temporary data directory', async () => {
    const second = await startKafka({ log: () => {} });
    await second.stop();
    expect(() => process.kill(second.pid, 0)).toThrow();
    expect(existsSync(second.dataDir)).toBe(false);
    console.log(`broker start: ${broker.startMs} ms (first), ${second.startMs} ms (second)`);
  });
});
