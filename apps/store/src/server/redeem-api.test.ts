/**
 * Redemption against a real redis-server through the real Upstash-compatible REST endpoint, with lane
 * snapshots as the aggregator writes them (feature-core's wire format at the published layout).
 */
import {
  createFeatureEngine,
  evaluateRule,
  evaluateUserLane,
  OFFER_RULES,
  type ShopperEvent,
  serializeSessionLane,
  serializeUserLane,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, uuid } from '@tandem/feature-core/testing';
import { laneSnapshotKey, layoutKey } from '@tandem/infra/lane-state';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from '../features/engine-config';
import { createLaneSnapshotReader, type LaneSnapshotReader } from './lane-snapshots';
import type { SigningKeys } from './offer-codes';
import { DEFAULT_REDEEM_LIMITS, type RedeemDeps, redeemResponse, spendOfferCode } from './redeem-api';

const KEY = 'redeem-test-signing-key-0123456789abcdefghij';
const KEYS: SigningKeys = { current: KEY, previous: [] };
const GROUP = 'tandem-features';
const LAYOUT = { group: GROUP, partitions: { user: 6, session: 6 }, definitionVersion: STORE_DEFINITION_VERSION };
const ALICE = 'aaaaaaaa-0000-4000-8000-0000000000a1';
const BOB = 'bbbbbbbb-0000-4000-8000-0000000000b1';
const SID = 'aaaaaaaa-5555-4000-8000-0000000000a2';
const T0 = Date.now() - 120_000;
const spId = (duid: string, sid = SID) => `${duid}.1764300000.2.1764300100.1764200000.${sid}..e1.1764300000000.4`;

const view = (n: number, price: number, duid = ALICE): EventSpec => ({
  eventId: uuid(700_000 + n),
  timeMs: T0 + n * 5_000,
  domainUserId: duid,
  sessionId: SID,
  type: 'product_view',
  products: [{ id: `sku-${n}`, category: 'Shoes', price, currency: 'EUR' }],
});
const cart = (n: number, type: 'add_to_cart' | 'remove_from_cart', total: number, duid = ALICE): EventSpec => ({
  eventId: uuid(700_000 + n),
  timeMs: T0 + n * 5_000,
  domainUserId: duid,
  sessionId: SID,
  type,
  products: [{ id: `sku-${n}`, category: 'Shoes', price: 40, currency: 'EUR' }],
  cart: { total_value: total, currency: 'EUR' },
});

/** Alice: four views (20 → 60), then she shopped on and added to cart; Bob viewed one product. */
const ALICE_EVENTS = [view(1, 20), view(2, 30), view(3, 45), view(4, 60), cart(5, 'add_to_cart', 120)];
const BOB_EVENTS = [view(11, 99, BOB)];
const [, , , fourthView, addToCart] = ALICE_EVENTS as [EventSpec, EventSpec, EventSpec, EventSpec, EventSpec];
const discount = OFFER_RULES.find((rule) => rule.id === 'price_sensitive_browser');

function laneOf(specs: readonly EventSpec[]) {
  const engine = createFeatureEngine(STORE_ENGINE_CONFIG);
  for (const spec of specs) {
    const decoded = fromEnrichedTsv(enrichedTsv(spec));
    if (!decoded.ok) throw new Error(decoded.detail);
    engine.apply(decoded.value as ShopperEvent);
  }
  const lane = engine.userLanes.get(specs[0]?.domainUserId ?? '');
  if (lane === undefined) throw new Error('no lane');
  return lane;
}

let redis: EnsuredRedis | undefined;
let rest: RestEndpoint | undefined;
let client: Redis;
let lanes: LaneSnapshotReader;

async function writeLane(specs: readonly EventSpec[]): Promise<void> {
  const lane = laneOf(specs);
  await client.set(laneSnapshotKey(LAYOUT, 'user', lane.userKey), serializeUserLane(lane, STORE_ENGINE_CONFIG));
}

const deps = (overrides: Partial<RedeemDeps> = {}): RedeemDeps => ({
  redis: client,
  lanes,
  signingKeys: KEYS,
  waitMs: 300,
  pollMs: 50,
  log: () => {},
  ...overrides,
});

interface From {
  readonly sid?: string;
  readonly address?: string;
  readonly userAgent?: string;
}

function redeem(duid: string, claim: unknown, d: RedeemDeps = deps(), from: From = {}): Promise<Response> {
  const request = new Request('http://127.0.0.1:3000/api/offers/redeem', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: `_sp_id.1fff=${spId(duid, from.sid)}`,
      'x-forwarded-for': from.address ?? '198.51.100.1',
      'user-agent': from.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36',
    },
    body: JSON.stringify(claim),
  });
  return redeemResponse(d, null, request);
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; fields?: Record<string, string> } }).error;

const honest = { ruleId: 'price_sensitive_browser', eventId: fourthView.eventId, firedAtMs: fourthView.timeMs };

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  rest = await createRestEndpoint({ redisUrl: redis.url, token: 'redeem-test', port: 0, log: () => {} });
  client = new Redis({ url: rest.url, token: 'redeem-test', automaticDeserialization: false });
  lanes = createLaneSnapshotReader(client, { group: GROUP, layoutTtlMs: 0 });
  await client.set(layoutKey(GROUP), JSON.stringify(LAYOUT));
  await writeLane(ALICE_EVENTS);
  await writeLane(BOB_EVENTS);
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await redis?.stop();
});

describe('POST /api/offers/redeem', () => {
  it('gives an honest shopper who kept shopping a code: the rule is checked right after the claimed event', async () => {
    // On the state at redemption time the discount no longer holds (she added to cart since).
    const now = evaluateUserLane(laneOf(ALICE_EVENTS), addToCart.timeMs).values;
    expect(evaluateRule(discount as never, now, addToCart.timeMs)).toBe(false);

    const response = await redeem(ALICE, honest);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { code: string; offer: string; ruleId: string };
    expect(body).toMatchObject({ offer: 'discount', ruleId: 'price_sensitive_browser' });
    expect(body.code).toMatch(/^TND-D/);
    // Asking again in the same session returns the same code: one code per shopper, session and rule.
    expect(((await (await redeem(ALICE, honest)).json()) as { code: string }).code).toBe(body.code);

    // Checkout accepts it once, for Alice's browser only, also after the signing key was rotated.
    const rotated = deps({ signingKeys: { current: 'rotated-key-abcdefghijklmnopqrstuvwxyz012345', previous: [KEY] } });
    expect(await spendOfferCode(rotated, body.code, BOB, 'order-b')).toMatchObject({ ok: false });
    expect(await spendOfferCode(rotated, body.code, ALICE, 'order-1')).toEqual({ ok: true, offer: 'discount' });
    expect(await spendOfferCode(rotated, body.code, ALICE, 'order-2')).toEqual({
      ok: false,
      message: 'This code has already been used.',
    });
  });

  it('waits for the claimed event to reach the server snapshot, then grants', async () => {
    const carol = 'cccccccc-0000-4000-8000-0000000000c1';
    const events = [view(21, 10, carol), view(22, 25, carol), view(23, 30, carol), view(24, 40, carol)];
    let writes = 0;
    const response = await redeem(
      carol,
      {
        ruleId: 'price_sensitive_browser',
        eventId: (events[3] as EventSpec).eventId,
        firedAtMs: (events[3] as EventSpec).timeMs,
      },
      deps({
        waitMs: 5_000,
        sleep: async () => {
          if (writes++ === 1) await writeLane(events);
        },
      }),
    );
    expect(response.status).toBe(200);
    expect(writes).toBeGreaterThanOrEqual(2);
  });

  it('gives a tampered client nothing', async () => {
    // Eve browses as Alice did (no code issued to her yet: an issued code is simply answered again).
    const eve = 'eeeeeeee-0000-4000-8000-0000000000e1';
    const eveEvents = [view(41, 20, eve), view(42, 30, eve), view(43, 45, eve), view(44, 60, eve)];
    await writeLane(eveEvents);
    const [, , third, fourth] = eveEvents as [EventSpec, EventSpec, EventSpec, EventSpec];
    const honest = { ruleId: 'price_sensitive_browser', eventId: fourth.eventId, firedAtMs: fourth.timeMs };
    const refusedWith = async (duid: string, claim: unknown, status: number, code: string) => {
      const response = await redeem(duid, claim);
      expect(response.status, JSON.stringify(claim)).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    };
    // A claim for an event after which the rule did not hold (three views only): edited IndexedDB
    // or a forged worker message showing an offer the server's state never allowed.
    await refusedWith(eve, { ...honest, eventId: third.eventId, firedAtMs: third.timeMs }, 403, 'refused');
    // An invented event id, and Eve's real event claimed from Bob's browser: never confirmed.
    await refusedWith(eve, { ...honest, eventId: uuid(799_999) }, 409, 'not_confirmed');
    await refusedWith(BOB, honest, 409, 'not_confirmed');
    // A firing time in the future (to age conditions), a rule that gives no code, junk.
    await refusedWith(eve, { ...honest, firedAtMs: Date.now() + 3_600_000 }, 403, 'refused');
    await refusedWith(eve, { ...honest, ruleId: 'stalled_high_value_cart' }, 400, 'invalid_claim');
    await refusedWith(eve, { ...honest, ruleId: 'free_everything' }, 400, 'invalid_claim');
    await refusedWith(eve, { ruleId: 'price_sensitive_browser' }, 400, 'invalid_claim');
    // The honest claim still works after all that.
    expect((await redeem(eve, honest)).status).toBe(200);
    // A forged code is not accepted at checkout.
    const forged = 'TND-Dzzzzzz-ABCDEFGHJK-AAAAAAAAAAAAAAAA';
    expect(await spendOfferCode(deps(), forged, ALICE, 'order-x')).toEqual({
      ok: false,
      message: 'This code is not valid for you.',
    });
  });

  it('free delivery for a hesitant cart: two removals while the cart is still worth 50 or more', async () => {
    const dan = 'dddddddd-0000-4000-8000-0000000000d1';
    const events = [
      cart(31, 'add_to_cart', 150, dan),
      cart(32, 'remove_from_cart', 110, dan),
      cart(33, 'remove_from_cart', 70, dan),
    ];
    await writeLane(events);
    const last = events[2] as EventSpec;
    const response = await redeem(dan, { ruleId: 'hesitant_cart', eventId: last.eventId, firedAtMs: last.timeMs });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ offer: 'free_shipping', label: 'Free delivery on this order' });
    const early = events[1] as EventSpec;
    expect(
      (await redeem(dan, { ruleId: 'hesitant_cart', eventId: early.eventId, firedAtMs: early.timeMs })).status,
    ).toBe(200);
    // One code per visit: with free delivery in hand, a discount claim in the same session is refused.
    const second = await redeem(dan, {
      ruleId: 'price_sensitive_browser',
      eventId: last.eventId,
      firedAtMs: last.timeMs,
    });
    expect(second.status).toBe(409);
    expect(await errorOf(second)).toMatchObject({ code: 'one_per_session', fields: { ruleId: 'hesitant_cart' } });
  });

  it('answers 503 without Redis or a signing key, and refuses a browser with no tracker cookie', async () => {
    expect((await redeem(ALICE, honest, deps({ signingKeys: undefined }))).status).toBe(503);
    expect((await redeem(ALICE, honest, deps({ redis: undefined }))).status).toBe(503);
    const noCookie = new Request('http://127.0.0.1:3000/api/offers/redeem', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(honest),
    });
    expect((await redeemResponse(deps(), null, noCookie)).status).toBe(403);
  });

  it('answers 503, not a refusal, when the server’s snapshot is of another definition', async () => {
    const frank = 'ffffffff-0000-4000-8000-0000000000f1';
    const events = [view(51, 20, frank), view(52, 30, frank), view(53, 45, frank), view(54, 60, frank)];
    // Written by an aggregator counting money in USD, while the shop counts in EUR.
    const lane = laneOf(events);
    await client.set(laneSnapshotKey(LAYOUT, 'user', frank), serializeUserLane(lane));
    const last = events[3] as EventSpec;
    const response = await redeem(frank, {
      ruleId: 'price_sensitive_browser',
      eventId: last.eventId,
      firedAtMs: last.timeMs,
    });
    expect(response.status).toBe(503);
  });

  it('refuses bots: a crawler user agent at once, a scripted pace by the server session lane', async () => {
    const gina = 'aaaaaaaa-6666-4000-8000-0000000000a6';
    const events = [view(61, 20, gina), view(62, 30, gina), view(63, 45, gina), view(64, 60, gina)];
    await writeLane(events);
    const last = events[3] as EventSpec;
    const claim = { ruleId: 'price_sensitive_browser', eventId: last.eventId, firedAtMs: last.timeMs };
    const crawler = await redeem(gina, claim, deps(), {
      userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    });
    expect(crawler.status).toBe(403);
    expect(await errorOf(crawler)).toMatchObject({ code: 'bot_suspected', fields: { reason: 'crawler_user_agent' } });

    // Hal's session: 60 product views in 6 seconds (a script), and the discount rule holds for him.
    const hal = 'aaaaaaaa-7777-4000-8000-0000000000a7';
    const halSession = 'aaaaaaaa-7777-4000-8000-0000000000a8';
    const burst: EventSpec[] = Array.from({ length: 60 }, (_, i) => ({
      eventId: uuid(710_000 + i),
      timeMs: T0 + i * 100,
      domainUserId: hal,
      sessionId: halSession,
      type: 'product_view',
      products: [{ id: `sku-${i}`, category: 'Shoes', price: 10 + i * 5, currency: 'EUR' }],
    }));
    const engine = createFeatureEngine(STORE_ENGINE_CONFIG);
    for (const spec of burst) engine.apply((fromEnrichedTsv(enrichedTsv(spec)) as { value: ShopperEvent }).value);
    const session = [...engine.sessionLanes.values()][0];
    if (session === undefined) throw new Error('no session lane');
    await writeLane(burst);
    await client.set(
      laneSnapshotKey(LAYOUT, 'session', session.sessionKey),
      serializeSessionLane(session, STORE_ENGINE_CONFIG),
    );
    const lastOfBurst = burst[59] as EventSpec;
    const paced = await redeem(
      hal,
      { ruleId: 'price_sensitive_browser', eventId: lastOfBurst.eventId, firedAtMs: lastOfBurst.timeMs },
      deps(),
      { sid: halSession },
    );
    expect(paced.status).toBe(403);
    expect(await errorOf(paced)).toMatchObject({ code: 'bot_suspected', fields: { reason: 'implausible_pace' } });
    // The same claim from a human browser (no crawler agent, no burst in its session) is granted.
    expect((await redeem(gina, claim)).status).toBe(200);
  });

  it('rate-limits claims per browser and per address, answering 429 with Retry-After', async () => {
    const ivy = 'aaaaaaaa-8888-4000-8000-0000000000a9';
    const limits = {
      ...DEFAULT_REDEEM_LIMITS,
      perBrowser: { limit: 3, windowMs: 60_000 },
      perAddress: { limit: 5, windowMs: 60_000 },
    };
    const junk = { ruleId: 'price_sensitive_browser' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await redeem(ivy, junk, deps({ limits }), { address: '203.0.113.9' })).status);
    // Three claims are answered on their merits (400: junk), the fourth is limited.
    expect(statuses).toEqual([400, 400, 400, 429]);
    const limited = await redeem(ivy, junk, deps({ limits }), { address: '203.0.113.9' });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await errorOf(limited)).toMatchObject({ code: 'rate_limited' });
    // Other browsers on that address still get answers until the address's own limit (5 claims) is used.
    const jo = 'aaaaaaaa-9999-4000-8000-0000000000b9';
    expect((await redeem(jo, junk, deps({ limits }), { address: '203.0.113.9' })).status).toBe(429);
    // A browser on another address is not affected.
    expect((await redeem(jo, junk, deps({ limits }), { address: '203.0.113.10' })).status).toBe(400);
    // Behind a trusted proxy the client's own hop counts, not the proxy's.
    const behindProxy = deps({ limits, trustedProxies: ['10.0.0.2'] });
    const kim = 'aaaaaaaa-aaaa-4000-8000-0000000000c9';
    expect((await redeem(kim, junk, behindProxy, { address: '203.0.113.11, 10.0.0.2' })).status).toBe(400);
  });

  it('answers 429 at once when too many claims already wait in this process', async () => {
    const response = await redeem(ALICE, honest, deps({ limits: { ...DEFAULT_REDEEM_LIMITS, maxPending: 0 } }));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('5');
  });
});
