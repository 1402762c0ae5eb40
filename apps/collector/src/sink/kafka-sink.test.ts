/**
 * The sink's batching logic against a fake producer (the real-broker test is kafka-sink.integration.test.ts).
 */
import type { CompressionTypes, TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaSink, KafkaSinkClosedError, type SinkProducer } from './kafka-sink.js';

interface Call {
  topicMessages: TopicMessages[];
  acks: number;
  compression: CompressionTypes;
}

function fakeProducer(options: { delayMs?: number; failTimes?: number; failConnect?: number } = {}) {
  const calls: Call[] = [];
  const state = { connects: 0, disconnects: 0, inFlight: 0, maxInFlight: 0 };
  let failures = options.failTimes ?? 0;
  let connectFailures = options.failConnect ?? 0;
  const producer: SinkProducer = {
    connect: async () => {
      state.connects++;
      if (connectFailures-- > 0) throw new Error('connect refused');
    },
    sendBatch: async (batch) => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        await new Promise((r) => setTimeout(r, options.delayMs ?? 1));
        if (failures-- > 0) throw new Error('broker said no');
        calls.push(batch);
        return [];
      } finally {
        state.inFlight--;
      }
    },
    disconnect: async () => {
      state.disconnects++;
    },
  };
  return { producer, calls, state };
}

const base = { brokers: 'x:1', goodTopic: 'good', badTopic: 'bad', clientId: 'test' };

describe('Kafka sink batching', () => {
  it('collects sends within the linger into one sendBatch with acks -1 and no compression', async () => {
    const fake = fakeProducer();
    const sink = createKafkaSink({ ...base, lingerMs: 20, producer: fake.producer });
    await Promise.all([
      sink.sendGood([{ key: 'u1', value: 'tsv1' }]),
      sink.sendGood([
        { key: 'u2', value: 'tsv2' },
        { key: 'u1', value: 'tsv3' },
      ]),
      sink.sendBad([{ schema: 'iglu:x', data: { a: 1 } }]),
    ]);
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0] as Call;
    expect(call.acks).toBe(-1);
    expect(call.compression).toBe(0);
    expect(call.topicMessages).toEqual([
      {
        topic: 'good',
        messages: [
          { key: 'u1', value: 'tsv1' },
          { key: 'u2', value: 'tsv2' },
          { key: 'u1', value: 'tsv3' },
        ],
      },
      { topic: 'bad', messages: [{ key: null, value: '{"schema":"iglu:x","data":{"a":1}}' }] },
    ]);
    expect(sink.stats()).toEqual({
      sentGood: 3,
      sentBad: 1,
      batches: 1,
      failedBatches: 0,
      failedMessages: 0,
      pendingMessages: 0,
    });
    await sink.close();
    expect(fake.state).toMatchObject({ connects: 1, disconnects: 1 });
  });

  it('sends at once when maxBatchMessages is reached, without waiting for the linger', async () => {
    const fake = fakeProducer();
    const sink = createKafkaSink({ ...base, lingerMs: 10_000, maxBatchMessages: 3, producer: fake.producer });
    const started = Date.now();
    await sink.sendGood([1, 2, 3].map((i) => ({ key: `k${i}`, value: `v${i}` })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.calls).toHaveLength(1);
    await sink.close();
  });

  it('keeps one batch in flight; what arrives meanwhile goes in the next batch, in order', async () => {
    const fake = fakeProducer({ delayMs: 30 });
    const sink = createKafkaSink({ ...base, lingerMs: 1, producer: fake.producer });
    const first = sink.sendGood([{ key: 'a', value: '1' }]);
    await new Promise((r) => setTimeout(r, 10)); // the first batch is in flight
    const more = Array.from({ length: 20 }, (_, i) => sink.sendGood([{ key: 'a', value: String(i + 2) }]));
    await Promise.all([first, ...more]);
    expect(fake.state.maxInFlight).toBe(1);
    expect(fake.calls).toHaveLength(2);
    const values = fake.calls.flatMap((c) => c.topicMessages.flatMap((t) => t.messages.map((m) => m.value)));
    expect(values).toEqual(Array.from({ length: 21 }, (_, i) => String(i + 1)));
    await sink.close();
  });

  it('splits a queue larger than maxBatchMessages into batches of whole sends', async () => {
    const fake = fakeProducer();
    const sink = createKafkaSink({ ...base, lingerMs: 5, maxBatchMessages: 4, producer: fake.producer });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => sink.sendGood([0, 1].map((j) => ({ key: 'k', value: `${i}.${j}` })))),
    );
    expect(fake.calls.map((c) => c.topicMessages[0]?.messages.length)).toEqual([4, 4, 2]);
    expect(sink.stats()).toMatchObject({ sentGood: 10, batches: 3 });
    await sink.close();
  });

  it('rejects the sends of a failed batch, counts it, and recovers', async () => {
    const fake = fakeProducer({ failTimes: 1 });
    const lines: string[] = [];
    const sink = createKafkaSink({ ...base, producer: fake.producer, log: (l) => lines.push(l) });
    const a = sink.sendGood([{ key: 'a', value: '1' }]);
    const b = sink.sendBad([{ x: 1 }]);
    await expect(a).rejects.toThrow('broker said no');
    await expect(b).rejects.toThrow('broker said no');
    expect(lines[0]).toContain('batch of 2 messages failed');
    await sink.sendGood([{ key: 'a', value: '2' }]);
    expect(sink.stats()).toMatchObject({ sentGood: 1, sentBad: 0, batches: 1, failedBatches: 1, failedMessages: 2 });
    await sink.close();
  });

  it('retries connecting on the next batch after a failed connect', async () => {
    const fake = fakeProducer({ failConnect: 1 });
    const sink = createKafkaSink({ ...base, producer: fake.producer });
    await expect(sink.sendGood([{ key: 'a', value: '1' }])).rejects.toThrow('connect refused');
    await sink.sendGood([{ key: 'a', value: '2' }]);
    expect(fake.state.connects).toBe(2);
    await sink.close();
  });

  it('close sends what is pending, then refuses new sends; empty sends are no-ops', async () => {
    const fake = fakeProducer({ delayMs: 10 });
    const sink = createKafkaSink({ ...base, lingerMs: 10_000, producer: fake.producer });
    await sink.sendGood([]);
    const pending = sink.sendGood([{ key: 'a', value: '1' }]);
    await sink.close();
    await pending;
    expect(fake.calls).toHaveLength(1);
    await expect(sink.sendBad([{}])).rejects.toBeInstanceOf(KafkaSinkClosedError);
    await sink.close();
    expect(fake.state.disconnects).toBe(1);
  });

  it('never connects nor disconnects when nothing was sent', async () => {
    const fake = fakeProducer();
    const sink = createKafkaSink({ ...base, producer: fake.producer });
    await sink.close();
    expect(fake.state).toMatchObject({ connects: 0, disconnects: 0 });
  });
});
