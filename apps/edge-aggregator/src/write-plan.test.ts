/**
 * planLaneWrite: full writes, diff writes, no-op writes, and the property that matters: whatever
 * sequence of plans is applied to Redis (modelled here as a Map with expiries), Redis ends up holding
 * what a full write of the latest values would give.
 */
import { HASH_META_FIELDS, type LaneValues } from '@tandem/feature-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  featureKey,
  hashKey,
  LANE_FIELDS,
  type LaneKind,
  type LanePlan,
  planLaneWrite,
  type RedisOp,
  type WrittenLane,
} from './write-plan.js';

const T = 1_772_445_600_000;
const VERSION = 'v-test';

function laneValues(
  entries: Record<string, [value: string, expiresAtMs: number]>,
  overflowed: string[] = [],
): LaneValues {
  return {
    values: new Map(Object.entries(entries).map(([field, [value]]) => [field, value])),
    expiresAtMs: new Map(Object.entries(entries).map(([field, [, expiresAt]]) => [field, expiresAt])),
    overflowed,
  };
}

/** A Redis of strings and hashes with absolute expiries: a key is gone once `now >= expiresAtMs`. */
type Entry =
  | { readonly type: 'string'; value: string; expiresAtMs: number }
  | { readonly type: 'hash'; fields: Map<string, string>; expiresAtMs: number };

class RedisModel {
  readonly keys = new Map<string, Entry>();

  private live(key: string, nowMs: number): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry !== undefined && entry.expiresAtMs <= nowMs) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  apply(ops: readonly RedisOp[], nowMs: number): void {
    for (const op of ops) {
      const entry = this.live(op.key, nowMs);
      switch (op.kind) {
        case 'set':
          this.keys.set(op.key, { type: 'string', value: op.value, expiresAtMs: op.expiresAtMs });
          break;
        case 'del':
          this.keys.delete(op.key);
          break;
        case 'hset': {
          if (entry !== undefined && entry.type !== 'hash') throw new Error(`WRONGTYPE ${op.key}`);
          const hash = entry ?? { type: 'hash', fields: new Map(), expiresAtMs: Number.POSITIVE_INFINITY };
          for (const [field, value] of Object.entries(op.fields)) hash.fields.set(field, value);
          this.keys.set(op.key, hash);
          break;
        }
        case 'hdel':
          if (entry === undefined) break;
          if (entry.type !== 'hash') throw new Error(`WRONGTYPE ${op.key}`);
          for (const field of op.fields) entry.fields.delete(field);
          if (entry.fields.size === 0) this.keys.delete(op.key);
          break;
        case 'expireAt':
          if (entry === undefined) break;
          if (op.atMs <= nowMs) this.keys.delete(op.key);
          else entry.expiresAtMs = op.atMs;
          break;
      }
    }
  }

  /** Every live key with its contents and expiry; `_at` left out (it says when, not what). */
  snapshot(nowMs: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of [...this.keys.keys()].sort()) {
      const entry = this.live(key, nowMs);
      if (entry === undefined) continue;
      if (entry.type === 'string') out[key] = { value: entry.value, expiresAtMs: entry.expiresAtMs };
      else {
        const fields = Object.fromEntries(
          [...entry.fields].filter(([field]) => field !== HASH_META_FIELDS.evaluatedAt),
        );
        out[key] = { fields, expiresAtMs: entry.expiresAtMs };
      }
    }
    return out;
  }
}

describe('planLaneWrite', () => {
  const [f1, f2, f3] = LANE_FIELDS.user as [string, string, string];

  it('writes every field in full when nothing is known: sets the non-empty ones, deletes the rest, replaces the hash', () => {
    const plan = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['3', T + 60_000], [f2]: ['1.50', T + 3_600_000] }),
      eventsApplied: 4,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    const sets = plan.ops.filter((op) => op.kind === 'set');
    expect(sets).toEqual([
      { kind: 'set', key: featureKey('user', 'u1', f1), value: '3', expiresAtMs: T + 60_000 },
      { kind: 'set', key: featureKey('user', 'u1', f2), value: '1.50', expiresAtMs: T + 3_600_000 },
    ]);
    const deleted = plan.ops.filter((op) => op.kind === 'del').map((op) => op.key);
    expect(deleted.sort()).toEqual(
      [
        ...LANE_FIELDS.user.filter((f) => f !== f1 && f !== f2).map((f) => featureKey('user', 'u1', f)),
        hashKey('user', 'u1'),
      ].sort(),
    );
    expect(plan.ops.slice(-3)).toEqual([
      { kind: 'del', key: 'features:user:u1' },
      {
        kind: 'hset',
        key: 'features:user:u1',
        fields: { [f1]: '3', [f2]: '1.50', _v: VERSION, _at: String(T), _events: '4' },
      },
      { kind: 'expireAt', key: 'features:user:u1', atMs: T + 3_600_000 },
    ]);
    expect(plan.written).toEqual({
      values: new Map([
        [f1, '3'],
        [f2, '1.50'],
      ]),
      expiresAtMs: new Map([
        [f1, T + 60_000],
        [f2, T + 3_600_000],
      ]),
      eventsApplied: 4,
      overflow: '',
    });
  });

  it('deletes every key of an empty lane, the hash included, and writes no hash', () => {
    const plan = planLaneWrite({
      kind: 'session',
      laneKey: 's1',
      values: laneValues({}),
      eventsApplied: 0,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    expect(plan.ops.every((op) => op.kind === 'del')).toBe(true);
    expect(plan.ops.map((op) => op.key).sort()).toEqual(
      [...LANE_FIELDS.session.map((f) => `session:s1:${f}`), 'features:session:s1'].sort(),
    );
  });

  it('after a full write, touches only what changed', () => {
    const first = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['3', T + 60_000], [f2]: ['1.50', T + 3_600_000] }),
      eventsApplied: 4,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    const second = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['4', T + 70_000], [f3]: ['x', T + 70_000] }, [f3]),
      eventsApplied: 5,
      definitionVersion: VERSION,
      nowMs: T + 10_000,
      previous: first.written,
    });
    expect(second.ops).toEqual([
      { kind: 'set', key: featureKey('user', 'u1', f1), value: '4', expiresAtMs: T + 70_000 },
      { kind: 'del', key: featureKey('user', 'u1', f2) },
      { kind: 'set', key: featureKey('user', 'u1', f3), value: 'x', expiresAtMs: T + 70_000 },
      { kind: 'hdel', key: 'features:user:u1', fields: [f2] },
      {
        kind: 'hset',
        key: 'features:user:u1',
        fields: { [f1]: '4', [f3]: 'x', _at: String(T + 10_000), _events: '5', _v: VERSION, _overflow: f3 },
      },
      { kind: 'expireAt', key: 'features:user:u1', atMs: T + 70_000 },
    ]);
  });

  it('moves only the expiry when a value is unchanged but lives longer', () => {
    const values = laneValues({ [f1]: ['3', T + 60_000] });
    const first = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values,
      eventsApplied: 1,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    const second = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['3', T + 90_000] }),
      eventsApplied: 1,
      definitionVersion: VERSION,
      nowMs: T + 1,
      previous: first.written,
    });
    expect(second.ops.filter((op) => op.kind !== 'hset')).toEqual([
      { kind: 'expireAt', key: featureKey('user', 'u1', f1), atMs: T + 90_000 },
      { kind: 'expireAt', key: 'features:user:u1', atMs: T + 90_000 },
    ]);
  });

  it('writes nothing when nothing changed', () => {
    const values = laneValues({ [f1]: ['3', T + 60_000], [f2]: ['1.50', T + 3_600_000] }, [f2]);
    const first = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values,
      eventsApplied: 4,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    const second = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values,
      eventsApplied: 4,
      definitionVersion: VERSION,
      nowMs: T + 5_000,
      previous: first.written,
    });
    expect(second.ops).toEqual([]);
    expect(second.written).toEqual(first.written);
  });

  it('treats a value whose expiry has passed as empty', () => {
    const plan = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['3', T], [f2]: ['1', T + 1] }),
      eventsApplied: 1,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    expect(plan.written.values).toEqual(new Map([[f2, '1']]));
    expect(plan.ops).toContainEqual({ kind: 'del', key: featureKey('user', 'u1', f1) });
  });

  // Known issue (left to the owner of write-plan.ts): the diff compares with what was written, not
  // with what Redis still holds. A value whose key expired (its timer write came late, or Redis's clock
  // runs ahead of the aggregator's) and that comes back with the same value gets only PEXPIREAT, a no-op
  // on a missing key: the key stays missing, and the hash, gone too, is re-created without the field.
  // Flip to \`it\` once planLaneWrite treats previous values whose expiry passed as absent.
  it('rewrites a value that came back unchanged after its key expired', () => {
    const redis = new RedisModel();
    const first = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['1', T + 1_000] }),
      eventsApplied: 1,
      definitionVersion: VERSION,
      nowMs: T,
      previous: null,
    });
    redis.apply(first.ops, T);
    const second = planLaneWrite({
      kind: 'user',
      laneKey: 'u1',
      values: laneValues({ [f1]: ['1', T + 20_000] }),
      eventsApplied: 2,
      definitionVersion: VERSION,
      nowMs: T + 1_500,
      previous: first.written,
    });
    redis.apply(second.ops, T + 1_500);
    expect(redis.snapshot(T + 1_500)[featureKey('user', 'u1', f1)]).toEqual({ value: '1', expiresAtMs: T + 20_000 });
  });

  describe('property: any sequence of plans leaves Redis as a full write of the latest values would', () => {
    const kinds: LaneKind[] = ['user', 'session'];
    for (const kind of kinds) {
      it(`${kind} lanes`, () => {
        // Few fields, values and expiries, so values repeat, expire between writes, and writes are often no-ops.
        const fields = LANE_FIELDS[kind].slice(0, 5);
        const step = fc.record({
          advanceMs: fc.integer({ min: 0, max: 3_000 }),
          entries: fc.dictionary(
            fc.constantFrom(...fields),
            fc.tuple(fc.constantFrom('1', '2', '3.50'), fc.constantFrom(1_000, 4_000, 9_000, 20_000)),
          ),
          overflowed: fc.subarray(fields),
          eventsApplied: fc.integer({ min: 0, max: 3 }),
          replaceHash: fc.boolean(),
        });
        // What Redis held before (another run, another definition): the first write is a full one.
        const garbage = fc.record({
          strings: fc.subarray(fields),
          hashFields: fc.subarray([...fields, HASH_META_FIELDS.overflow, 'retired_feature']),
        });
        fc.assert(
          fc.property(garbage, fc.array(step, { minLength: 1, maxLength: 8 }), (old, steps) => {
            const laneKey = 'k1';
            const redis = new RedisModel();
            for (const field of old.strings) {
              redis.apply(
                [{ kind: 'set', key: featureKey(kind, laneKey, field), value: 'old', expiresAtMs: T + 50_000 }],
                T,
              );
            }
            if (old.hashFields.length > 0) {
              redis.apply(
                [
                  {
                    kind: 'hset',
                    key: hashKey(kind, laneKey),
                    fields: Object.fromEntries(old.hashFields.map((f) => [f, 'old'])),
                  },
                ],
                T,
              );
            }
            let previous: WrittenLane | null = null;
            let nowMs = T;
            let last: { values: LaneValues; eventsApplied: number } | null = null;
            for (const s of steps) {
              nowMs += s.advanceMs;
              // The aggregator's timer: a lane is rewritten when one of its values expires (flushDue).
              // Without these writes a value can be lost: see the known-issue test below.
              if (previous !== null && last !== null) {
                const boundaries = [...new Set(previous.expiresAtMs.values())]
                  .filter((e) => e <= nowMs)
                  .sort((a, b) => a - b);
                for (const atMs of boundaries) {
                  const timer: LanePlan = planLaneWrite({
                    kind,
                    laneKey,
                    values: last.values,
                    eventsApplied: last.eventsApplied,
                    definitionVersion: VERSION,
                    nowMs: atMs,
                    previous,
                  });
                  redis.apply(timer.ops, atMs);
                  previous = timer.written;
                }
              }
              const entries: Record<string, [string, number]> = {};
              for (const [field, [value, life]] of Object.entries(s.entries)) entries[field] = [value, T + life];
              const values = laneValues(
                entries,
                s.overflowed.filter((f) => f in entries),
              );
              const plan = planLaneWrite({
                kind,
                laneKey,
                values,
                eventsApplied: s.eventsApplied,
                definitionVersion: VERSION,
                nowMs,
                previous,
                replaceHash: s.replaceHash,
              });
              redis.apply(plan.ops, nowMs);
              previous = plan.written;
              last = { values, eventsApplied: s.eventsApplied };
            }
            if (last === null) return;
            const full = new RedisModel();
            full.apply(
              planLaneWrite({
                kind,
                laneKey,
                values: last.values,
                eventsApplied: last.eventsApplied,
                definitionVersion: VERSION,
                nowMs,
                previous: null,
              }).ops,
              nowMs,
            );
            expect(redis.snapshot(nowMs)).toEqual(full.snapshot(nowMs));
          }),
          { numRuns: 500 },
        );
      });
    }
  });
});
