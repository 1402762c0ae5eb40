/**
 * Erasure against a real Kafka broker and a real redis-server (docs/decisions/0008-erasure.md): a
 * shopper's events go through the aggregator, the shopper is erased while it runs, other shoppers
 * and a late event of the erased one (dated before the erasure) follow, the aggregator restarts, and
 * no key, field or value in Redis names the erased shopper while the other shoppers are intact.
 */
import { type EventSpec, enrichedTsv } from '@tandem/feature-core/testing';
import { ioredisErasureClient } from '@tandem/infra/cli/erase';
import { ERASURE_REGISTRY_KEY, erasureField } from '@tandem/infra/erasure';
import { eraseShopper } from '@tandem/infra/erasure-run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Aggregator, startAggregator } from './aggregator.js';
import { createErasureWatch, newErasures } from './erasure.js';
import { createLog } from './log.js';
import { createMetrics } from './metrics.js';
import { createFeatureStore } from './redis/feature-store.js';
import { tcpTransport } from './redis/transport.js';
import { eventually, goldenJourneyNow, startTestStack, type TestStack } from './test-support/harness.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

const GROUP = 'erasure';
const QUARTER_MS = 15 * 60_000;

/** The golden journey (one shopper who signs in mid-way) as shopper `n`, entirely in the past. */
function journeyOf(n: number): { specs: EventSpec[]; ids: string[]; domainUserId: string; userId: string } {
  const { specs } = goldenJourneyNow();
  const back = 2 * QUARTER_MS; // every event at least 14 minutes ago, so "before the erasure" holds
  const ids = new Map<string, string>();
  const hex = (value: number) => value.toString(16).padStart(8, '0');
  for (const spec of specs) {
    ids.set(spec.domainUserId, `${hex(n)}-0000-4000-8000-00000000d000`);
    ids.set(spec.sessionId, `${hex(n)}-0000-4000-8000-00000000${spec.sessionId.slice(-4)}`);
    if (spec.userId !== undefined) ids.set(spec.userId, `customer-${n}`);
    ids.set(spec.eventId, `${hex(n)}-0000-4000-8000-0000${spec.eventId.slice(-8)}`);
  }
  let text = JSON.stringify(specs);
  for (const [from, to] of ids) text = text.replaceAll(from, to);
  const moved = (JSON.parse(text) as EventSpec[]).map((spec) => {
    const out: Record<string, unknown> = { ...spec, timeMs: spec.timeMs - back };
    for (const field of ['collectorTimeMs', 'firstEventTimeMs'] as const) {
      if (spec[field] !== undefined) out[field] = (spec[field] as number) - back;
    }
    return out as unknown as EventSpec;
  });
  const first = moved[0] as EventSpec;
  return { specs: moved, ids: [...new Set(ids.values())], domainUserId: first.domainUserId, userId: `customer-${n}` };
}

/** Every key of Redis with its contents (strings, hash fields and values, list, set and zset members). */
async function dumpRedis(): Promise<Map<string, string>> {
  const redis = stack.redisClient;
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'list'
              ? JSON.stringify(await redis.lrange(key, 0, -1))
              : type === 'set'
                ? JSON.stringify(await redis.smembers(key))
                : type === 'zset'
                  ? JSON.stringify(await redis.zrange(key, 0, -1))
                  : `(${type})`;
      out.set(key, value ?? '');
    }
  } while (cursor !== '0');
  return out;
}

/** Keys whose name or contents mention any of `ids`. */
function mentioning(dump: ReadonlyMap<string, string>, ids: readonly string[]): string[] {
  return [...dump].filter(([key, value]) => ids.some((id) => key.includes(id) || value.includes(id))).map(([k]) => k);
}

async function runAggregator(topic: string): Promise<Aggregator> {
  const config = stack.config({ CONSUMER_GROUP: GROUP, ENRICHED_TOPIC: topic });
  return await startAggregator({
    config,
    store: createFeatureStore(tcpTransport(config.redisUrl)),
    metrics: createMetrics(),
    log: createLog('test', 'info'),
  });
}

describe('erasure of a shopper', () => {
  it('leaves no key, field or value naming the shopper, through late events and a restart; others stay', async () => {
    const topic = await stack.createTopic('erasure-input');
    const erased = journeyOf(1);
    const kept = journeyOf(2);
    const later = journeyOf(3);
    const lines = (specs: readonly EventSpec[]) =>
      specs.map((spec) => ({ key: spec.domainUserId, value: enrichedTsv(spec) }));
    await stack.produce([...lines(erased.specs), ...lines(kept.specs)], topic);

    let aggregator = await runAggregator(topic);
    try {
      // Both shoppers' features, lane snapshots (checkpoints) and session records are in Redis.
      const before = await eventually(
        () => dumpRedis(),
        (dump) =>
          [erased, kept].every(
            (s) =>
              dump.has(`features:user:${s.userId}`) &&
              [...dump.keys()].some((key) => key.startsWith('tandem:{') && key.endsWith(`:state:${s.userId}`)) &&
              [...dump.keys()].some((key) => key.startsWith('tandem:user-sessions:')),
          ),
      );
      expect(mentioning(before, erased.ids).length).toBeGreaterThan(10);
      const session = erased.specs[0]?.sessionId as string;
      // What the reconciler and the store would have written about the shopper, and about another.
      const record = (s: typeof erased, sessionKey: string) =>
        JSON.stringify({ schema: 'tandem.drift/1', userKey: s.userId, sessionKey, agree: false });
      const otherSession = kept.specs[0]?.sessionId as string;
      await stack.redisClient
        .multi()
        .set(`tandem:drift:${GROUP}:shopper:${erased.userId}`, record(erased, session))
        .lpush(`tandem:drift:${GROUP}:history:${erased.userId}`, '{"differing":1}')
        .lpush(`tandem:drift:${GROUP}:latest`, record(kept, otherSession), record(erased, session))
        .zadd(`tandem:drift:${GROUP}:drifting`, 1, erased.userId, 2, kept.userId)
        .set(`tandem:offer:issued:${erased.domainUserId}:${session}:cart-saver`, 'code')
        .set(`tandem:drift:${GROUP}:shopper:${kept.userId}`, record(kept, otherSession))
        .exec();
      const keptBefore = await stack.redisClient.hgetall(`features:user:${kept.userId}`);

      const report = await eraseShopper(
        ioredisErasureClient(stack.redisClient),
        { userKeys: [erased.domainUserId, erased.userId], sessionKeys: [] },
        { settleMs: 2_500 },
      );
      expect(report.sessionsFound).toBe(2);
      expect(report.deleted.featureKeys).toBeGreaterThan(0);
      expect(report.deleted.laneSnapshots).toBeGreaterThan(0);
      expect(report.deleted.driftRecords).toBe(2);
      expect(report.deleted.driftEntries).toBe(2);
      expect(report.deleted.offerCodes).toBe(1);
      // The registry holds hashes, not the keys.
      const registry = await stack.redisClient.hgetall(ERASURE_REGISTRY_KEY);
      expect(registry[erasureField('user', erased.userId)]).toBe(String(report.erasedAtMs));
      expect(JSON.stringify(registry)).not.toContain(erased.userId);

      // Another shopper arrives, and a late event of the erased one, dated before the erasure.
      const late = {
        ...(erased.specs.find((spec) => spec.type === 'product_view' && spec.userId !== undefined) as EventSpec),
        eventId: '00000000-0000-4000-8000-00000000fa7e',
        timeMs: report.erasedAtMs - 60_000,
      };
      await stack.produce([...lines(later.specs), ...lines([late])], topic);
      await eventually(
        () => stack.redisClient.exists(`features:user:${later.userId}`),
        (n) => n === 1,
      );
      // Long enough for the late event's batch, a tile boundary tick and a checkpoint (every 0.5 s).
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(mentioning(await dumpRedis(), erased.ids)).toEqual([]);

      // A restart restores from the checkpoints and replays the lane topics past them: still nothing.
      await aggregator.stop();
      aggregator = await runAggregator(topic);
      await eventually(
        async () => aggregator.health().ready,
        (ready) => ready,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const after = await dumpRedis();
      expect(mentioning(after, erased.ids)).toEqual([]);

      // The others are intact: their features, snapshots, drift record and list entry.
      expect(await stack.redisClient.hget(`features:user:${kept.userId}`, '_events')).toBe(keptBefore._events);
      expect(after.has(`tandem:drift:${GROUP}:shopper:${kept.userId}`)).toBe(true);
      expect(after.get(`tandem:drift:${GROUP}:latest`)).toContain(kept.userId);
      expect(after.get(`tandem:drift:${GROUP}:drifting`)).toContain(kept.userId);
      for (const s of [kept, later]) {
        expect(
          [...after.keys()].some((key) => key.endsWith(`:state:${s.userId}`)),
          s.userId,
        ).toBe(true);
        expect(after.has(`features:user:${s.domainUserId}`), s.domainUserId).toBe(true);
      }
    } finally {
      await aggregator.stop();
    }
  }, 180_000);
});

describe('the aggregator reads the registry', () => {
  it('reports only entries that are new or erased again, and re-reads only when the version moved', async () => {
    expect(
      newErasures(
        new Map([
          ['u:a', 5],
          ['u:b', 5],
        ]),
        new Map([
          ['u:a', 5],
          ['u:b', 9],
          ['s:c', 7],
        ]),
      ),
    ).toEqual(
      new Map([
        ['u:b', 9],
        ['s:c', 7],
      ]),
    );
    let reads = 0;
    const store = new Map<string, string>([['tandem:erasures:version', '1']]);
    const field = erasureField('user', 'u1');
    const watch = createErasureWatch({
      mget: async (keys) => keys.map((key) => store.get(key) ?? null),
      hgetall: async () => {
        reads++;
        return { [field]: '1000' };
      },
    });
    expect(await watch.refresh()).toEqual(new Map([[field, 1000]]));
    expect(await watch.refresh()).toEqual(new Map());
    expect(reads).toBe(1);
    store.set('tandem:erasures:version', '2');
    expect(await watch.refresh()).toEqual(new Map());
    expect(reads).toBe(2);
    expect(watch.registry.get(field)).toBe(1000);
  });
});
