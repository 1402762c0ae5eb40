/**
 * Garbage at the store's API (issue 8 drills): fuzzed requests (random and near-miss JSON, random
 * bytes, wrong content types, huge bodies, forged cookies and tokens) at the route handlers, called
 * as Next calls them (a Request in, a Response out) with a real redis-server behind the real REST
 * endpoint. No handler throws; every POST answers a 4xx JSON error `{ error: { code, message } }`;
 * GETs never answer 5xx while Redis is up. Where the store counts input, the count is asserted: every
 * claim, garbage too, counts against the redemption rate limit, and garbage never counts as an offer
 * event or erases anything.
 *
 * `next/headers` is replaced by a cookie jar filled from the request's Cookie header, so the cart,
 * order and sign-in routes run outside Next. `npm run drill` (DRILL_SCALE=full) runs 10x the cases.
 */
import { OFFER_RULES } from '@tandem/feature-core';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis } from '@upstash/redis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST as cartPost } from '../../app/api/cart/route';
import { POST as consentPost } from '../../app/api/consent/route';
import { POST as ordersPost } from '../../app/api/orders/route';
import { POST as sessionPost } from '../../app/api/session/route';
import { PRODUCTS, type Product } from '../catalog/products';
import { catalogResponse } from './catalog-api';
import { driftApiResponse, opsSessionResponse } from './drift-api';
import type { OpsAuthConfig } from './drift-auth';
import { erasureResponse } from './erasure-api';
import { featuresResponse } from './features-api';
import { createLaneSnapshotReader, type LaneSnapshotReader, laneStateResponse } from './lane-snapshots';
import { createOfferStats } from './offer-stats';
import { type OfferStatsDeps, offerEventsResponse, redeemWithHoldout } from './offer-stats-api';
import { rateKey } from './rate-limit';
import { type RedeemDeps, redeemResponse } from './redeem-api';
import { shopState } from './state';

/** The request's cookies, as `next/headers` would give them to the route (set by `withJar`). */
const jar = vi.hoisted(() => ({ cookies: new Map<string, string>(), headers: new Headers() }));
vi.mock('next/headers', () => ({
  cookies: async () => ({
    get: (name: string) => (jar.cookies.has(name) ? { name, value: jar.cookies.get(name) } : undefined),
    getAll: () => [...jar.cookies].map(([name, value]) => ({ name, value })),
    has: (name: string) => jar.cookies.has(name),
    set: (name: string, value: string) => void jar.cookies.set(name, value),
    delete: (name: string) => void jar.cookies.delete(name),
  }),
  headers: async () => jar.headers,
}));

const RUNS = process.env.DRILL_SCALE === 'full' ? 3_000 : 300;
const OPS_TOKEN = 'fuzz-ops-token-0123456789abcdef';
const AUTH: OpsAuthConfig = { token: OPS_TOKEN, production: true };
const SENTINEL = 'user:fuzz-sentinel:views_5m';

let redis: EnsuredRedis;
let rest: RestEndpoint;
let client: Redis;
let lanes: LaneSnapshotReader;
let stats: OfferStatsDeps;
const logged: string[] = [];
const log = (line: string) => void logged.push(line);

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  rest = await createRestEndpoint({ redisUrl: redis.url, token: 'fuzz', port: 0, log: () => {} });
  client = new Redis({ url: rest.url, token: 'fuzz', automaticDeserialization: false, enableTelemetry: false });
  lanes = createLaneSnapshotReader(client, { group: 'tandem-features', layoutTtlMs: 0 });
  const holdout = { share: 0.1, salt: 'fuzz' };
  stats = { holdout, stats: createOfferStats(client, holdout), log };
  shopState().carts.set(FULL_CART, { id: FULL_CART, items: [{ productId: (PRODUCTS[0] as Product).id, quantity: 1 }] });
}, 60_000);
afterAll(async () => {
  await rest?.close();
  await redis?.stop();
});

const redeemDeps = (perAddress = 1_000_000): RedeemDeps => ({
  redis: client,
  lanes,
  signingKeys: { current: 'fuzz-signing-key-0123456789abcdefghijklmnop', previous: [] },
  limits: {
    perBrowser: { limit: 1_000_000, windowMs: 60_000 },
    perAddress: { limit: perAddress, windowMs: 60_000 },
    maxPending: 200,
  },
  // A claim that parses waits for its event in the snapshot: not here.
  waitMs: 0,
  log,
});

/** A header value a client can send (printable ASCII). */
const headerText = fc.string({ maxLength: 80 }).filter((text) => /^[\x20-\x7e]*$/.test(text));

/** A forged `_sp_id` cookie value: random, or the tracker's dotted shape with random parts. */
const spId = fc.oneof(
  headerText,
  fc
    .tuple(fc.uuid(), fc.uuid(), fc.integer({ min: 0, max: 9 }))
    .map(([duid, sid, n]) => `${duid}.1764300000.${n}.1764300100.1764200000.${sid}..e1.1764300000000.4`),
);
/** The id of a cart holding a product (made in beforeAll), so the order route gets to check its body. */
const FULL_CART = 'fuzz-full-cart-0000';
const cookieHeader = fc.oneof(
  fc.constant(''),
  headerText,
  fc.tuple(spId, headerText).map(([id, other]) => `_sp_id.1fff=${id}; tandem_cart=${other}; tandem_session=${other}`),
  spId.map((id) => `_sp_id.1fff=${id}; tandem_cart=${FULL_CART}`),
);

/** Bodies no route accepts: not JSON, JSON of the wrong shape, near misses, huge ones. */
const garbageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null') },
  {
    weight: 3,
    arbitrary: fc
      .record({
        type: fc.oneof(fc.constantFrom('add', 'set', 'remove'), fc.jsonValue()),
        productId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        quantity: fc.oneof(fc.integer({ min: -5, max: 0 }), fc.double(), fc.string()),
        choice: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        ruleId: fc.oneof(fc.string(), fc.constantFrom(...OFFER_RULES.map((rule) => `${rule.id}x`))),
        kind: fc.oneof(fc.string(), fc.constantFrom('qualified', 'shown', 'dismissed', 'bot')),
        eventId: fc.string(),
        userKeys: fc.oneof(fc.string(), fc.array(fc.integer())),
        userId: fc.string(),
        password: fc.string(),
      })
      .map((body) => JSON.stringify(body)),
  },
  { weight: 1, arbitrary: fc.constantFrom('{', '[', '{"choice":', 'null', '""', `[${'['.repeat(10_000)}`) },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ pad: 'x'.repeat(2_000_000) })) },
);

// Mostly JSON, so most requests get past the content-type check to each route's own checks.
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '') },
);

interface Garbage {
  body: string | Uint8Array;
  contentType: string;
  cookie: string;
  token: string;
  userAgent: string;
}
const garbage: fc.Arbitrary<Garbage> = fc.record({
  body: garbageBody,
  contentType,
  cookie: cookieHeader,
  token: fc.oneof(fc.constant(OPS_TOKEN), headerText),
  userAgent: fc.oneof(headerText, fc.constant('Googlebot/2.1 (+http://www.google.com/bot.html)')),
});

function request(path: string, g: Garbage, method = 'POST'): Request {
  const headers = new Headers({ 'user-agent': g.userAgent, authorization: `Bearer ${g.token}` });
  if (g.contentType !== '') headers.set('content-type', g.contentType);
  if (g.cookie !== '') headers.set('cookie', g.cookie);
  // What next/headers would hand the route for this request.
  jar.cookies = new Map(
    g.cookie.split(';').flatMap((part) => {
      const eq = part.indexOf('=');
      return eq > 0 ? [[part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as [string, string]] : [];
    }),
  );
  jar.headers = headers;
  return new Request(`http://shop.test${path}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: typeof g.body === 'string' ? g.body : new Uint8Array(g.body) } : {}),
  });
}

/** The POST routes, each as Next would call it. */
const POSTS: Record<string, (req: Request) => Promise<Response>> = {
  '/api/cart': (req) => cartPost(req),
  '/api/orders': (req) => ordersPost(req),
  '/api/session': (req) => sessionPost(req),
  '/api/consent': (req) => consentPost(req),
  '/api/offers/redeem': (req) => redeemWithHoldout(stats, req, (r) => redeemResponse(redeemDeps(), null, r)),
  '/api/offers/events': (req) => offerEventsResponse(stats, req),
  '/api/ops/erasure': (req) => erasureResponse({ redis: client, auth: AUTH, settleMs: 0, log }, req),
};

/** A 4xx with `{ error: { code, message } }`, or why the answer is not one. */
async function problemWith(response: Response): Promise<string | null> {
  const text = await response.text();
  if (response.status < 400 || response.status >= 500) return `status ${response.status}: ${text.slice(0, 200)}`;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof body.error?.code !== 'string' || body.error.code === '') return `no error code: ${text.slice(0, 200)}`;
  if (typeof body.error.message !== 'string') return `no error message: ${text.slice(0, 200)}`;
  return null;
}

describe('garbage at the store API', () => {
  it.each(Object.keys(POSTS))(
    `POST %s answers every fuzzed request with a 4xx JSON error (${RUNS} cases)`,
    async (path) => {
      const handler = POSTS[path] as (req: Request) => Promise<Response>;
      await client.set(SENTINEL, '3');
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(garbage, async (g) => {
          const response = await handler(request(path, g));
          const copy = response.clone();
          expect(await problemWith(response)).toBeNull();
          const { error } = (await copy.json()) as { error: { code: string } };
          codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
        }),
        { numRuns: RUNS, seed: 8 },
      );
      // Every fuzzed request was looked at, and some got past the content type to the route's own checks.
      expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
      expect([...codes.keys()].some((code) => code !== 'unsupported_media_type')).toBe(true);
      // Nothing a forged request sent was erased or counted.
      expect(await client.get(SENTINEL)).toBe('3');
      expect(await client.keys('tandem:offer*')).toEqual([]);
      expect(logged.filter((line) => !line.startsWith('refused '))).toEqual([]);
    },
    240_000,
  );

  it(`GET routes never answer 5xx to forged cookies, tokens and queries (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(garbage, headerText, async (g, query) => {
        const search = `?token=${encodeURIComponent(query)}&minutes=${encodeURIComponent(query)}`;
        const answers = [
          await featuresResponse(client, null, request('/api/features', g, 'GET'), log),
          await laneStateResponse(lanes, null, request('/api/features/state', g, 'GET'), log),
          await catalogResponse(
            new Request('http://shop.test/api/catalog', { headers: { 'if-none-match': g.userAgent } }),
          ),
          await opsSessionResponse(request(`/api/ops/session${search}`, g, 'GET'), AUTH),
        ];
        for (const response of answers) {
          expect(response.status, await response.clone().text()).toBeLessThan(500);
          await response.arrayBuffer();
        }
        const drift = await driftApiResponse(
          { auth: AUTH, drift: undefined, health: { read: async () => ({ available: false }) } as never, log },
          request(`/api/ops/drift${search}`, { ...g, token: g.token === OPS_TOKEN ? 'forged' : g.token }, 'GET'),
        );
        expect(await problemWith(drift)).toBeNull();
      }),
      { numRuns: RUNS, seed: 9 },
    );
    expect(logged).toEqual([]);
  }, 240_000);

  it('counts every claim against the per-address redemption limit, garbage too', async () => {
    const limit = 20;
    const address = '203.0.113.77';
    const sent = 50;
    const statuses: number[] = [];
    const samples = fc.sample(garbage, { numRuns: sent, seed: 10 });
    for (const g of samples) {
      const req = request('/api/offers/redeem', g);
      const fromAddress = new Request(req, { headers: new Headers([...req.headers, ['x-forwarded-for', address]]) });
      const response = await redeemResponse(redeemDeps(limit), null, fromAddress);
      statuses.push(response.status);
      expect(await problemWith(response)).toBeNull();
    }
    expect(statuses.slice(limit).every((status) => status === 429)).toBe(true);
    expect(statuses.slice(0, limit).includes(429)).toBe(false);
    // The counter counted each of them, the refused ones too.
    expect(Number(await client.get<string>(rateKey('redeem-address', address)))).toBe(sent);
  });
});
