import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresResponse, hashRecord, readShopperFeatures, requestCookies, shopperKeys } from './features-api';
import { createFeaturesRedis } from './redis-client';

const ALICE_DUID = 'aaaaaaaa-0000-4000-8000-000000000001';
const ALICE_SID = 'aaaaaaaa-5555-4000-8000-000000000002';
const BOB_DUID = 'bbbbbbbb-0000-4000-8000-000000000001';
const spId = (duid: string, sid: string) => `${duid}.1764300000.2.1764300100.1764200000.${sid}..e1.1764300000000.4`;
const cookie = (name: string, value: string) => ({ name, value });
const get = (query: string, cookies: string) =>
  new Request(`http://127.0.0.1:3000/api/features${query}`, { headers: { cookie: cookies } });

describe('shopperKeys and hashRecord (pure)', () => {
  it('takes the user key from the signed-in user, else the domain_userid; the session from _sp_id', () => {
    const cookies = [cookie('tandem_cart', 'x'), cookie('_sp_id.1fff', spId(ALICE_DUID, ALICE_SID))];
    expect(shopperKeys(null, cookies)).toEqual({ userKey: ALICE_DUID, sessionKey: ALICE_SID });
    expect(shopperKeys('u-ada', cookies)).toEqual({ userKey: 'u-ada', sessionKey: ALICE_SID });
    expect(shopperKeys(null, [])).toEqual({ userKey: null, sessionKey: null });
    expect(shopperKeys(null, [cookie('_sp_id.1fff', 'features:user:*.x')])).toEqual({
      userKey: null,
      sessionKey: null,
    });
  });

  it('parses the Cookie header', () => {
    expect(
      requestCookies(get('', `tandem_cart=abc; _sp_id.1fff=${spId(ALICE_DUID, ALICE_SID)}; _sp_ses.1fff=*`)),
    ).toEqual([
      cookie('tandem_cart', 'abc'),
      cookie('_sp_id.1fff', spId(ALICE_DUID, ALICE_SID)),
      cookie('_sp_ses.1fff', '*'),
    ]);
  });

  it('reads a flat HGETALL array and tolerates objects and null', () => {
    expect(hashRecord(['a', '1', '_v', 'abc'])).toEqual({ a: '1', _v: 'abc' });
    expect(hashRecord({ a: 1 })).toEqual({ a: '1' });
    expect(hashRecord(null)).toEqual({});
  });
});

describe('GET /api/features against Redis through the real REST endpoint', () => {
  let redis: EnsuredRedis | undefined;
  let rest: RestEndpoint | undefined;
  let client: Redis;

  beforeAll(async () => {
    redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
    rest = await createRestEndpoint({ redisUrl: redis.url, token: 'features-test', port: 0, log: () => {} });
    const created = createFeaturesRedis({
      UPSTASH_REDIS_REST_URL: rest.url,
      UPSTASH_REDIS_REST_TOKEN: 'features-test',
    });
    if (created === undefined) throw new Error('no client');
    client = created;
    const writer = new Redis({ url: rest.url, token: 'features-test', automaticDeserialization: false });
    await writer.hset(`features:user:${ALICE_DUID}`, { product_view_count_5m: '4', avg_price_24h: '12.50', _v: 'v1' });
    await writer.hset(`features:session:${ALICE_SID}`, { session_page_count: '7' });
    await writer.hset(`features:user:${BOB_DUID}`, { product_view_count_5m: '99' });
    await writer.hset('features:user:u-ada', { cart_value: '119.99' });
  }, 60_000);

  afterAll(async () => {
    await rest?.close();
    await redis?.stop();
  });

  it('answers the shopper their own hashes as strings, in one pipeline', async () => {
    const body = await readShopperFeatures(client, { userKey: ALICE_DUID, sessionKey: ALICE_SID }, () => 42);
    expect(body).toEqual({
      userKey: ALICE_DUID,
      sessionKey: ALICE_SID,
      user: { product_view_count_5m: '4', avg_price_24h: '12.50', _v: 'v1' },
      session: { session_page_count: '7' },
      readAt: 42,
    });
  });

  it('a query parameter naming another shopper changes nothing; a signed-in user reads their own key', async () => {
    const alice = `_sp_id.1fff=${spId(ALICE_DUID, ALICE_SID)}`;
    for (const query of ['', `?userKey=${BOB_DUID}`, `?user=${BOB_DUID}&key=features:user:${BOB_DUID}`]) {
      const response = await featuresResponse(client, null, get(query, alice));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('no-store');
      const body = (await response.json()) as { userKey: string; user: Record<string, string>; readAt?: number };
      expect(body.userKey).toBe(ALICE_DUID);
      expect(body.user.product_view_count_5m).toBe('4');
      // Bob's value is 99; the read time is left out (a clock reading can contain "99" too: it failed CI once).
      const { readAt: _readAt, ...shopper } = body;
      expect(JSON.stringify(shopper)).not.toContain('99');
    }
    const signedIn = (await (await featuresResponse(client, 'u-ada', get(`?userKey=${BOB_DUID}`, alice))).json()) as {
      userKey: string;
      user: Record<string, string>;
    };
    expect(signedIn).toMatchObject({ userKey: 'u-ada', user: { cart_value: '119.99' } });
  });

  it('answers 503 when Redis is not configured or unreachable', async () => {
    expect((await featuresResponse(undefined, null, get('', ''))).status).toBe(503);
    const down = createFeaturesRedis({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't' });
    const logs: string[] = [];
    const response = await featuresResponse(down, null, get('', `_sp_id.1=${spId(BOB_DUID, ALICE_SID)}`), (l) =>
      logs.push(l),
    );
    expect(response.status).toBe(503);
    expect(logs).toHaveLength(1);
  });
});
