/**
 * What to write to Redis for one lane: the difference between the values last written and the values
 * now, as Redis operations on the accelerator's string keys and the project's feature hash
 * (FEATURES.md "Keys and identity"). Pure. Values are absolute (SET, never INCR), so writing a plan
 * twice, or after a replay, leaves the same contents: that is what makes replays harmless.
 */
import {
  featureHashFields,
  HASH_META_FIELDS,
  type LaneValues,
  ROLLING_FEATURES,
  rollingField,
  SESSION_FEATURES,
  sessionFeatureKey,
  sessionHashKey,
  USER_FEATURES,
  userFeatureKey,
  userHashKey,
} from '@tandem/feature-core';

export type LaneKind = 'user' | 'session';

/** One Redis operation. Expiry times are absolute (epoch ms), so a late write never extends a key. */
export type RedisOp =
  | { readonly kind: 'set'; readonly key: string; readonly value: string; readonly expiresAtMs: number }
  | { readonly kind: 'del'; readonly key: string }
  | { readonly kind: 'hset'; readonly key: string; readonly fields: Readonly<Record<string, string>> }
  | { readonly kind: 'hdel'; readonly key: string; readonly fields: readonly string[] }
  | { readonly kind: 'expireAt'; readonly key: string; readonly atMs: number };

/** What was last written for a lane: each feature field's value and expiry, and the hash's `_events`. */
export interface WrittenLane {
  readonly values: ReadonlyMap<string, string>;
  readonly expiresAtMs: ReadonlyMap<string, number>;
  readonly eventsApplied: number;
  readonly overflow: string;
}

/** Every feature field a lane of each kind can have, for full writes (delete what is empty now). */
export const LANE_FIELDS: Readonly<Record<LaneKind, readonly string[]>> = {
  user: [
    ...ROLLING_FEATURES.flatMap((def) => def.windows.map((window) => rollingField(def.name, window))),
    ...USER_FEATURES.map((def) => def.name),
  ],
  session: SESSION_FEATURES.map((def) => def.name),
};

export function featureKey(kind: LaneKind, laneKey: string, field: string): string {
  return kind === 'user' ? userFeatureKey(laneKey, field) : sessionFeatureKey(laneKey, field);
}

export function hashKey(kind: LaneKind, laneKey: string): string {
  return kind === 'user' ? userHashKey(laneKey) : sessionHashKey(laneKey);
}

export interface LaneWrite {
  readonly kind: LaneKind;
  readonly laneKey: string;
  /** The lane evaluated now (feature-core's `evaluateUserLane` / `evaluateSessionLane`). */
  readonly values: LaneValues;
  readonly eventsApplied: number;
  readonly definitionVersion: string;
  readonly nowMs: number;
  /** What was last written; null when unknown (after a restore): then every field is written or deleted. */
  readonly previous: WrittenLane | null;
  /** Replace the hash as a whole even when `previous` is known (its contents may be older than `previous`). */
  readonly replaceHash?: boolean;
}

export interface LanePlan {
  readonly ops: RedisOp[];
  /** What Redis holds once the ops are applied; the next plan's `previous`. */
  readonly written: WrittenLane;
}

/**
 * Plans the writes for one lane. A value whose expiry is already past is treated as empty (Redis
 * would refuse or drop it anyway). Nothing is written when neither a value, an expiry nor the
 * applied-event count changed, so a timer firing for nothing costs no command.
 */
export function planLaneWrite(write: LaneWrite): LanePlan {
  const { kind, laneKey, values, nowMs, previous } = write;
  const ops: RedisOp[] = [];
  const liveValues = new Map<string, string>();
  const liveExpiry = new Map<string, number>();
  for (const [field, value] of values.values) {
    const expiresAt = values.expiresAtMs.get(field) ?? Number.POSITIVE_INFINITY;
    if (expiresAt <= nowMs) continue;
    liveValues.set(field, value);
    liveExpiry.set(field, expiresAt);
  }
  const overflow = [...values.overflowed]
    .filter((field) => liveValues.has(field))
    .sort()
    .join(',');
  const written: WrittenLane = {
    values: liveValues,
    expiresAtMs: liveExpiry,
    eventsApplied: write.eventsApplied,
    overflow,
  };
  const hash = hashKey(kind, laneKey);

  const changedFields: string[] = [];
  const removedFields: string[] = [];
  for (const field of previous === null
    ? LANE_FIELDS[kind]
    : new Set([...previous.values.keys(), ...liveValues.keys()])) {
    const value = liveValues.get(field);
    const key = featureKey(kind, laneKey, field);
    if (value === undefined) {
      if (previous === null || previous.values.has(field)) {
        ops.push({ kind: 'del', key });
        removedFields.push(field);
      }
      continue;
    }
    const expiresAt = liveExpiry.get(field) as number;
    // A key whose expiry has passed is gone from Redis even if its value comes back the same.
    const stillStored = previous !== null && (previous.expiresAtMs.get(field) ?? Number.POSITIVE_INFINITY) > nowMs;
    if (previous === null || !stillStored || previous.values.get(field) !== value) {
      ops.push({ kind: 'set', key, value, expiresAtMs: expiresAt });
      changedFields.push(field);
    } else if (previous.expiresAtMs.get(field) !== expiresAt) {
      ops.push({ kind: 'expireAt', key, atMs: expiresAt });
    }
  }
  const expiryChanged = ops.some((op) => op.kind === 'expireAt');
  // The hash expires with its longest-lived field: once that time has passed it is gone as a whole.
  let hashExpiresAt = Number.NEGATIVE_INFINITY;
  for (const atMs of previous?.expiresAtMs.values() ?? []) if (atMs > hashExpiresAt) hashExpiresAt = atMs;
  const hashGone = previous !== null && previous.values.size > 0 && hashExpiresAt <= nowMs;
  const replaceHash = previous === null || hashGone || write.replaceHash === true;
  if (
    !replaceHash &&
    previous !== null &&
    changedFields.length === 0 &&
    removedFields.length === 0 &&
    !expiryChanged &&
    previous.eventsApplied === write.eventsApplied &&
    previous.overflow === overflow
  ) {
    return { ops, written };
  }

  if (liveValues.size === 0) {
    ops.push({ kind: 'del', key: hash });
    return { ops, written };
  }
  const all = featureHashFields(
    { values: liveValues, expiresAtMs: liveExpiry, overflowed: overflow === '' ? [] : overflow.split(',') },
    { definitionVersion: write.definitionVersion, evaluatedAtMs: nowMs, eventsApplied: write.eventsApplied },
  );
  if (replaceHash || previous === null) {
    // Unknown contents (a restore, a rebuilt Redis): replace the hash as a whole.
    ops.push({ kind: 'del', key: hash }, { kind: 'hset', key: hash, fields: all });
  } else {
    const fields: Record<string, string> = {};
    for (const field of changedFields) fields[field] = all[field] as string;
    fields[HASH_META_FIELDS.evaluatedAt] = all[HASH_META_FIELDS.evaluatedAt] as string;
    fields[HASH_META_FIELDS.events] = all[HASH_META_FIELDS.events] as string;
    fields[HASH_META_FIELDS.version] = all[HASH_META_FIELDS.version] as string;
    const gone = removedFields.filter((field) => previous.values.has(field));
    if (overflow !== '') fields[HASH_META_FIELDS.overflow] = overflow;
    else if (previous.overflow !== '') gone.push(HASH_META_FIELDS.overflow);
    if (gone.length > 0) ops.push({ kind: 'hdel', key: hash, fields: gone });
    ops.push({ kind: 'hset', key: hash, fields });
  }
  // The hash lives as long as its longest-lived field.
  ops.push({ kind: 'expireAt', key: hash, atMs: Math.max(...liveExpiry.values()) });
  return { ops, written };
}
