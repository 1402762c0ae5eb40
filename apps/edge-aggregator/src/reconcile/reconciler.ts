/**
 * The reconciler: reads the enriched topic in its own consumer group (`<group>-reconcile`), keeps the
 * browsers' feature digests until they settle, compares each with the server's values over exactly
 * the events it covers (from the aggregator's lane snapshots), and records the drift in Redis and on
 * the drift topic. It never writes features: the aggregator stays the only authority, and a slow or
 * failing reconciler cannot hold up the feature writer's partitions (docs/decisions/0007).
 *
 * It obeys the erasure registry like the aggregator's lanes (docs/decisions/0008-erasure.md): no
 * drift is computed from a digest that may count an erased shopper's events, and log lines name
 * shoppers by pseudonyms only (docs/privacy.md).
 */
import { randomUUID } from 'node:crypto';
import {
  buildDriftRecord,
  compareDigest,
  coverageStartMs,
  driftCounterIncrements,
  serverSideForDigest,
} from '@tandem/feature-core';
import { type EnrichedDigest, readEnrichedLine } from '@tandem/feature-core/enriched';
import { type ErasureRegistry, isErasedEvent, logPseudonym, shopperErasedAt } from '@tandem/infra/erasure';
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import type { AggregatorConfig } from '../config.js';
import { ERASURE_POLL_MS } from '../erasure.js';
import type { Log } from '../log.js';
import type { ReconcileMetrics } from '../metrics.js';
import type { DriftStore } from './drift-store.js';
import { createIdentityMemory } from './identity-memory.js';
import type { ReconcileSettings } from './settings.js';
import { createSettleQueue, type Waiting } from './settle-queue.js';

const TOPIC_CONFIG = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];
const COMPARE_EVERY_MS = 500;
const COMMIT_EVERY_MS = 5_000;
const HEARTBEAT_EVERY_MS = 5_000;
/** Digests compared per round: each is two reads and one write. */
const ROUND_LIMIT = 50;
/**
 * No digest is compared on a registry older than this (Redis unreachable): an erasure the reconciler
 * has not seen could let an erased shopper's digest through. Comparisons wait and retry instead.
 */
const ERASURES_STALE_MS = 5 * ERASURE_POLL_MS;

interface QueuedDigest {
  readonly read: EnrichedDigest;
  readonly partition: number;
  readonly offset: number;
}

export interface Reconciler {
  health(): { ready: boolean; detail: Record<string, unknown> };
  stop(): Promise<void>;
}

export interface ReconcilerDeps {
  readonly config: AggregatorConfig;
  readonly settings: ReconcileSettings;
  readonly store: DriftStore;
  readonly metrics: ReconcileMetrics;
  readonly log: Log;
  readonly now?: () => number;
  readonly onFatal?: (error: unknown) => void;
}

async function ensureDriftTopic(admin: Admin, config: AggregatorConfig, topic: string): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: config.partitions, replicationFactor: -1, configEntries: TOPIC_CONFIG }],
  });
}

export async function startReconciler(deps: ReconcilerDeps): Promise<Reconciler> {
  const { config, settings, store, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  const group = `${config.consumerGroup}-reconcile`;
  // The registry before any digest is read (and before connecting to Kafka, so a failure leaves
  // nothing open), then every ERASURE_POLL_MS, as the aggregator does.
  await store.erasures.refresh();
  let erasuresReadAtMs = now();
  let erasuresFailing = false;
  let erasuresReading = false;
  async function refreshErasures(): Promise<void> {
    if (erasuresReading) return;
    erasuresReading = true;
    try {
      await store.erasures.refresh();
      erasuresReadAtMs = now();
      erasuresFailing = false;
    } catch (error) {
      if (!erasuresFailing) log.warn('erasure registry not read; will retry', { error: String(error) });
      erasuresFailing = true;
    } finally {
      erasuresReading = false;
    }
  }
  function currentErasures(): ErasureRegistry {
    const ageMs = now() - erasuresReadAtMs;
    if (ageMs > ERASURES_STALE_MS) throw new Error(`the erasure registry was last read ${ageMs} ms ago`);
    return store.erasures.registry;
  }

  const kafka = new Kafka({
    clientId: `tandem-reconciler-${randomUUID().slice(0, 8)}`,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        if (level <= logLevel.ERROR) log.warn(`kafkajs ${namespace}: ${message}`, fields);
      },
    retry: { retries: 8, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureDriftTopic(admin, config, settings.driftTopic);
  await admin.disconnect();
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
  await consumer.connect();
  // From the beginning for a new group: the identity memory learns the sessions, and digests older
  // than RECONCILE_MAX_AGE_MS are counted as stale rather than compared with lanes that moved on.
  await consumer.subscribe({ topics: [config.enrichedTopic], fromBeginning: true });
  const identities = createIdentityMemory();
  const queue = createSettleQueue<QueuedDigest>({ settleMs: settings.settleMs, maxWaitMs: settings.maxWaitMs });
  /** Per partition: the next offset to read. Commits stay below any digest still waiting. */
  const consumed = new Map<number, number>();
  const committed = new Map<number, number>();
  let compared = 0;
  let lastError: string | null = null;
  let stopping = false;
  let joined = false;
  let badLogged = 0;

  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });

  async function commit(): Promise<void> {
    const lowest = new Map<number, number>();
    for (const item of queue.items()) {
      const current = lowest.get(item.partition);
      if (current === undefined || item.offset < current) lowest.set(item.partition, item.offset);
    }
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, next] of consumed) {
      const offset = Math.min(next, lowest.get(partition) ?? next);
      if (committed.get(partition) === offset) continue;
      committed.set(partition, offset);
      offsets.push({ topic: config.enrichedTopic, partition, offset: String(offset) });
    }
    if (offsets.length > 0) await consumer.commitOffsets(offsets);
  }

  async function compareOne(waiting: Waiting<QueuedDigest>): Promise<void> {
    const { read } = waiting.item;
    const digest = read.digest;
    const erasures = currentErasures();
    // Every event a digest covers precedes it: one received at or before its shopper's erasure
    // counts erased events only (the registry's rule, applied to the digest as to any event).
    if (isErasedEvent(erasures, { userKey: digest.u, sessionKey: digest.s, eventTimeMs: read.collectorMs })) {
      metrics.digests.inc({ outcome: 'erased' });
      return;
    }
    const lanes = await store.readLanes(digest.u, digest.s);
    if (!lanes.ok) {
      if (queue.retry(waiting, now())) return;
      metrics.digests.inc({ outcome: 'no_server_state' });
      log.warn('digest not compared', { digest: read.eventId, reason: lanes.reason, detail: lanes.detail });
      return;
    }
    const clockOffsetMs = read.dvceSentMs === null ? undefined : read.dvceSentMs - read.collectorMs;
    const started = process.hrtime.bigint();
    const cut = serverSideForDigest(digest, lanes.lanes, { clockOffsetMs });
    // A lost last event never arrives; a late one does: wait for it until the wait is over.
    if (!cut.lastEventFound && queue.retry(waiting, now())) return;
    // A digest after an erasure that its coverage (up to 24 h back) reaches past may still count
    // erased events: a browser open during the erasure learns of it only at its next state fetch.
    // The server's lanes never hold an erased event, so a digest covering exactly their events is
    // safe to compare; any other is dropped, never recorded.
    const erasedAtMs = shopperErasedAt(erasures, digest.u, digest.s);
    const digestServerMs =
      clockOffsetMs === undefined ? Math.min(digest.t, read.collectorMs) : digest.t - clockOffsetMs;
    if (
      erasedAtMs !== null &&
      erasedAtMs >= coverageStartMs(digestServerMs) &&
      (digest.h !== cut.side.eventSetHash || digest.n !== cut.side.eventCount)
    ) {
      metrics.digests.inc({ outcome: 'erased' });
      return;
    }
    const comparison = compareDigest(digest, cut.side, {
      identityChanged: identities.changed(digest.s),
      ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
    });
    metrics.compareSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    const comparedAtMs = now();
    const record = buildDriftRecord({ digest, digestEventId: read.eventId, cut, comparison, comparedAtMs });
    await store.record(record, driftCounterIncrements(comparison, cut.excluded));
    await producer.send({
      topic: settings.driftTopic,
      messages: [
        {
          key: digest.u,
          value: JSON.stringify({ ...record, fields: record.fields.filter((f) => f.outcome !== 'match') }),
        },
      ],
    });
    compared++;
    metrics.settleSeconds.observe((comparedAtMs - waiting.arrivedAtMs) / 1000);
    metrics.digests.inc({ outcome: !comparison.comparable ? 'skipped' : comparison.allMatch ? 'agree' : 'drift' });
    if (comparison.cause !== null) metrics.drift.inc({ cause: comparison.cause });
    for (const field of comparison.fields) metrics.fieldsCompared.inc({ outcome: field.outcome });
    if (!comparison.allMatch) {
      log.info('drift', {
        shopper: logPseudonym('user', digest.u),
        session: logPseudonym('session', digest.s),
        cause: comparison.cause,
        differing: record.differing,
        events: { browser: digest.n, server: cut.side.eventCount },
        fields: record.fields
          .filter((f) => f.outcome !== 'match')
          .slice(0, 5)
          .map((f) => `${f.field}: ${f.browser ?? '∅'} vs ${f.server ?? '∅'}`),
      });
    }
  }

  let rounding = false;
  async function round(): Promise<void> {
    if (rounding || stopping) return;
    rounding = true;
    try {
      for (const waiting of queue.takeDue(now(), ROUND_LIMIT)) {
        try {
          await compareOne(waiting);
          lastError = null;
        } catch (error) {
          // Redis or Kafka unavailable: keep the digest and try again shortly.
          lastError = String(error);
          queue.putBack(waiting, now() + 2_000);
          log.warn('comparison failed; will retry', { digest: waiting.item.read.eventId, error: lastError });
          break;
        }
      }
      metrics.pending.set(queue.size);
    } finally {
      rounding = false;
    }
  }

  const timers = [
    setInterval(() => void round(), COMPARE_EVERY_MS),
    setInterval(() => {
      commit().catch((error: unknown) => log.warn('offset commit failed', { error: String(error) }));
    }, COMMIT_EVERY_MS),
    setInterval(() => {
      store.heartbeat(now(), queue.size).catch(() => {});
    }, HEARTBEAT_EVERY_MS),
    setInterval(() => void refreshErasures(), ERASURE_POLL_MS),
  ];

  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      for (const message of batch.messages) {
        const offset = Number(message.offset);
        consumed.set(batch.partition, offset + 1);
        if (message.value === null || message.value.length === 0) continue;
        const read = readEnrichedLine(message.value.toString('utf8'));
        if (!read.ok) {
          // The aggregator dead-letters bad lines; here only digests matter, so count and go on.
          metrics.digests.inc({ outcome: 'bad' });
          if (badLogged++ < 20)
            log.warn('unreadable line skipped', { reason: read.reason, detail: read.detail, offset });
          continue;
        }
        if (read.value.kind === 'event') {
          identities.note(read.value.identity);
          continue;
        }
        const digest = read.value.value;
        if (now() - digest.collectorMs > settings.maxAgeMs) {
          metrics.digests.inc({ outcome: 'stale' });
          continue;
        }
        queue.add({ read: digest, partition: batch.partition, offset }, now());
      }
      metrics.pending.set(queue.size);
      await heartbeat();
    },
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart === false) deps.onFatal?.(event.payload.error);
  });
  log.info('reconciler started', {
    group,
    input: config.enrichedTopic,
    drift: settings.driftTopic,
    settleMs: settings.settleMs,
    maxWaitMs: settings.maxWaitMs,
  });

  return {
    health: () => ({
      ready: joined,
      detail: { compared, pending: queue.size, sessionsKnown: identities.size, lastError },
    }),
    async stop() {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      await consumer.stop();
      await commit().catch(() => {});
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
