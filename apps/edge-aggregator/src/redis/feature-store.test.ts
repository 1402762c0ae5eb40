/**
 * The Redis protocol: how operations are chunked into script calls (pure), and what the Lua scripts do
 * on a real redis-server started on a free port (never the machine's 6379).
 */

import { partitionKeys } from '@tandem/infra/lane-state';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RedisOp } from '../write-plan.js';
import { createFeatureStore, encodeWriteCalls, type FeatureStore, writeUnfenced } from './feature-store.js';
import { tcpTransport } from './transport.js';

/** feature-store.ts's limits per script call (not exported: they are its own business). */
const MAX_ARGS_PER_CALL = 4_000;
const MAX_BYTES_PER_CALL = 400_000;

/** Reads one script call back into operations: the inverse of the encoder, written independently. */
function decodeCall(call: { keys: string[]; args: string[] }): RedisOp[] {
  const ops: RedisOp[] = [];
  let i = 1;
  while (i < call.args.length) {
    const [code, index, count] = call.args.slice(i, i + 3) as [string, string, string];
    const key = call.keys[Number(index) - 1];
    if (key === undefined || Number(index) < 2) throw new Error(`bad key index ${index}`);
    const argv = call.args.slice(i + 3, i + 3 + Number(count));
    if (argv.length !== Number(count)) throw new Error('op cut in two');
    i += 3 + Number(count);
    if (code === 's') ops.push({ kind: 'set', key, value: argv[0] as string, expiresAtMs: Number(argv[1]) });
    else if (code === 'd') ops.push({ kind: 'del', key });
    else if (code === 'h') {
      const fields: Record<string, string> = {};
      for (let f = 0; f < argv.length; f += 2) fields[argv[f] as string] = argv[f + 1] as string;
      ops.push({ kind: 'hset', key, fields });
    } else if (code === 'r') ops.push({ kind: 'hdel', key, fields: argv });
    else if (code === 'e') ops.push({ kind: 'expireAt', key, atMs: Number(argv[0]) });
    else throw new Error(`unknown code ${code}`);
  }
  return ops;
}

const keyArb = fc.constantFrom('user:u1:a', 'user:u1:b', 'session:s1:c', 'features:user:u1', 'k5', 'k6', 'k7');
const fieldArb = fc.constantFrom('f1', 'f2', 'f3', 'product_view_count_5m', '_v', '_at');
const valueArb = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 120_000 }).map((n) => 'x'.repeat(n)) },
);
const opArb: fc.Arbitrary<RedisOp> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: valueArb, expiresAtMs: fc.nat() }),
  fc.record({ kind: fc.constant('del' as const), key: keyArb }),
  fc.record({ kind: fc.constant('hset' as const), key: keyArb, fields: fc.dictionary(fieldArb, valueArb) }),
  fc.record({ kind: fc.constant('hdel' as const), key: keyArb, fields: fc.array(fieldArb, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('expireAt' as const), key: keyArb, atMs: fc.nat() }),
);

describe('encodeWriteCalls', () => {
  it('keeps every op whole and in order, with the fence first and right key indexes, within the limits', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const calls = encodeWriteCalls('tandem:{user:3}:fence', '7', ops);
        expect(calls.flatMap(decodeCall)).toEqual(
          ops.map((op) => (op.kind === 'hdel' ? { ...op, fields: [...op.fields] } : op)),
        );
        for (const call of calls) {
          expect(call.keys[0]).toBe('tandem:{user:3}:fence');
          expect(call.args[0]).toBe('7');
          expect(call.args.length).toBeGreaterThan(1);
          expect(new Set(call.keys).size).toBe(call.keys.length);
          const opCount = decodeCall(call).length;
          if (opCount > 1) {
            // One op alone may exceed a limit (it cannot be split); several never do.
            expect(call.args.length).toBeLessThanOrEqual(MAX_ARGS_PER_CALL);
            const bytes = call.args.slice(1).reduce((sum, arg) => sum + arg.length, 0);
            expect(bytes).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('makes no call for no ops, and one call for a few', () => {
    expect(encodeWriteCalls('fence', '1', [])).toEqual([]);
    expect(
      encodeWriteCalls('fence', '1', [
        { kind: 'set', key: 'a', value: 'v', expiresAtMs: 5 },
        { kind: 'del', key: 'a' },
        { kind: 'expireAt', key: 'b', atMs: 9 },
      ]),
    ).toEqual([{ keys: ['fence', 'a', 'b'], args: ['1', 's', '2', '2', 'v', '5', 'd', '2', '0', 'e', '3', '1', '9'] }]);
  });

  it('splits many small ops by argument count', () => {
    const ops: RedisOp[] = Array.from({ length: 3_000 }, (_, n) => ({ kind: 'expireAt', key: `k${n}`, atMs: n }));
    const calls = encodeWriteCalls('fence', '1', ops);
    expect(calls.length).toBe(Math.ceil((3_000 * 4) / (MAX_ARGS_PER_CALL - 1)));
    expect(calls.flatMap(decodeCall)).toEqual(ops);
  });
});

describe('Lua scripts on a real redis-server', () => {
  let redis: EnsuredRedis;
  let client: Redis;
  let store: FeatureStore;
  const keys = partitionKeys('test', 'user', 3);

  beforeAll(async () => {
    redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
    expect(redis.startedByUs).toBe(true);
    client = new Redis(redis.url);
    store = createFeatureStore(tcpTransport(redis.url));
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    client?.disconnect();
    await redis?.stop();
  }, 30_000);
  beforeEach(async () => {
    await client.flushall();
  });

  it('claim increments the epoch and returns the checkpoint once there is one', async () => {
    expect(await store.claim(keys)).toEqual({ epoch: '1', checkpoint: null, writtenOffset: null });
    const { epoch } = await store.claim(keys);
    expect(epoch).toBe('2');
    // A batch records how far it wrote before any checkpoint exists.
    expect(await store.write(keys, epoch, [{ kind: 'hset', key: keys.checkpoint, fields: { written: '9' } }])).toBe(
      'OK',
    );
    const third = await store.claim(keys);
    expect(third).toMatchObject({ epoch: '3', checkpoint: null, writtenOffset: 9 });
    const outcome = await store.write(keys, third.epoch, [
      { kind: 'hset', key: keys.checkpoint, fields: { offset: '42', version: 'v1', at: '1', written: '41' } },
    ]);
    expect(outcome).toBe('OK');
    expect(await store.claim(keys)).toEqual({
      epoch: '4',
      checkpoint: { offset: '42', definitionVersion: 'v1', writtenOffset: 41 },
      writtenOffset: 41,
    });
  });

  it('applies ops as specified, with PXAT expiries', async () => {
    const { epoch } = await store.claim(keys);
    const at = Date.now() + 600_000;
    const outcome = await store.write(keys, epoch, [
      { kind: 'set', key: 'user:u1:a', value: '3', expiresAtMs: at },
      { kind: 'set', key: 'user:u1:b', value: 'gone soon', expiresAtMs: at },
      { kind: 'del', key: 'user:u1:b' },
      { kind: 'hset', key: 'features:user:u1', fields: { a: '3', b: 'x', _v: 'v1' } },
      { kind: 'hdel', key: 'features:user:u1', fields: ['b'] },
      { kind: 'expireAt', key: 'features:user:u1', atMs: at + 1 },
      { kind: 'expireAt', key: 'user:missing', atMs: at },
    ]);
    expect(outcome).toBe('OK');
    expect(await client.get('user:u1:a')).toBe('3');
    expect(await client.pexpiretime('user:u1:a')).toBe(at);
    expect(await client.exists('user:u1:b', 'user:missing')).toBe(0);
    expect(await client.hgetall('features:user:u1')).toEqual({ a: '3', _v: 'v1' });
    expect(await client.pexpiretime('features:user:u1')).toBe(at + 1);
  });

  it('refuses a stale epoch (FENCED) and changes nothing', async () => {
    const old = await store.claim(keys);
    await store.claim(keys);
    const outcome = await store.write(keys, old.epoch, [
      { kind: 'set', key: 'user:u1:a', value: '1', expiresAtMs: Date.now() + 60_000 },
    ]);
    expect(outcome).toBe('FENCED');
    expect(await client.exists('user:u1:a')).toBe(0);
    expect(await client.get(keys.fence)).toBe('2');
  });

  it('answers WIPED once Redis lost its data, and writes nothing', async () => {
    const { epoch } = await store.claim(keys);
    await client.flushall();
    const outcome = await store.write(keys, epoch, [
      { kind: 'set', key: 'user:u1:a', value: '1', expiresAtMs: Date.now() + 60_000 },
    ]);
    expect(outcome).toBe('WIPED');
    expect(await client.dbsize()).toBe(0);
  });

  it('writes a large batch in several calls, all of it', async () => {
    const { epoch } = await store.claim(keys);
    const at = Date.now() + 60_000;
    const ops: RedisOp[] = Array.from({ length: 5_000 }, (_, n) => ({
      kind: 'set',
      key: `user:u${n}:a`,
      value: String(n),
      expiresAtMs: at,
    }));
    expect(encodeWriteCalls(keys.fence, epoch, ops).length).toBeGreaterThan(1);
    expect(await store.write(keys, epoch, ops)).toBe('OK');
    expect(await client.dbsize()).toBe(5_000 + 1);
    expect(await client.get('user:u4999:a')).toBe('4999');
  });

  it('reads the lane index and snapshots', async () => {
    const { epoch } = await store.claim(keys);
    await store.write(keys, epoch, [
      { kind: 'hset', key: keys.index, fields: { u1: '100', u2: '200' } },
      { kind: 'set', key: keys.snapshot('u1'), value: 'snap-1', expiresAtMs: Date.now() + 60_000 },
    ]);
    expect(await store.readIndex(keys)).toEqual(
      new Map([
        ['u1', 100],
        ['u2', 200],
      ]),
    );
    expect(await store.readSnapshots(keys, ['u1', 'u2'])).toEqual(new Map([['u1', 'snap-1']]));
  });

  it('writeUnfenced applies ops with no fence, touching no fence or placeholder key', async () => {
    const at = Date.now() + 60_000;
    const ops: RedisOp[] = [
      { kind: 'set', key: 'user:u1:a', value: '3', expiresAtMs: at },
      { kind: 'hset', key: 'features:user:u1', fields: { a: '3' } },
      { kind: 'expireAt', key: 'features:user:u1', atMs: at },
      ...Array.from({ length: 2_000 }, (_, n): RedisOp => ({ kind: 'del', key: `session:s${n}:x` })),
    ];
    const calls = await writeUnfenced(store.transport, ops);
    expect(calls).toBeGreaterThan(1);
    expect((await client.keys('*')).sort()).toEqual(['features:user:u1', 'user:u1:a']);
    expect(await client.pexpiretime('user:u1:a')).toBe(at);
    expect(await client.pexpiretime('features:user:u1')).toBe(at);
  });
});
