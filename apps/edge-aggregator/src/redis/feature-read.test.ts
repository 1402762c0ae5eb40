/**
 * The read client (`@tandem/feature-core/read`) against a real redis-server, through both clients a
 * backend uses: ioredis over TCP, and `@upstash/redis` through the Upstash-compatible REST endpoint.
 * The hashes are written by the aggregator's own write path (planLaneWrite + the fenced-write Lua,
 * unfenced as the replay command runs it) from the golden journey shifted to the present, so the
 * round trip canonical string → typed value is checked against hand-worked values.
 */
import { randomBytes } from 'node:crypto';
import {
  createFeatureEngine,
  definitionVersion,
  evaluateSessionLane,
  evaluateUserLane,
  HASH_META_FIELDS,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { FeatureReadError, readSessionFeatures, readUserFeatures } from '@tandem/feature-core/read';
import { enrichedTsv } from '@tandem/feature-core/testing';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IoRedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenJourneyNow } from '../test-support/harness.js';
import { planLaneWrite, type RedisOp } from '../write-plan.js';
import { writeUnfenced } from './feature-store.js';
import { type RedisTransport, tcpTransport } from './transport.js';

// The golden journey's keys (packages/feature-core/src/golden-journey.fixture.ts).
const SIGNED_IN_USER = 'customer-20931';
const ANONYMOUS_USER = '6f1c2a4e-3b5d-4c8e-9a7f-1e2d3c4b5a69';
const SESSION_1 = '3d0c9a52-1f4e-4b7a-9c61-5e2f8d7a1b01';
const SESSION_2 = '3d0c9a52-1f4e-4b7a-9c61-5e2f8d7a1b02';
const TOKEN = randomBytes(24).toString('base64url');
const META = new Set<string>(Object.values(HASH_META_FIELDS));

let redis: EnsuredRedis;
let endpoint: RestEndpoint;
let transport: RedisTransport;
let ioredis: IoRedis;
/** As a backend must create it: values stay the strings Redis holds. */
let upstash: UpstashRedis;
let golden: ReturnType<typeof goldenJourneyNow>;
/** Events the engine applied per user lane, which the hash's `_events` must carry. */
const userLaneEvents = new Map<string, number>();

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  endpoint = await createRestEndpoint({ redisUrl: redis.url, token: TOKEN, port: await freePort(), log: () => {} });
  transport = tcpTransport(redis.url);
  ioredis = new IoRedis(redis.url);
  upstash = new UpstashRedis({
    url: endpoint.url,
    token: TOKEN,
    automaticDeserialization: false,
    enableTelemetry: false,
  });

  golden = goldenJourneyNow();
  const engine = createFeatureEngine();
  for (const spec of golden.specs) {
    const decoded = fromEnrichedTsv(enrichedTsv(spec));
    if (decoded.ok) engine.apply(decoded.value);
  }
  const ops: RedisOp[] = [];
  const version = definitionVersion();
  const write = (
    kind: 'user' | 'session',
    laneKey: string,
    values: ReturnType<typeof evaluateUserLane>,
    events: number,
  ) =>
    ops.push(
      ...planLaneWrite({
        kind,
        laneKey,
        values,
        eventsApplied: events,
        definitionVersion: version,
        nowMs: golden.atMs,
        previous: null,
      }).ops,
    );
  for (const [key, lane] of engine.userLanes) {
    userLaneEvents.set(key, lane.eventsApplied);
    write('user', key, evaluateUserLane(lane, golden.atMs), lane.eventsApplied);
  }
  for (const [key, lane] of engine.sessionLanes) {
    write('session', key, evaluateSessionLane(lane, golden.atMs), lane.eventsApplied);
  }
  await writeUnfenced(transport, ops);
}, 120_000);

afterAll(async () => {
  ioredis?.disconnect();
  await transport?.close();
  await endpoint?.close();
  await redis?.stop();
}, 60_000);

/** The hand-worked canonical strings of one key's features, as field → text. */
function expectedFields(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(golden.expected)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out;
}

function withoutMeta(raw: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([field]) => !META.has(field)));
}

describe('reading features from another backend', () => {
  it('ioredis: a signed-in shopper reads typed, absent fields as their empty values', async () => {
    const read = await readUserFeatures(ioredis, SIGNED_IN_USER);
    expect(withoutMeta(read.raw)).toEqual(expectedFields(`user:${SIGNED_IN_USER}:`));
    expect(read).toMatchObject({ hashKey: `features:user:${SIGNED_IN_USER}`, found: true, versionMismatch: false });
    expect(read.meta.version).toBe(definitionVersion());
    expect(read.meta.evaluatedAtMs).toBe(golden.atMs);
    expect(read.meta.eventsApplied).toBe(userLaneEvents.get(SIGNED_IN_USER));
    expect(read.meta.eventsApplied).toBeGreaterThan(0);
    const v = read.values;
    expect(v.product_view_count_1h).toBe(4);
    expect(v.avg_viewed_price_1h).toBe(52.47);
    expect(v.return_view_count_1h).toEqual({ 'sku-310': 2, 'sku-412': 2, 'sku-620': 1, 'sku-733': 1 });
    expect(v.price_range_viewed_1h).toEqual({ min: 12.99, max: 149.95 });
    expect(v.top_category_24h).toBe('Socks');
    expect(v.category_view_count_5m).toEqual({ Accessories: 1, 'Complete the look': 1, Socks: 1 });
    expect(v.cart_value_5m).toBe(32.98);
    expect(v.order_value_24h).toBe(129.95);
    expect(v.last_cart_activity_at).toBe(Number(golden.expected[`user:${SIGNED_IN_USER}:last_cart_activity_at`]));
    // Absent in Redis (empty values are never written): the catalogue's empty values.
    expect(v.cart_remove_count_1h).toBe(0);
    expect(v.orders_count_5m).toBe(0);
    expect(v.order_value_5m).toBe(0);
  });

  it('ioredis: sessions read typed, booleans, ratios and JSON arrays included', async () => {
    const first = await readSessionFeatures(ioredis, SESSION_1);
    expect(withoutMeta(first.raw)).toEqual(expectedFields(`session:${SESSION_1}:`));
    expect(first.values).toMatchObject({
      session_duration: 895_000,
      session_page_count: 15,
      session_bounce: false,
      session_marketing_campaign: 'spring',
      session_cart_ratio: 0.22,
      session_search_count: 2,
      shopper_device_types: ['Desktop'],
      shopper_latest_platform: 'web',
      shopper_locations: ['DE/BB', 'DE/BE'],
      shopper_region_changes: 1,
    });
    const second = await readSessionFeatures(ioredis, SESSION_2);
    expect(second.values).toMatchObject({
      session_cart_ratio: 0.5,
      session_search_count: 0,
      shopper_region_changes: 0,
    });
  });

  it('@upstash/redis through the REST endpoint reads exactly what ioredis reads', async () => {
    for (const userKey of [SIGNED_IN_USER, ANONYMOUS_USER]) {
      const [tcp, rest] = await Promise.all([readUserFeatures(ioredis, userKey), readUserFeatures(upstash, userKey)]);
      expect(rest, userKey).toEqual(tcp);
      expect(rest.found).toBe(true);
    }
    for (const sessionKey of [SESSION_1, SESSION_2]) {
      expect(await readSessionFeatures(upstash, sessionKey)).toEqual(await readSessionFeatures(ioredis, sessionKey));
    }
    const oneWindow = await readUserFeatures(upstash, ANONYMOUS_USER, { windows: ['1h'] });
    expect(oneWindow.values.avg_viewed_price_1h).toBe(61.49);
    expect(oneWindow.values).not.toHaveProperty('avg_viewed_price_24h');
  });

  it('a shopper Redis knows nothing about reads as empty values through both clients', async () => {
    for (const client of [ioredis, upstash]) {
      const read = await readUserFeatures(client, 'never-seen');
      expect(read.found).toBe(false);
      expect(read.values.product_view_count_24h).toBe(0);
      expect(read.values.top_category_24h).toBeNull();
      const session = await readSessionFeatures(client, 'never-seen');
      expect(session.values.session_bounce).toBe(true);
    }
  });

  it('@upstash/redis with its default JSON parsing is refused with the fix in the message', async () => {
    const parsing = new UpstashRedis({ url: endpoint.url, token: TOKEN, enableTelemetry: false });
    const error = await readUserFeatures(parsing, SIGNED_IN_USER).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FeatureReadError);
    expect(error).toMatchObject({ code: 'deserialized_reply', retryable: false });
    expect((error as Error).message).toContain('automaticDeserialization: false');
  });

  it('a hash from another definition version is flagged (or refused on request)', async () => {
    await ioredis.hset(`features:user:${SIGNED_IN_USER}`, '_v', '0-older');
    try {
      const read = await readUserFeatures(upstash, SIGNED_IN_USER);
      expect(read.versionMismatch).toBe(true);
      expect(read.values.product_view_count_1h).toBe(4);
      await expect(readUserFeatures(ioredis, SIGNED_IN_USER, { onVersionMismatch: 'throw' })).rejects.toMatchObject({
        code: 'version_mismatch',
      });
    } finally {
      await ioredis.hset(`features:user:${SIGNED_IN_USER}`, '_v', definitionVersion());
    }
  });
});
