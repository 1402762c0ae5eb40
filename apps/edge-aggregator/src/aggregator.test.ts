/**
 * The aggregator against a real Kafka broker and a real redis-server: the golden journey of
 * feature-core, shifted to the present (so Redis's own clock keeps the keys), must land in Redis
 * exactly as FEATURES.md's hand-worked values say, string keys and hashes alike.
 */
import {
  definitionVersion,
  deserializeUserLane,
  evaluateUserLane,
  featureHashFields,
  type ShopperEvent,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, enrichedTsvWith, uuid } from '@tandem/feature-core/testing';
import { type LaneLayout, laneSnapshotKey, layoutKey, parseLaneLayout } from '@tandem/infra/lane-state';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Aggregator, startAggregator } from './aggregator.js';
import { createLog } from './log.js';
import { createMetrics } from './metrics.js';
import { createFeatureStore } from './redis/feature-store.js';
import { tcpTransport } from './redis/transport.js';
import { eventually, goldenJourneyNow, sameEntries, startTestStack, type TestStack } from './test-support/harness.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function runAggregator(
  overrides: Record<string, string>,
  now: () => number,
  metrics = createMetrics(),
): Promise<Aggregator> {
  const config = stack.config(overrides);
  return await startAggregator({
    config,
    store: createFeatureStore(tcpTransport(config.redisUrl)),
    metrics,
    log: createLog('test', 'info'),
    now,
  });
}

describe('golden journey through Kafka and Redis', () => {
  it('writes every key FEATURES.md expects, with the hand-worked values, and the matching hashes', async () => {
    // Evaluate at checkpoint (c), moved to one minute from now: Redis expiries stay in the future.
    const { specs, atMs, expected } = goldenJourneyNow();

    const topic = await stack.createTopic('golden-input');
    await stack.produce(
      specs.map((spec) => ({ key: spec.domainUserId, value: enrichedTsv(spec) })),
      topic,
    );
    const aggregator = await runAggregator({ CONSUMER_GROUP: 'golden', ENRICHED_TOPIC: topic }, () => atMs);
    try {
      const strings = await eventually(
        () => stack.readStrings(),
        (values) => sameEntries(values, expected),
      );
      expect(strings).toEqual(expected);

      // Each hash holds the same values as the string keys of its lane, plus the meta fields.
      const events = specs
        .map((spec) => fromEnrichedTsv(enrichedTsv(spec)))
        .flatMap((r) => (r.ok ? [r.value] : [])) as ShopperEvent[];
      const hashes = await stack.readHashes();
      for (const [hashKey, fields] of Object.entries(hashes)) {
        const [, kind, laneKey] = /^features:(user|session):(.+)$/.exec(hashKey) ?? [];
        const prefix = `${kind}:${laneKey}:`;
        const laneValues = new Map(
          Object.entries(expected)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
        );
        const applied = new Set(
          events
            .filter((e) => (kind === 'user' ? e.userKey === laneKey : e.sessionKey === laneKey))
            .filter(
              (e) =>
                kind === 'session' ||
                ['product_view', 'list_view', 'add_to_cart', 'remove_from_cart', 'transaction'].includes(e.type),
            )
            .map((e) => e.eventId),
        ).size;
        const { _at, ...want } = featureHashFields(
          { values: laneValues, expiresAtMs: new Map(), overflowed: [] },
          { definitionVersion: definitionVersion(), evaluatedAtMs: atMs, eventsApplied: applied },
        );
        expect(fields, hashKey).toEqual(want);
      }
      expect(Object.keys(hashes).sort()).toEqual(
        [...new Set(Object.keys(expected).map((key) => key.split(':').slice(0, 2).join(':')))]
          .map((lane) => `features:${lane}`)
          .sort(),
      );
      expect(aggregator.health().ready).toBe(true);
    } finally {
      await aggregator.stop();
    }

    // The store finds each user lane's snapshot from the published layout alone (it rebases the
    // browser on it and checks redemption claims against it): evaluated, it gives the hash's values.
    const layout = parseLaneLayout(await stack.redisClient.get(layoutKey('golden')));
    expect(layout?.partitions).toEqual({ user: 6, session: 6 });
    const hashes = await stack.readHashes();
    const userHashes = Object.entries(hashes).filter(([key]) => key.startsWith('features:user:'));
    expect(userHashes.length).toBeGreaterThan(0);
    for (const [hashKey, fields] of userHashes) {
      const userKey = hashKey.slice('features:user:'.length);
      const wire = await stack.redisClient.get(laneSnapshotKey(layout as LaneLayout, 'user', userKey));
      const lane = deserializeUserLane(wire ?? '');
      expect(lane.ok, userKey).toBe(true);
      if (!lane.ok) continue;
      const values = Object.fromEntries(evaluateUserLane(lane.value, atMs).values);
      const { _v, _at, _events, ...stored } = fields;
      expect(values, userKey).toEqual(stored);
    }
  }, 120_000);
});

const DUID = 'dddddddd-0000-4000-8000-00000000e001';
const SESSION = 'dddddddd-0000-4000-8000-00000000e501';

function productView(n: number, timeMs: number, extra: Partial<EventSpec> = {}): EventSpec {
  return {
    eventId: uuid(900_000 + n),
    timeMs,
    domainUserId: DUID,
    sessionId: SESSION,
    type: 'product_view',
    products: [{ id: `sku-${n}`, category: 'Shoes', price: 42.99, currency: 'USD' }],
    ...extra,
  };
}

describe('values that change by time alone', () => {
  it('rewrites a 5-minute value within 1 s of the tile boundary where one of its events leaves the window', async () => {
    const topic = await stack.createTopic('expiry-input');
    // Two product views: one whose 10-second tile leaves the 5-minute window (30 tiles) 4 to 14 s from
    // now, one just now. The count goes from 2 to 1 at that boundary; the key's own Redis expiry is
    // minutes later, so only the aggregator's expiry scheduler can write the 1.
    const tileMs = 10_000;
    const leavesAt = (Math.floor((Date.now() + 4_000) / tileMs) + 1) * tileMs;
    await stack.produce(
      [
        { key: DUID, value: enrichedTsv(productView(1, leavesAt - 30 * tileMs + 500)) },
        { key: DUID, value: enrichedTsv(productView(2, Date.now() - 1_000)) },
      ],
      topic,
    );
    const aggregator = await runAggregator({ CONSUMER_GROUP: 'expiry', ENRICHED_TOPIC: topic }, Date.now);
    try {
      const key = `user:${DUID}:product_view_count_5m`;
      const hashKey = `features:user:${DUID}`;
      const read = async () =>
        `${await stack.redisClient.get(key)}/${await stack.redisClient.hget(hashKey, 'product_view_count_5m')}`;
      expect(await eventually(read, (v) => v === '2/2'), 'both events applied').toBe('2/2');
      expect(Date.now(), 'applied before the boundary').toBeLessThan(leavesAt);
      const after = await eventually(read, (v) => v === '1/1', 20_000);
      const staleMs = Date.now() - leavesAt;
      expect(after).toBe('1/1');
      expect(staleMs, 'staleness after the tile boundary').toBeLessThanOrEqual(1_000);
      // The longer windows still hold both events.
      expect(await stack.redisClient.hget(hashKey, 'product_view_count_1h')).toBe('2');
      expect(await stack.redisClient.get(`user:${DUID}:product_view_count_24h`)).toBe('2');
    } finally {
      await aggregator.stop();
    }
  }, 60_000);
});

describe('bad input', () => {
  it('sends undecodable lines to the dead-letter topic with reason and offset, and goes on; skips anonymous events', async () => {
    const topic = await stack.createTopic('bad-input');
    const now = Date.now();
    const good = productView(10, now - 1_000, { domainUserId: 'dddddddd-0000-4000-8000-00000000e010' });
    const noCart: EventSpec = { ...productView(11, now - 900), type: 'add_to_cart', products: [] };
    // Anonymous tracking: a valid event of no shopper (no user_id, no domain_userid). Not bad input.
    const anonymous = enrichedTsvWith(productView(13, now - 700), {
      domain_userid: '',
      user_id: '',
      domain_sessionid: '',
    });
    const lines = [
      anonymous,
      'not a tsv line at all',
      enrichedTsv(productView(12, now - 800))
        .split('\t')
        .slice(0, 100)
        .join('\t'),
      enrichedTsv(noCart),
      enrichedTsv(good),
    ];
    // One partition (same key): offsets 0..4 in order.
    await stack.produce(
      lines.map((value) => ({ key: 'same-key', value })),
      topic,
    );
    const group = 'bad-input';
    const metrics = createMetrics();
    const aggregator = await runAggregator({ CONSUMER_GROUP: group, ENRICHED_TOPIC: topic }, Date.now, metrics);
    try {
      const value = await eventually(
        () => stack.redisClient.get(`user:${good.domainUserId}:product_view_count_5m`),
        (v) => v === '1',
      );
      expect(value).toBe('1');
      // The anonymous event (offset 0) is counted, and is not among the dead letters.
      const letters = await readTopic(stack, 'tandem-dead-letter', (m) => m.source?.topic === topic, 3);
      expect(letters.map((m) => [m.reason, m.source.offset]).sort()).toEqual([
        ['missing_entity', '3'],
        ['wrong_field_count', '1'],
        ['wrong_field_count', '2'],
      ]);
      expect((await metrics.anonymousEvents.get()).values[0]?.value).toBe(1);
      for (const letter of letters) expect(letter.detail).toEqual(expect.any(String));
    } finally {
      await aggregator.stop();
    }
  }, 60_000);
});

interface DeadLetterRecord {
  reason: string;
  detail: string;
  source: { topic: string; partition: number; offset: string };
}

async function readTopic(
  testStack: TestStack,
  topic: string,
  keep: (record: DeadLetterRecord) => boolean,
  count: number,
): Promise<DeadLetterRecord[]> {
  const consumer = new Kafka({ brokers: [testStack.kafka.brokers], logLevel: logLevel.NOTHING }).consumer({
    groupId: `reader-${Math.random()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: DeadLetterRecord[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const record = JSON.parse(message.value?.toString() ?? 'null') as DeadLetterRecord;
        if (keep(record)) out.push(record);
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
