/**
 * The drift dashboard's reader against a real redis-server through the real Upstash-compatible REST
 * endpoint, with records and counters built by feature-core's own reconciliation functions (the
 * browser's digest, the server's cut, the comparison) and written the way the reconciler's
 * drift-store.ts writes them.
 */
import {
  buildDriftRecord,
  clientDigest,
  compareDigest,
  createFeatureEngine,
  type DriftRecord,
  driftCounterIncrements,
  type FeatureDigest,
  type ShopperEvent,
  serverSideForDigest,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, uuid } from '@tandem/feature-core/testing';
import {
  DRIFT_RETENTION_MS,
  type DriftHistoryPoint,
  driftBucket,
  driftKeys,
  LATEST_MISMATCHES,
  SHOPPER_HISTORY,
} from '@tandem/infra/drift-keys';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from '../features/engine-config';
import { createDriftReader, driftMinute, hashReply } from './drift-reader';

const GROUP = 'tandem-features';
const KEYS = driftKeys(GROUP);
/** The middle of a minute, so "now" and the records' minutes are stable during the test. */
const NOW = (driftBucket(Date.now()) - 1) * 60_000 + 30_000;
const T0 = NOW - 10 * 60_000;
const ALICE = 'aaaaaaaa-0000-4000-8000-0000000000a1';
const BOB = 'bbbbbbbb-0000-4000-8000-0000000000b1';
const SID_A = 'aaaaaaaa-5555-4000-8000-0000000000a2';
const SID_B = 'bbbbbbbb-5555-4000-8000-0000000000b2';

const view = (n: number, duid: string, sid: string, price: number): EventSpec => ({
  eventId: uuid(800_000 + n),
  timeMs: T0 + n * 5_000,
  domainUserId: duid,
  sessionId: sid,
  type: 'product_view',
  products: [{ id: `sku-${n}`, category: 'Shoes', price, currency: 'EUR' }],
});

function engineOf(specs: readonly EventSpec[]) {
  const engine = createFeatureEngine(STORE_ENGINE_CONFIG);
  for (const spec of specs) {
    const decoded = fromEnrichedTsv(enrichedTsv(spec));
    if (!decoded.ok) throw new Error(decoded.detail);
    engine.apply(decoded.value as ShopperEvent);
  }
  return engine;
}

function lanesOf(specs: readonly EventSpec[], userKey: string) {
  const engine = engineOf(specs);
  const user = engine.userLanes.get(userKey);
  const [session] = engine.sessionLanes.values();
  const [sessionKey] = engine.sessionLanes.keys();
  return { user, session, sessionKey: sessionKey ?? '' };
}

/** The browser saw `browserEvents`, the server `serverEvents`: digest, cut, comparison, record, counters. */
function compared(
  userKey: string,
  browserEvents: readonly EventSpec[],
  serverEvents: readonly EventSpec[],
  comparedAtMs: number,
) {
  const browser = lanesOf(browserEvents, userKey);
  const atMs = (browserEvents.at(-1)?.timeMs ?? T0) + 1_000;
  const digest = clientDigest({
    definitionVersion: STORE_DEFINITION_VERSION,
    userKey,
    sessionKey: browser.sessionKey,
    user: browser.user,
    session: browser.session,
    atMs,
  }) as FeatureDigest;
  const server = lanesOf(serverEvents, userKey);
  const cut = serverSideForDigest(digest, {
    definitionVersion: STORE_DEFINITION_VERSION,
    user: server.user,
    session: server.session,
  });
  const comparison = compareDigest(digest, cut.side, { clockOffsetMs: 120 });
  const record = buildDriftRecord({
    digest,
    digestEventId: uuid(900_000 + (comparedAtMs % 1000)),
    cut,
    comparison,
    comparedAtMs,
  });
  return { record, increments: driftCounterIncrements(comparison, cut.excluded) };
}

let redis: EnsuredRedis | undefined;
let rest: RestEndpoint | undefined;
let client: Redis;

/** What drift-store.ts's record script does, command by command. */
async function write(record: DriftRecord, increments: readonly (readonly [string, number])[]): Promise<void> {
  const minute = KEYS.minute(driftBucket(record.comparedAtMs));
  for (const [name, by] of increments) {
    if (Number.isInteger(by)) await client.hincrby(minute, name, by);
    else await client.hincrbyfloat(minute, name, by);
  }
  await client.pexpire(minute, DRIFT_RETENTION_MS);
  await client.set(KEYS.shopper(record.userKey), JSON.stringify(record), { px: DRIFT_RETENTION_MS });
  const point: DriftHistoryPoint = {
    comparedAtMs: record.comparedAtMs,
    digestAtMs: record.digestAtMs,
    differing: record.differing,
    cause: record.cause,
    browserEvents: record.events.browser,
    serverEvents: record.events.server,
  };
  await client.lpush(KEYS.history(record.userKey), JSON.stringify(point));
  await client.ltrim(KEYS.history(record.userKey), 0, SHOPPER_HISTORY - 1);
  if (!record.agree) {
    const differing = { ...record, fields: record.fields.filter((f) => f.outcome !== 'match') };
    await client.lpush(KEYS.latest, JSON.stringify(differing));
    await client.ltrim(KEYS.latest, 0, LATEST_MISMATCHES - 1);
    await client.zadd(KEYS.drifting, { score: record.comparedAtMs, member: record.userKey });
  }
  await client.hset(KEYS.meta, { lastComparedAtMs: String(record.comparedAtMs) });
}

const aliceEvents = [view(1, ALICE, SID_A, 20), view(2, ALICE, SID_A, 30), view(3, ALICE, SID_A, 45)];
const bobEvents = [view(11, BOB, SID_B, 99)];

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  rest = await createRestEndpoint({ redisUrl: redis.url, token: 'drift-test', port: 0, log: () => {} });
  client = new Redis({ url: rest.url, token: 'drift-test', automaticDeserialization: false });
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await redis?.stop();
});

describe('createDriftReader', () => {
  it('reads an empty store as no digests and a reconciler that never ran', async () => {
    const reader = createDriftReader(client, { group: 'nobody', now: () => NOW });
    const snapshot = await reader.read();
    expect(snapshot.minutes).toHaveLength(60);
    expect(snapshot.minutes.every((m) => m.digests === 0 && m.driftRate === null)).toBe(true);
    expect(snapshot.totals).toMatchObject({ digests: 0, agree: 0, agreementRate: null });
    expect(snapshot.fields).toEqual([]);
    expect(snapshot.shoppers).toEqual([]);
    expect(snapshot.latestMismatches).toEqual([]);
    expect(snapshot.meta).toEqual({ lastComparedAtMs: null, lastSeenAtMs: null, pending: null, status: 'never' });
  });

  it('rolls up minutes, fields, causes, mismatches and the drifting shoppers with their history', async () => {
    // Alice: a dropped beacon (the server lacks her second view), 3 minutes ago; then, after the
    // browser rebased, a digest that agrees a minute later. Bob agrees twice.
    const dropped = compared(ALICE, aliceEvents, [aliceEvents[0], aliceEvents[2]] as EventSpec[], NOW - 3 * 60_000);
    const rebased = compared(ALICE, aliceEvents, aliceEvents, NOW - 2 * 60_000);
    const bob1 = compared(BOB, bobEvents, bobEvents, NOW - 3 * 60_000 + 1);
    const bob2 = compared(BOB, bobEvents, bobEvents, NOW - 20_000);
    expect(dropped.record).toMatchObject({ agree: false, cause: 'browser_only_events' });
    expect(rebased.record.agree).toBe(true);
    for (const c of [dropped, bob1, rebased, bob2]) await write(c.record, c.increments);
    await client.hset(KEYS.meta, { lastSeenAtMs: String(NOW - 2_000), pending: '3' });

    const snapshot = await createDriftReader(client, { group: GROUP, now: () => NOW }).read({ minutes: 10 });
    expect(snapshot.minutes).toHaveLength(10);
    expect(snapshot.range.toMs - snapshot.range.fromMs).toBe(10 * 60_000);
    const byStart = new Map(snapshot.minutes.map((m) => [m.startMs, m]));
    const threeAgo = byStart.get(driftBucket(NOW - 3 * 60_000) * 60_000);
    expect(threeAgo).toMatchObject({ digests: 2, agree: 1, drifted: 1, agreementRate: 0.5, driftRate: 0.5 });
    expect(threeAgo?.causes.browser_only_events).toBe(1);
    expect(Object.keys(threeAgo?.differingByField ?? {}).length).toBe(dropped.record.differing);
    // Two digests compared each field that minute, one of them Alice's dropped beacon: half drifted.
    expect(Object.keys(threeAgo?.driftRateByField ?? {}).sort()).toEqual(
      Object.keys(threeAgo?.differingByField ?? {}).sort(),
    );
    for (const rate of Object.values(threeAgo?.driftRateByField ?? {})) expect(rate).toBeCloseTo(0.5);
    expect(byStart.get(driftBucket(NOW - 2 * 60_000) * 60_000)).toMatchObject({ digests: 1, agree: 1, driftRate: 0 });
    expect(snapshot.minutes.at(-1)).toMatchObject({ digests: 1, agree: 1 });

    expect(snapshot.totals).toMatchObject({ digests: 4, agree: 3, skipped: 0, agreementRate: 0.75 });
    expect(snapshot.totals.causes.browser_only_events).toBe(1);
    // Per field: 4 comparisons each; the fields the dropped view changed have a ratio of 1/4.
    const viewCount = snapshot.fields.find((f) => f.field === 'product_view_count_5m');
    expect(viewCount).toMatchObject({ compared: 4, feature: 'product_view_count', window: '5m' });
    const drifting = snapshot.fields.filter((f) => f.mismatch + f.missing + f.extra > 0);
    expect(drifting.length).toBe(dropped.record.differing);
    for (const f of drifting) expect(f.mismatchRatio + f.missingRatio + f.extraRatio).toBeCloseTo(0.25);

    expect(snapshot.latestMismatches).toHaveLength(1);
    expect(snapshot.latestMismatches[0]).toMatchObject({ userKey: ALICE, cause: 'browser_only_events' });
    expect(snapshot.latestMismatches[0]?.fields.every((f) => f.outcome !== 'match')).toBe(true);

    // Only Alice drifted; her latest record is the agreeing one (every field side by side), and her
    // history shows the gap closing.
    expect(snapshot.shoppers.map((s) => s.userKey)).toEqual([ALICE]);
    const alice = snapshot.shoppers[0];
    expect(alice?.lastDriftAtMs).toBe(NOW - 3 * 60_000);
    expect(alice?.latest).toMatchObject({ agree: true, differing: 0, events: { browser: 3, server: 3 } });
    expect(alice?.latest?.fields.length).toBe(alice?.latest?.compared);
    expect(alice?.history.map((p) => p.differing)).toEqual([dropped.record.differing, 0]);
    expect(alice?.history.map((p) => [p.browserEvents, p.serverEvents])).toEqual([
      [3, 2],
      [3, 3],
    ]);

    expect(snapshot.meta).toEqual({
      lastComparedAtMs: NOW - 20_000,
      lastSeenAtMs: NOW - 2_000,
      pending: 3,
      status: 'running',
    });
    const later = await createDriftReader(client, { group: GROUP, now: () => NOW + 5 * 60_000 }).read({ minutes: 1 });
    expect(later.meta.status).toBe('silent');
    expect(later.totals.digests).toBe(0);
  });
});

describe('hashReply and driftMinute', () => {
  it('pairs up a flat reply, keeps an object, reads null as empty', () => {
    expect(hashReply(['digests', '2', 'agree', '1'])).toEqual({ digests: '2', agree: '1' });
    expect(hashReply({ digests: 2 })).toEqual({ digests: '2' });
    expect(hashReply(null)).toEqual({});
  });

  it('counts a skipped digest (definition skew) as drifted', () => {
    const minute = driftMinute(0, { digests: '2', agree: '1', skipped: '1', 'cause:definition_skew': '1' });
    expect(minute).toMatchObject({ digests: 2, agree: 1, drifted: 1, driftRate: 0.5 });
    expect(minute.causes.definition_skew).toBe(1);
  });
});
