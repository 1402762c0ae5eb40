/**
 * `POST /api/ops/erasure` against a real redis-server through the real REST endpoint: the token is
 * required, a bad body is refused, and an erasure deletes the shopper's keys and registers them, so
 * `GET /api/features/state` then tells that browser it was erased.
 */
import { ERASURE_REGISTRY_KEY } from '@tandem/infra/erasure';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import type { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsAuthConfig } from './drift-auth';
import { type ErasureBody, erasureResponse } from './erasure-api';
import { createLaneSnapshotReader, type LaneStateBody, laneStateResponse } from './lane-snapshots';
import { createFeaturesRedis } from './redis-client';

const TOKEN = 'ops-erasure-test';
const AUTH: OpsAuthConfig = { token: TOKEN, production: true };
const DUID = 'a0a0a0a0-0000-4000-8000-000000000001';
const SID = 'b0b0b0b0-0000-4000-8000-000000000001';
const OTHER = 'c0c0c0c0-0000-4000-8000-000000000001';

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request('http://store.test/api/ops/erasure', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('POST /api/ops/erasure', () => {
  let server: EnsuredRedis | undefined;
  let rest: RestEndpoint | undefined;
  let client: Redis;

  beforeAll(async () => {
    server = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
    rest = await createRestEndpoint({ redisUrl: server.url, token: 'erasure-test', port: 0, log: () => {} });
    const created = createFeaturesRedis({ UPSTASH_REDIS_REST_URL: rest.url, UPSTASH_REDIS_REST_TOKEN: 'erasure-test' });
    if (created === undefined) throw new Error('no client');
    client = created;
    await client.hset(`features:user:${DUID}`, { product_view_count_5m: '4' });
    await client.set(`user:${DUID}:product_view_count_5m`, '4');
    await client.hset(`features:session:${SID}`, { session_page_count: '7' });
    await client.set(`session:${SID}:session_page_count`, '7');
    await client.hset(`features:user:${OTHER}`, { product_view_count_5m: '9' });
  }, 60_000);

  afterAll(async () => {
    await rest?.close();
    await server?.stop();
  });

  const deps = () => ({
    redis: client,
    auth: AUTH,
    settleMs: 0,
    log: () => {},
    forgetLocal: () => ({ orders: 0, sessions: 0 }),
  });

  it('answers 401 without the token, or with the wrong one, and erases nothing', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { cookie: 'tandem_ops=whatever' },
    ];
    for (const headers of attempts) {
      const response = await erasureResponse(deps(), post({ userKeys: [DUID] }, headers));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ops_token_required');
    }
    expect(await client.exists(`features:user:${DUID}`)).toBe(1);
  });

  it('refuses a body without user keys (400)', async () => {
    const response = await erasureResponse(deps(), post({ sessionKeys: [SID] }, { authorization: `Bearer ${TOKEN}` }));
    expect(response.status).toBe(400);
  });

  it('deletes the shopper and registers them; the feature state then reports the erasure', async () => {
    const response = await erasureResponse(
      { ...deps(), now: () => 1_800_000_000_000 },
      post({ userKeys: [DUID], sessionKeys: [SID] }, { authorization: `Bearer ${TOKEN}` }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as ErasureBody;
    expect(body.erasedAtMs).toBe(1_800_000_000_000);
    expect(body.deleted.featureKeys).toBe(4);
    expect(JSON.stringify(body)).not.toContain(DUID);
    for (const key of [`features:user:${DUID}`, `user:${DUID}:product_view_count_5m`, `features:session:${SID}`]) {
      expect(await client.exists(key), key).toBe(0);
    }
    expect(await client.exists(`features:user:${OTHER}`)).toBe(1);
    expect(Object.keys((await client.hgetall(ERASURE_REGISTRY_KEY)) ?? {}).length).toBeGreaterThan(0);

    const state = await laneStateResponse(
      createLaneSnapshotReader(client, { group: 'tandem-features' }),
      null,
      new Request('http://store.test/api/features/state', {
        headers: { cookie: `_sp_id.1fff=${DUID}.1764000000.1.1764000000.1764000000.${SID}` },
      }),
    );
    expect(((await state.json()) as LaneStateBody).erasedAtMs).toBe(1_800_000_000_000);
  });
});
