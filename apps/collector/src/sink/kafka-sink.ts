/**
 * The collector's Kafka output: good events (enriched TSV, keyed by `domain_userid`) and bad rows (JSON, no
 * key) through one kafkajs producer.
 *
 * Batching is tuned for latency: sends are collected for at most `lingerMs` (or until `maxBatchMessages`)
 * and written with one `sendBatch` (acks = -1, no compression). One batch is in flight at a time: what
 * arrives meanwhile forms the next batch, sent as soon as the current one is acknowledged, so per-key
 * order is kept without the idempotent producer and batches grow with load. Each `sendGood`/`sendBad` promise settles when the batch holding its messages is
 * acknowledged (or fails).
 */
import { CompressionTypes, Kafka, logLevel, type Message, Partitioners, type TopicMessages } from 'kafkajs';

/** The part of a kafkajs producer the sink uses (a fake in unit tests). */
export interface SinkProducer {
  connect(): Promise<void>;
  sendBatch(batch: { topicMessages: TopicMessages[]; acks: number; compression: CompressionTypes }): Promise<unknown>;
  disconnect(): Promise<void>;
}

export interface KafkaSinkOptions {
  brokers: string | readonly string[];
  goodTopic: string;
  badTopic: string;
  clientId: string;
  /** How long a send waits for others to share its batch; default 5 ms. */
  lingerMs?: number;
  /** A batch is sent at once when it holds this many messages; default 1000. */
  maxBatchMessages?: number;
  log?: (line: string) => void;
  /** Use this producer instead of a kafkajs one (tests). */
  producer?: SinkProducer;
}

export interface KafkaSinkStats {
  sentGood: number;
  sentBad: number;
  batches: number;
  failedBatches: number;
  failedMessages: number;
  pendingMessages: number;
}

export interface KafkaSink {
  /** Good events: `key` is the domain_userid, `value` the enriched TSV line. */
  sendGood(messages: readonly { key: string; value: string }[]): Promise<void>;
  /** Bad rows, serialised as JSON, without a key. */
  sendBad(rows: readonly object[]): Promise<void>;
  stats(): KafkaSinkStats;
  /** Sends what is pending, waits for it, and disconnects; later sends reject. */
  close(): Promise<void>;
}

interface Pending {
  topic: 'good' | 'bad';
  messages: Message[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class KafkaSinkClosedError extends Error {
  override name = 'KafkaSinkClosedError';
}

export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  const lingerMs = options.lingerMs ?? 5;
  const maxBatch = options.maxBatchMessages ?? 1000;
  const log = options.log ?? (() => {});
  const producer: SinkProducer =
    options.producer ??
    new Kafka({
      clientId: options.clientId,
      brokers: typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers],
      logLevel: logLevel.NOTHING,
    }).producer({
      idempotent: false,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });

  const counters = { sentGood: 0, sentBad: 0, batches: 0, failedBatches: 0, failedMessages: 0 };
  let queue: Pending[] = [];
  let queuedMessages = 0;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let connecting: Promise<void> | null = null;
  let connected = false;
  let closed = false;

  const ensureConnected = async () => {
    if (connected) return;
    connecting ??= producer.connect().then(
      () => {
        connected = true;
      },
      (error: unknown) => {
        connecting = null;
        throw error;
      },
    );
    await connecting;
  };

  const sendOne = async (batch: Pending[]) => {
    const good: Message[] = [];
    const bad: Message[] = [];
    for (const p of batch) (p.topic === 'good' ? good : bad).push(...p.messages);
    const topicMessages: TopicMessages[] = [];
    if (good.length > 0) topicMessages.push({ topic: options.goodTopic, messages: good });
    if (bad.length > 0) topicMessages.push({ topic: options.badTopic, messages: bad });
    try {
      await ensureConnected();
      await producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None });
      counters.batches++;
      counters.sentGood += good.length;
      counters.sentBad += bad.length;
      for (const p of batch) p.resolve();
    } catch (error) {
      counters.failedBatches++;
      counters.failedMessages += good.length + bad.length;
      const err = error instanceof Error ? error : new Error(String(error));
      log(`kafka sink: batch of ${good.length + bad.length} messages failed: ${err.message}`);
      for (const p of batch) p.reject(err);
    }
  };

  /** Starts the next batch unless one is in flight; the in-flight one starts the next as soon as it ends. */
  const pump = () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (inFlight || queue.length === 0) return;
    // Take whole sends up to maxBatch messages (a single larger send goes alone).
    const batch: Pending[] = [];
    let count = 0;
    while (queue.length > 0) {
      const next = queue[0] as Pending;
      if (batch.length > 0 && count + next.messages.length > maxBatch) break;
      batch.push(next);
      count += next.messages.length;
      queue.shift();
    }
    queuedMessages -= count;
    inFlight = sendOne(batch).finally(() => {
      inFlight = null;
      // What queued meanwhile has already waited about one round trip: send it now.
      pump();
    });
  };

  const enqueue = (topic: 'good' | 'bad', messages: Message[]): Promise<void> => {
    if (closed) return Promise.reject(new KafkaSinkClosedError('the Kafka sink is closed'));
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      queue.push({ topic, messages, resolve, reject });
      queuedMessages += messages.length;
      if (queuedMessages >= maxBatch) pump();
      else if (!timer && !inFlight) timer = setTimeout(pump, lingerMs);
    });
  };

  return {
    sendGood: (messages) =>
      enqueue(
        'good',
        messages.map((m) => ({ key: m.key, value: m.value })),
      ),
    sendBad: (rows) =>
      enqueue(
        'bad',
        rows.map((row) => ({ key: null, value: JSON.stringify(row) })),
      ),
    stats: () => ({ ...counters, pendingMessages: queuedMessages }),
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      pump();
      while (inFlight || queue.length > 0) {
        await inFlight;
        pump();
      }
      queue = [];
      if (connecting) {
        try {
          await connecting;
        } catch {
          // never connected: nothing to disconnect
        }
      }
      if (connected) await producer.disconnect();
    },
  };
}
