/**
 * Both ways to Redis give the aggregator the same answers: @upstash/redis through the real
 * Upstash-compatible REST endpoint, and ioredis over TCP, against one real redis-server.
 */

import { partitionKeys } from '@tandem/infra/lane-state';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureStore } from './feature-store.js';
import { type RedisTransport, restTransport, tcpTransport } from './transport.js';

let redis: EnsuredRedis;
let rest: RestEndpoint;
const transports: Record<string, RedisTransport> = {};

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  rest = await createRestEndpoint({ redisUrl: redis.url, token: 'transport-test', port: 0, log: () => {} });
  transports.rest = restTransport(rest.url, 'transport-test');
  transports.tcp = tcpTransport(redis.url);
}, 60_000);
afterAll(async () => {
  for (const transport of Object.values(transports)) await transport.close();
  await rest?.close();
  await redis?.stop();
});

describe.each(['rest', 'tcp'])('the %s transport', (name) => {
  it('claims a partition, writes a checkpoint, and reads the index and snapshots back', async () => {
    const store = createFeatureStore(transports[name] as RedisTransport);
    const keys = partitionKeys(`group-${name}`, 'user', 3);
    const first = await store.claim(keys);
    expect(first.checkpoint).toBeNull();
    const expiresAt = Date.now() + 60_000;
    const outcome = await store.write(keys, first.epoch, [
      { kind: 'set', key: keys.snapshot('u1'), value: '{"format":"x","n":"12.50"}', expiresAtMs: expiresAt },
      { kind: 'hset', key: keys.index, fields: { u1: String(expiresAt), u2: String(expiresAt) } },
      { kind: 'hset', key: keys.checkpoint, fields: { offset: '42', version: 'v1', written: '41' } },
    ]);
    expect(outcome).toBe('OK');
    const second = await store.claim(keys);
    expect(Number(second.epoch)).toBe(Number(first.epoch) + 1);
    expect(second.checkpoint).toEqual({ offset: '42', definitionVersion: 'v1', writtenOffset: 41 });
    expect(await store.readIndex(keys)).toEqual(
      new Map([
        ['u1', expiresAt],
        ['u2', expiresAt],
      ]),
    );
    // Text comes back as written: no JSON parsing of "12.50", a missing key is left out.
    expect(await store.readSnapshots(keys, ['u1', 'u2'])).toEqual(new Map([['u1', '{"format":"x","n":"12.50"}']]));
    expect(await store.write(keys, first.epoch, [])).toBe('OK');
    expect(await store.probe(keys, first.epoch)).toBe('FENCED');
    expect(await store.probe(keys, second.epoch)).toBe('OK');
  });
});
