/**
 * A lane partition against a real redis-server (started on a free port, never the machine's 6379),
 * through failures of the way to Redis: whatever fails, Redis ends equal to a clean run.
 */
import { definitionVersion, type ShopperEvent } from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, uuid } from '@tandem/feature-core/testing';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLanePartition, type LanePartition, type LaneRecord } from './lane-partition.js';
import { createFeatureStore } from './redis/feature-store.js';
import { type RedisTransport, tcpTransport } from './redis/transport.js';

const engine = loadConfig({}).engine;
const VERSION = definitionVersion(engine);

let redis: EnsuredRedis;
let client: Redis;
let inner: RedisTransport;
/** When set, every script call fails as a fetch to a REST endpoint that went away does. */
let down = false;
const transport: RedisTransport = {
  name: 'rest',
  evalScript: (script, keys, args) =>
    down ? Promise.reject(new TypeError('fetch failed')) : inner.evalScript(script, keys, args),
  hgetall: (key) => (down ? Promise.reject(new TypeError('fetch failed')) : inner.hgetall(key)),
  mget: (keys) => (down ? Promise.reject(new TypeError('fetch failed')) : inner.mget(keys)),
  close: async () => {},
};
const store = createFeatureStore(transport);

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  expect(redis.startedByUs).toBe(true);
  client = new Redis(redis.url);
  inner = tcpTransport(redis.url);
}, 60_000);
afterAll(async () => {
  await inner?.close();
  await client?.quit();
  await redis?.stop();
});
beforeEach(async () => {
  down = false;
  await client.flushall();
});

/** Every feature key (strings and hashes), the partition's own records aside. */
async function featureContents(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await client.keys('*')).sort()) {
    if (key.startsWith('tandem:')) continue;
    if ((await client.type(key)) === 'hash') {
      for (const [field, value] of Object.entries(await client.hgetall(key))) out[`${key} ${field}`] = value;
    } else out[key] = (await client.get(key)) as string;
  }
  return out;
}

function sessionPartition(atMs: number): LanePartition {
  return createLanePartition({
    group: 'lane-test',
    kind: 'session',
    partition: 0,
    store,
    config: engine,
    definitionVersion: VERSION,
    // Checkpoints only when the test asks for one (as the aggregator's tick does).
    checkpointIntervalMs: 3_600_000,
    now: () => atMs,
  });
}

/** Two sessions of an hour ago (closed: their last events are more than 30 minutes old), two events each. */
function records(atMs: number): LaneRecord[] {
  const spec = (n: number, session: string, timeMs: number): EventSpec => ({
    eventId: uuid(n),
    timeMs,
    domainUserId: `duid-${session}`,
    sessionId: uuid(1_000 + n),
    type: 'product_view',
    products: [{ id: `sku-${n}`, category: 'shoes', name: `Product ${n}`, price: 10 + n, currency: 'EUR' }],
  });
  const specs = [
    { ...spec(1, 'a', atMs - 3_600_000), sessionId: uuid(1_001) },
    { ...spec(2, 'a', atMs - 3_590_000), sessionId: uuid(1_001) },
    { ...spec(3, 'b', atMs - 3_580_000), sessionId: uuid(1_003) },
    { ...spec(4, 'b', atMs - 3_570_000), sessionId: uuid(1_003) },
  ];
  return specs.map((s, offset) => {
    const decoded = fromEnrichedTsv(enrichedTsv(s));
    if (!decoded.ok) throw new Error(`bad test event: ${JSON.stringify(decoded)}`);
    return { offset, event: decoded.value as ShopperEvent };
  });
}

describe('a session partition whose write fails mid-stream', () => {
  it('never checkpoints lanes whose values did not reach Redis, so a restore and replay end with the clean run', async () => {
    const atMs = Date.now();
    const all = records(atMs);
    expect(new Set(all.map((r) => r.event.sessionKey)).size).toBe(2);
    const first = all.slice(0, 2);
    const second = all.slice(2);

    // The clean run.
    const clean = sessionPartition(atMs);
    await clean.restore(0);
    clean.expectFrom(0);
    expect((await clean.applyBatch(all, 4)).outcome).toBe('OK');
    const expected = await featureContents();
    expect(Object.keys(expected).some((key) => key.includes(all[2]?.event.sessionKey as string))).toBe(true);
    await client.flushall();

    // Session a is written and checkpointed (closed: it leaves memory), then the endpoint goes away
    // while session b's batch is written.
    const owner = sessionPartition(atMs);
    await owner.restore(0);
    owner.expectFrom(0);
    expect((await owner.applyBatch(first, 2)).outcome).toBe('OK');
    expect(await owner.checkpoint()).toEqual({ outcome: 'OK', offset: 2 });
    down = true;
    await expect(owner.applyBatch(second, 4)).rejects.toThrow('fetch failed');
    // The endpoint is back before a new owner took the partition. A checkpoint the aggregator's tick
    // had queued behind the failed batch (or any other write from this state) must not land: it would
    // snapshot session b, whose values never reached Redis.
    down = false;
    const staleCheckpoint = await owner.checkpoint().then(
      (result) => `written: ${JSON.stringify(result)}`,
      (error: unknown) => String(error),
    );

    // The aggregator drops the partition, restores it from its checkpoint and replays from there.
    const next = sessionPartition(atMs);
    const restored = await next.restore(4);
    expect(restored).toMatchObject({ reason: 'checkpoint', resumeOffset: 2, outcome: 'OK' });
    const replay = all.filter((r) => r.offset >= (restored.resumeOffset as number));
    expect((await next.applyBatch(replay, 4)).outcome).toBe('OK');
    expect(await featureContents()).toEqual(expected);
    expect(staleCheckpoint).toContain('restore the partition first');
    await expect(owner.probe()).rejects.toThrow('restore the partition first');
    await expect(owner.flushDue()).rejects.toThrow('restore the partition first');
  });

  it('is writable again after a restore', async () => {
    const atMs = Date.now();
    const all = records(atMs);
    const lane = sessionPartition(atMs);
    await lane.restore(0);
    lane.expectFrom(0);
    down = true;
    await expect(lane.applyBatch(all, 4)).rejects.toThrow('fetch failed');
    down = false;
    const restored = await lane.restore(4);
    expect(restored.reason).toBe('no_checkpoint');
    lane.expectFrom(0);
    expect((await lane.applyBatch(all, 4)).outcome).toBe('OK');
    expect(await lane.checkpoint()).toEqual({ outcome: 'OK', offset: 4 });
  });
});
