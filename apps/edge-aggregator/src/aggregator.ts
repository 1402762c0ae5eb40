/**
 * The aggregator's stream processing, and the only module that imports kafkajs.
 *
 * One consumer in the group reads three topics:
 * - the enriched topic (keyed by `domain_userid`): each event is decoded once and repartitioned to
 *   the by-user topic (keyed by user key, only events a user lane reads) and the by-session topic
 *   (keyed by session key), so each lane is owned by exactly one partition of its own key, as Kafka
 *   Streams does; bad input goes to the dead-letter topic. Offsets are committed once the
 *   repartitioned messages are acknowledged (at least once: a duplicate is applied once by the lane);
 * - the two lane topics: each partition is a LanePartition (restore, apply, write, expire, checkpoint),
 *   whose Kafka offset is committed only after Redis acknowledged the checkpoint covering it.
 */
import { randomUUID } from 'node:crypto';
import { definitionVersion, isUserLaneEvent } from '@tandem/feature-core';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  logLevel,
  type Message,
  type Producer,
} from 'kafkajs';
import type { AggregatorConfig } from './config.js';
import { createErasureWatch, ERASURE_POLL_MS } from './erasure.js';
import { type DeadLetterReason, decodeInput, decodeLaneMessage, encodeLaneMessage } from './input-decoder.js';
import { createLanePartition, type LanePartition, type LaneRecord } from './lane-partition.js';
import type { Log } from './log.js';
import type { Metrics } from './metrics.js';
import type { FeatureStore } from './redis/feature-store.js';
import type { LaneKind } from './write-plan.js';

/** Header carrying the enriched topic's append time (epoch ms) through repartitioning, for freshness. */
const SOURCE_TIME_HEADER = 'tandem-source-ms';
/**
 * The topics the aggregator creates (repartitioned events, dead letters) keep 7 days, stated here
 * rather than left to the broker's default: they hold shoppers' events, and the retention policy
 * (docs/privacy.md) promises they go. Erased shoppers' events in them are skipped on every replay.
 */
const RETENTION_MS = 7 * 24 * 60 * 60_000;
const TOPIC_CONFIG = [
  { name: 'message.timestamp.type', value: 'LogAppendTime' },
  { name: 'retention.ms', value: String(RETENTION_MS) },
];
/** How often due tile boundaries and idle checkpoints are looked at. */
const TICK_MS = 200;
/** How often every owned partition checks that Redis still holds its data. */
const PROBE_INTERVAL_MS = 1_000;

/** A batch that failed for a reason a later attempt may not meet (Redis, the REST endpoint, Kafka). */
class RetriableBatchError extends Error {
  override name = 'RetriableBatchError';
  readonly retriable = true;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export interface Aggregator {
  /** Ready once the group is joined and every assigned lane partition is restored. */
  health(): { ready: boolean; detail: Record<string, unknown> };
  /** Finishes the batch in hand, checkpoints every partition, commits, and leaves the group. */
  stop(): Promise<void>;
}

export interface AggregatorDeps {
  readonly config: AggregatorConfig;
  readonly store: FeatureStore;
  readonly metrics: Metrics;
  readonly log: Log;
  readonly now?: () => number;
  /** Called when the consumer stopped for good (kafkajs will not restart it): the process should exit. */
  readonly onFatal?: (error: unknown) => void;
}

interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: Buffer | null;
}

function deadLetterMessage(letter: DeadLetter, atMs: number): Message {
  const payload = letter.value === null ? null : letter.value.toString('utf8');
  return {
    key: `${letter.topic}/${letter.partition}/${letter.offset}`,
    value: JSON.stringify({
      reason: letter.reason,
      detail: letter.detail,
      source: { topic: letter.topic, partition: letter.partition, offset: letter.offset },
      failedAtMs: atMs,
      // Enough to see what was wrong without making the dead-letter topic a copy of a flood.
      payload: payload !== null && payload.length > 65_536 ? `${payload.slice(0, 65_536)}…` : payload,
    }),
  };
}

async function ensureTopics(admin: Admin, config: AggregatorConfig): Promise<void> {
  const existing = new Set(await admin.listTopics());
  if (!existing.has(config.enrichedTopic)) {
    throw new Error(`the input topic ${config.enrichedTopic} does not exist on ${config.brokers.join(',')}`);
  }
  const missing = [config.userTopic, config.sessionTopic, config.deadLetterTopic].filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: config.partitions,
      replicationFactor: -1,
      configEntries: TOPIC_CONFIG,
    })),
  });
}

/**
 * Tells readers of lane snapshots (the store) how many partitions the lane topics really have: a
 * topic created earlier keeps its count whatever KAFKA_PARTITIONS says today.
 */
async function publishLaneLayout(
  admin: Admin,
  config: AggregatorConfig,
  store: FeatureStore,
  definitionVersion: string,
): Promise<void> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [config.userTopic, config.sessionTopic] });
  const count = (topic: string) => topics.find((t) => t.name === topic)?.partitions.length ?? config.partitions;
  await store.publishLayout({
    group: config.consumerGroup,
    partitions: { user: count(config.userTopic), session: count(config.sessionTopic) },
    definitionVersion,
  });
}

export async function startAggregator(deps: AggregatorDeps): Promise<Aggregator> {
  const { config, store, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  const version = definitionVersion(config.engine);
  const kafka = new Kafka({
    clientId: `tandem-aggregator-${randomUUID().slice(0, 8)}`,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    // kafkajs's own messages join the structured log; retried errors (a coordinator still loading at
    // start, a rebalance) are warnings, not failures.
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        const text = `kafkajs ${namespace}: ${message}`;
        if (level <= logLevel.ERROR) log.warn(text, fields);
        else log.debug(text, fields);
      },
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await publishLaneLayout(admin, config, store, version);
  // Erasure (docs/decisions/0008-erasure.md): known before any partition restores or applies an event.
  const erasures = createErasureWatch(store.transport);
  await erasures.refresh();

  // Not idempotent: that would allow one request in flight, serializing every partition's sends. A
  // retry's duplicate is harmless (a lane applies an event id once) and lanes do not depend on order.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({
    groupId: config.consumerGroup,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeoutMs / 6)),
    rebalanceTimeout: 30_000,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 1_048_576,
    // A longer budget than the client's (~50 s): a broker restart on a loaded machine outlasted that
    // once (the broker-restart drill), and a consumer that runs out of retries crashes for good with
    // "Failed to find group coordinator". 12 retries reach ~3 minutes with waits capped at 30 s.
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 30_000 },
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: [config.enrichedTopic, config.userTopic, config.sessionTopic],
    fromBeginning: true,
  });

  const laneKindOf = (topic: string): LaneKind | null =>
    topic === config.userTopic ? 'user' : topic === config.sessionTopic ? 'session' : null;
  const lanePartitions = new Map<string, LanePartition>();
  /** Input offsets repartitioned and acknowledged, waiting for the tick to commit them. */
  const inputCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  async function commitInput(): Promise<void> {
    if (inputCommits.size === 0) return;
    const offsets = [...inputCommits.values()];
    inputCommits.clear();
    await consumer.commitOffsets(offsets);
  }
  const restoring = new Map<string, Promise<LanePartition | null>>();
  let assigned: { topic: string; partition: number }[] = [];
  let joined = false;
  let stopping = false;

  /** A partition's watermarks; retried, since a broker that just started may not lead it yet. */
  async function watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const found = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition);
        return { low: Number(found?.low ?? 0), high: Number(found?.high ?? 0) };
      } catch (error) {
        if (attempt >= 10 || stopping) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      }
    }
  }

  /** Restores a lane partition and points the consumer at the offset its state continues from. */
  function restorePartition(topic: string, kind: LaneKind, partition: number): Promise<LanePartition | null> {
    const id = `${topic}/${partition}`;
    const pending = restoring.get(id);
    if (pending !== undefined) return pending;
    const work = (async () => {
      const lane = createLanePartition({
        group: config.consumerGroup,
        kind,
        partition,
        store,
        config: config.engine,
        definitionVersion: version,
        checkpointIntervalMs: config.checkpointIntervalMs,
        now,
        erasures: () => erasures.registry,
      });
      const marks = await watermarks(topic, partition);
      const result = await lane.restore(marks.high);
      metrics.restores.inc({ reason: result.reason });
      if (result.outcome !== 'OK') {
        log.warn('restore refused', { topic, partition, outcome: result.outcome });
        return null;
      }
      // A snapshot of an erased shopper that an erasure has not deleted yet is not written back.
      if (erasures.registry.size > 0) await lane.forgetErased(erasures.registry);
      const offset = result.resumeOffset ?? marks.low;
      consumer.seek({ topic, partition, offset: String(offset) });
      if (result.resumeOffset === null) lane.expectFrom(offset);
      lanePartitions.set(id, lane);
      log.info('partition restored', {
        topic,
        partition,
        reason: result.reason,
        lanes: result.lanesRestored,
        resumeOffset: offset,
      });
      return lane;
    })();
    const tracked = work.finally(() => restoring.delete(id));
    restoring.set(id, tracked);
    return tracked;
  }

  /** Forgets a partition's state; the next batch (if it is still ours) restores it from Redis. */
  function dropPartition(topic: string, partition: number, why: string): void {
    if (lanePartitions.delete(`${topic}/${partition}`)) log.info('partition dropped', { topic, partition, why });
  }

  consumer.on(consumer.events.CRASH, (event) => {
    log.error('consumer crashed', { error: String(event.payload.error), restart: event.payload.restart });
    if (!event.payload.restart && !stopping) deps.onFatal?.(event.payload.error);
  });

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    const assignment = event.payload.memberAssignment;
    assigned = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    const keep = new Set(assigned.map(({ topic, partition }) => `${topic}/${partition}`));
    for (const id of [...lanePartitions.keys()]) {
      if (keep.has(id)) continue;
      const [topic, partition] = [id.slice(0, id.lastIndexOf('/')), Number(id.slice(id.lastIndexOf('/') + 1))];
      dropPartition(topic, partition, 'revoked');
    }
    log.info('group joined', { member: event.payload.memberId, assignment });
    // Restore eagerly: values that change by time alone must be rewritten even without new events.
    // Partitions kept across a rebalance are restored too: another member may have owned them meanwhile.
    for (const { topic, partition } of assigned) {
      const kind = laneKindOf(topic);
      if (kind === null) continue;
      lanePartitions.delete(`${topic}/${partition}`);
      restorePartition(topic, kind, partition).catch((error: unknown) =>
        log.error('restore failed', { topic, partition, error: String(error) }),
      );
    }
  });

  /** Counts a message that cannot be applied, by reason, and makes its dead letter. */
  function refuse(
    rejection: { reason: DeadLetterReason; detail: string },
    topic: string,
    partition: number,
    offset: string,
    value: Buffer | null,
    atMs: number,
  ): Message {
    metrics.deadLetters.inc({ reason: rejection.reason });
    return deadLetterMessage({ ...rejection, topic, partition, offset, value }, atMs);
  }

  async function handleInput(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const userMessages: Message[] = [];
    const sessionMessages: Message[] = [];
    const deadLetters: Message[] = [];
    const atMs = now();
    for (const message of batch.messages) {
      metrics.eventsIn.inc();
      const decoded = decodeInput(message.value, config.inputFormat);
      // Anonymous tracking (the shopper's consent choice): a valid event with no shopper to key a lane
      // on. Counted and skipped, not dead-lettered: nothing is wrong with it.
      if (!decoded.ok && decoded.reason === 'no_shopper') {
        metrics.anonymousEvents.inc();
        continue;
      }
      if (!decoded.ok) {
        deadLetters.push(refuse(decoded, batch.topic, batch.partition, message.offset, message.value, atMs));
        continue;
      }
      const event = decoded.event;
      if (event.clockSkewCorrected) metrics.clockSkew.inc();
      const value = encodeLaneMessage(event);
      const headers = { [SOURCE_TIME_HEADER]: message.timestamp };
      if (isUserLaneEvent(event)) userMessages.push({ key: event.userKey, value, headers });
      if (event.sessionKey !== null) sessionMessages.push({ key: event.sessionKey, value, headers });
    }
    const topicMessages = [
      { topic: config.userTopic, messages: userMessages },
      { topic: config.sessionTopic, messages: sessionMessages },
      { topic: config.deadLetterTopic, messages: deadLetters },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await producer.sendBatch({ topicMessages, acks: -1 });
    const sent = now();
    const next = String(Number(batch.lastOffset()) + 1);
    payload.resolveOffset(batch.lastOffset());
    // Committed by the tick, off the event's path: a crash before that re-sends what was repartitioned,
    // and each lane applies a duplicate once.
    inputCommits.set(`${batch.topic}/${batch.partition}`, {
      topic: batch.topic,
      partition: batch.partition,
      offset: next,
    });
    metrics.batchSize.observe({ role: 'input' }, batch.messages.length);
    log.debug('input batch', {
      partition: batch.partition,
      messages: batch.messages.length,
      waitedMs: atMs - Number(batch.messages[0]?.timestamp ?? atMs),
      sendMs: sent - atMs,
    });
    metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(next)),
    );
  }

  async function handleLane(payload: EachBatchPayload, kind: LaneKind): Promise<void> {
    const { batch } = payload;
    const id = `${batch.topic}/${batch.partition}`;
    let lane = lanePartitions.get(id) ?? null;
    if (lane === null) {
      lane = await restorePartition(batch.topic, kind, batch.partition);
      // The consumer was pointed at the offset the state continues from: this batch may be stale.
      return;
    }
    const first = Number(batch.firstOffset());
    const expected = lane.nextOffset;
    if (expected !== null && first > expected) {
      // A gap: Kafka's committed offset is ahead of the state (Redis lost a checkpoint). Go back.
      consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(expected) });
      return;
    }
    if (payload.isStale()) return;
    const records: LaneRecord[] = [];
    const deadLetters: Message[] = [];
    const sourceTimes: number[] = [];
    const atMs = now();
    for (const message of batch.messages) {
      const decoded = decodeLaneMessage(message.value);
      if (!decoded.ok) {
        deadLetters.push(refuse(decoded, batch.topic, batch.partition, message.offset, message.value, atMs));
        continue;
      }
      records.push({ offset: Number(message.offset), event: decoded.event });
      const source = Number(message.headers?.[SOURCE_TIME_HEADER]?.toString() ?? message.timestamp);
      sourceTimes.push(source);
      if (atMs - decoded.event.eventTimeMs > 10_000) metrics.lateEvents.inc();
    }
    if (deadLetters.length > 0) {
      await producer.send({ topic: config.deadLetterTopic, messages: deadLetters, acks: -1 });
    }
    const endOffset = Number(batch.lastOffset()) + 1;
    const started = performance.now();
    let result: Awaited<ReturnType<LanePartition['applyBatch']>>;
    try {
      result = await lane.applyBatch(records, endOffset);
    } catch (error) {
      // The lane's memory is ahead of Redis now: forget it and restore from the last checkpoint.
      dropPartition(batch.topic, batch.partition, `write failed: ${String(error)}`);
      throw error;
    }
    metrics.redisWriteSeconds.observe((performance.now() - started) / 1000);
    if (result.outcome !== 'OK') {
      await lost(batch.topic, lane, result.outcome);
      return;
    }
    const ackMs = now();
    log.debug('lane batch', {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages.length,
      waitedMs: atMs - Math.min(...sourceTimes),
      writeMs: ackMs - atMs,
      ops: result.ops,
      checkpoint: result.checkpointOffset !== null,
    });
    for (const source of sourceTimes) metrics.freshness.observe((ackMs - source) / 1000);
    metrics.eventsApplied.inc({ lane: kind, outcome: 'applied' }, result.applied);
    metrics.eventsApplied.inc({ lane: kind, outcome: 'duplicate' }, result.duplicates);
    metrics.eventsApplied.inc({ lane: kind, outcome: 'expired' }, result.expired);
    metrics.eventsApplied.inc({ lane: kind, outcome: 'ignored' }, result.ignored);
    metrics.eventsApplied.inc({ lane: kind, outcome: 'erased' }, result.erased);
    metrics.redisOps.inc(result.ops);
    metrics.batchSize.observe({ role: kind }, batch.messages.length);
    metrics.lanes.set({ lane: kind }, laneCount(kind));
    payload.resolveOffset(batch.lastOffset());
    if (result.checkpointOffset !== null) {
      await commit(batch.topic, batch.partition, result.checkpointOffset);
    }
    const lag = Number(batch.highWatermark) - endOffset;
    metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
  }

  function laneCount(kind: LaneKind): number {
    let total = 0;
    for (const lane of lanePartitions.values()) if (lane.kind === kind) total += lane.size;
    return total;
  }

  async function commit(topic: string, partition: number, offset: number): Promise<void> {
    await consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async (payload) => {
      if (stopping) return;
      const kind = laneKindOf(payload.batch.topic);
      try {
        if (kind === null) await handleInput(payload);
        else await handleLane(payload, kind);
      } catch (error) {
        // kafkajs retries a batch, and restarts the consumer after that, only for errors it deems
        // retriable; a failed fetch to the REST endpoint is a TypeError, which would stop the
        // consumer for good. Redis or the endpoint coming back is exactly what a retry waits for.
        log.warn('batch failed; kafkajs retries it', {
          topic: payload.batch.topic,
          partition: payload.batch.partition,
          error: String(error),
        });
        throw new RetriableBatchError(error);
      }
    },
  });

  /** Tile boundaries (values that change by time alone) and checkpoints of idle partitions. */
  let ticking = false;
  const ticker = setInterval(() => {
    if (ticking || stopping) return;
    ticking = true;
    tick()
      .catch((error: unknown) => log.error('tick failed', { error: String(error) }))
      .finally(() => {
        ticking = false;
      });
  }, TICK_MS);

  /** A write was refused: another owner took the partition, or Redis lost its data (rebuild it). */
  async function lost(topic: string, lane: LanePartition, outcome: 'FENCED' | 'WIPED'): Promise<void> {
    metrics.fenced.inc({ outcome });
    dropPartition(topic, lane.partition, outcome === 'FENCED' ? 'fenced by a newer owner' : 'Redis was wiped');
    const kind = laneKindOf(topic);
    if (outcome === 'WIPED' && kind !== null) await restorePartition(topic, kind, lane.partition);
  }

  /** Newly erased shoppers: their lanes leave memory and their keys are deleted by the lanes' owner. */
  // Paced by the monotonic clock: tests inject a frozen `now`.
  let lastErasurePollAt = Number.NEGATIVE_INFINITY;
  async function pollErasures(): Promise<void> {
    if (performance.now() - lastErasurePollAt < ERASURE_POLL_MS) return;
    lastErasurePollAt = performance.now();
    const fresh = await erasures.refresh();
    if (fresh.size === 0) return;
    let dropped = 0;
    for (const [id, lane] of [...lanePartitions]) {
      try {
        const done = await lane.forgetErased(fresh);
        if (done.outcome !== 'OK') await lost(id.slice(0, id.lastIndexOf('/')), lane, done.outcome);
        else dropped += done.lanes;
      } catch (error) {
        // A partition that may not write is restored from its checkpoint, which forgets erased lanes then.
        log.warn('erasure not applied to a partition yet', { partition: id, error: String(error) });
      }
    }
    log.info('erasures applied', { entries: fresh.size, lanesDropped: dropped });
  }

  let lastProbeAt = 0;
  async function tick(): Promise<void> {
    const atMs = now();
    const probing = atMs - lastProbeAt >= PROBE_INTERVAL_MS;
    await pollErasures();
    await Promise.all(
      [...lanePartitions.entries()].map(async ([id, lane]) => {
        const topic = id.slice(0, id.lastIndexOf('/'));
        // A partition dropped meanwhile (its batch failed, a rebalance) is left alone: its state may be
        // ahead of Redis, and the partition refuses writes until it is restored anyway.
        const current = () => lanePartitions.get(id) === lane;
        const due = lane.nextDueAtMs;
        if (due !== null && due <= atMs) {
          const flushed = await lane.flushDue();
          if (flushed.outcome !== 'OK') {
            await lost(topic, lane, flushed.outcome);
            return;
          }
          metrics.expiryWrites.inc(flushed.lanes);
          metrics.redisOps.inc(flushed.ops);
        }
        if (probing && current()) {
          const outcome = await lane.probe();
          if (outcome !== 'OK') {
            await lost(topic, lane, outcome);
            return;
          }
        }
        if (current() && lane.checkpointDue(atMs)) {
          const done = await lane.checkpoint();
          if (done.outcome === 'OK' && done.offset !== null) await commit(topic, lane.partition, done.offset);
        }
      }),
    );
    if (probing) lastProbeAt = atMs;
    await commitInput();
  }

  return {
    health() {
      const pending = assigned.filter(
        ({ topic, partition }) => laneKindOf(topic) !== null && !lanePartitions.has(`${topic}/${partition}`),
      );
      return {
        ready: joined && pending.length === 0 && !stopping,
        detail: {
          group: config.consumerGroup,
          joined,
          partitions: assigned.length,
          restoring: pending.map(({ topic, partition }) => `${topic}/${partition}`),
          lanes: { user: laneCount('user'), session: laneCount('session') },
        },
      };
    },
    async stop() {
      stopping = true;
      clearInterval(ticker);
      // Waits for the batches in hand to finish; no new ones start.
      await consumer.stop();
      for (const [id, lane] of lanePartitions) {
        const topic = id.slice(0, id.lastIndexOf('/'));
        const done = await lane.checkpoint().catch(() => ({ outcome: 'error', offset: null }));
        if (done.outcome === 'OK' && done.offset !== null) {
          await commit(topic, lane.partition, done.offset).catch(() => {});
        }
      }
      await commitInput().catch(() => {});
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
