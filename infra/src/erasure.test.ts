import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisErasureClient } from './cli/erase.js';
import {
  ERASURE_REGISTRY_KEY,
  ERASURE_RETENTION_MS,
  erasureField,
  escapeGlob,
  expiredRegistryFields,
  isErasedEvent,
  logPseudonym,
  parseErasureRegistry,
  parseErasureRequest,
  sessionOfUserSessionKey,
  shopperErasedAt,
  userSessionKey,
} from './erasure.js';
import { describeErasure, eraseShopper } from './erasure-run.js';
import { freePort } from './ports.js';
import { type EnsuredRedis, ensureRedis } from './redis.js';

describe('logPseudonym', () => {
  it('names a key by a short prefix of its registry hash, never by the key', () => {
    const key = 'f3c1a2b4-0000-4000-8000-00000000a1b2';
    const user = logPseudonym('user', key);
    expect(user).toMatch(/^u~[0-9a-f]{12}$/);
    expect(erasureField('user', key).startsWith(`u:${user.slice(2)}`)).toBe(true);
    expect(logPseudonym('session', key)).toBe(`s~${user.slice(2)}`);
    expect(logPseudonym('user', `${key}x`)).not.toBe(user);
  });
});

describe('erasure registry rules', () => {
  const registry = new Map([
    [erasureField('user', 'u1'), 1_000],
    [erasureField('session', 's9'), 2_000],
  ]);

  it('skips events of an erased user or session dated at or before the erasure, and no others', () => {
    expect(isErasedEvent(registry, { userKey: 'u1', sessionKey: 's1', eventTimeMs: 1_000 })).toBe(true);
    expect(isErasedEvent(registry, { userKey: 'u1', sessionKey: 's1', eventTimeMs: 1_001 })).toBe(false);
    expect(isErasedEvent(registry, { userKey: 'u2', sessionKey: 's9', eventTimeMs: 1_500 })).toBe(true);
    expect(isErasedEvent(registry, { userKey: 'u2', sessionKey: null, eventTimeMs: 1 })).toBe(false);
    expect(isErasedEvent(new Map(), { userKey: 'u1', sessionKey: 's9', eventTimeMs: 1 })).toBe(false);
    expect(shopperErasedAt(registry, 'u1', 's9')).toBe(2_000);
    expect(shopperErasedAt(registry, 'u2', null)).toBeNull();
  });

  it('names keys by hash only, and reads a session key back from its record', () => {
    const field = erasureField('user', 'customer-1');
    expect(field).toMatch(/^u:[0-9a-f]{32}$/);
    expect(field).not.toContain('customer-1');
    expect(erasureField('session', 'customer-1')).toBe(`s:${field.slice(2)}`);
    expect(erasureField('user', 'customer-1')).toBe(field);
    const record = userSessionKey('customer-1', 'sess-1');
    expect(record).not.toContain('customer-1');
    expect(sessionOfUserSessionKey(record)).toBe('sess-1');
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });

  it('parses the registry strictly and prunes entries past the retention', () => {
    const field = erasureField('user', 'u1');
    expect(parseErasureRegistry({ [field]: '5', 'u:nothex': '5', [erasureField('user', 'u2')]: 'x' })).toEqual(
      new Map([[field, 5]]),
    );
    expect(expiredRegistryFields(new Map([[field, 5]]), 5 + ERASURE_RETENTION_MS + 1)).toEqual([field]);
    expect(expiredRegistryFields(new Map([[field, 5]]), 5 + ERASURE_RETENTION_MS)).toEqual([]);
  });

  it('refuses requests without a user key or with keys that are not keys', () => {
    expect(parseErasureRequest({ userKeys: ['u1', 'u1'] })).toEqual({
      ok: true,
      request: { userKeys: ['u1'], sessionKeys: [] },
    });
    expect(parseErasureRequest({ userKeys: [] }).ok).toBe(false);
    expect(parseErasureRequest({ userKeys: ['a b'] }).ok).toBe(false);
    expect(parseErasureRequest({ userKeys: ['u1'], sessionKeys: 's1' }).ok).toBe(false);
    expect(parseErasureRequest(null).ok).toBe(false);
  });
});

describe('eraseShopper against a real redis-server', () => {
  let server: EnsuredRedis | undefined;
  let redis: Redis;
  beforeAll(async () => {
    server = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
    redis = new Redis(server.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('finds the sessions, deletes every key naming the shopper (glob characters taken literally), keeps others', async () => {
    const user = 'odd*user';
    await redis
      .multi()
      .set(userSessionKey(user, 's1'), '1')
      .set(`user:${user}:product_view_count_5m`, '3')
      .hset(`features:user:${user}`, { product_view_count_5m: '3' })
      .set('user:odd-user-2:product_view_count_5m', '4')
      .set('session:s1:session_page_count', '2')
      .set('tandem:{g:user:1}:state:odd*user', 'lane')
      .hset('tandem:{g:user:1}:lanes', { [user]: '9', other: '9' })
      .exec();
    const report = await eraseShopper(
      ioredisErasureClient(redis),
      { userKeys: [user], sessionKeys: [] },
      { settleMs: 0, now: () => 1_000 },
    );
    expect(report).toMatchObject({ erasedAtMs: 1_000, sessionsFound: 1, sessionKeys: 1 });
    expect(report.deleted).toMatchObject({ featureKeys: 3, laneSnapshots: 1, laneIndexEntries: 1, sessionRecords: 1 });
    expect((await redis.keys('*')).sort()).toEqual([
      ERASURE_REGISTRY_KEY,
      'tandem:erasures:version',
      'tandem:{g:user:1}:lanes',
      'user:odd-user-2:product_view_count_5m',
    ]);
    expect(await redis.hgetall(ERASURE_REGISTRY_KEY)).toEqual({
      [erasureField('user', user)]: '1000',
      [erasureField('session', 's1')]: '1000',
    });
    expect(describeErasure(report).join('\n')).toContain('lane snapshots (checkpoints)');
  });
});
