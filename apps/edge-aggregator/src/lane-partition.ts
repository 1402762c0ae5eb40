/**
 * The state of one lane partition (the user lanes of partition 3 of the by-user topic, or the session
 * lanes of partition 3 of the by-session topic) and the only code that changes it: restore from
 * Redis, apply a batch of events, write what changed, expire values at tile boundaries, checkpoint.
 *
 * Exactness rests on four facts (docs/decisions/0005-effectively-once.md):
 * 1. a lane's values are a pure function of the set of its events and the evaluation time, and
 *    feature-core applies a duplicate event id once;
 * 2. every write is an absolute value (SET with an absolute expiry, never INCR);
 * 3. a checkpoint stores, atomically, snapshots of the lanes changed since the previous one and the
 *    offset they cover; after a crash the lanes are restored from it and the events after it replayed;
 * 4. every write is fenced by the owner's epoch, so a previous owner cannot overwrite a newer one.
 */
import {
  applyToSessionLane,
  applyToUserLane,
  createSessionLane,
  createUserLane,
  deserializeSessionLane,
  deserializeUserLane,
  type EngineConfig,
  evaluateSessionLane,
  evaluateUserLane,
  isSessionClosed,
  type LaneValues,
  nextUserChangeAtMs,
  pruneUserLane,
  type SessionLane,
  type ShopperEvent,
  serializeSessionLane,
  serializeUserLane,
  sessionExpiresAtMs,
  type UserLane,
} from '@tandem/feature-core';
import { type ErasureRegistry, erasureField, isErasedEvent, userSessionKey } from '@tandem/infra/erasure';
import { type PartitionKeys, partitionKeys } from '@tandem/infra/lane-state';
import type { Checkpoint, FeatureStore, WriteOutcome } from './redis/feature-store.js';
import {
  featureKey,
  hashKey,
  LANE_FIELDS,
  type LaneKind,
  planLaneWrite,
  type RedisOp,
  type WrittenLane,
} from './write-plan.js';

/** One event of a lane topic's batch, with its offset. */
export interface LaneRecord {
  readonly offset: number;
  readonly event: ShopperEvent;
}

export interface LanePartitionOptions {
  /** The consumer group: partition state in Redis is per group. */
  readonly group: string;
  readonly kind: LaneKind;
  readonly partition: number;
  readonly store: FeatureStore;
  readonly config: EngineConfig;
  readonly definitionVersion: string;
  /** How often changed lanes are snapshotted (and the Kafka offset committed). */
  readonly checkpointIntervalMs: number;
  readonly now: () => number;
  /**
   * The erasure registry as currently known (docs/decisions/0008-erasure.md): events of an erased
   * key dated at or before its erasure are skipped, in the first run and in every replay alike, so
   * effectively-once still holds (a lane is a function of its events that pass the registry).
   */
  readonly erasures?: () => ErasureRegistry;
}

export interface RestoreResult {
  /** Offset to resume reading from; null to read the partition from its earliest retained offset. */
  readonly resumeOffset: number | null;
  readonly lanesRestored: number;
  readonly reason: 'checkpoint' | 'no_checkpoint' | 'definition_changed' | 'unreadable_snapshot';
  readonly outcome: WriteOutcome;
}

export interface BatchResult {
  readonly outcome: WriteOutcome;
  readonly applied: number;
  readonly duplicates: number;
  readonly expired: number;
  readonly ignored: number;
  /** Events skipped because their shopper was erased after them. */
  readonly erased: number;
  /** Redis operations sent. */
  readonly ops: number;
  /** Set when this batch also wrote a checkpoint: the offset Kafka may now commit. */
  readonly checkpointOffset: number | null;
}

/**
 * Once a batch was applied in memory but its write failed or was refused, memory is ahead of Redis:
 * from then on every call but `restore` rejects, so nothing (a checkpoint queued by a timer, say) is
 * written from that state. Only a restore makes the partition usable again.
 */
export interface LanePartition {
  readonly kind: LaneKind;
  readonly partition: number;
  readonly keys: PartitionKeys;
  /** Lanes held in memory. */
  readonly size: number;
  /** Next offset expected from the lane topic. */
  readonly nextOffset: number | null;
  /**
   * Takes the partition (a new epoch fences the previous owner) and restores its lanes from the latest
   * checkpoint, then rewrites what time changed while nobody owned it. `highWatermark` bounds the
   * offsets a previous owner may have written when there is no checkpoint.
   */
  restore(highWatermark: number): Promise<RestoreResult>;
  /** Applies a batch in offset order and writes the changed lanes; checkpoints when one is due. */
  applyBatch(records: readonly LaneRecord[], endOffset: number): Promise<BatchResult>;
  /** Writes the lanes whose values changed by time alone (a tile boundary passed) up to now. */
  flushDue(): Promise<{ outcome: WriteOutcome; lanes: number; ops: number }>;
  /** The earliest time a lane's value changes by time alone; null when none will. */
  readonly nextDueAtMs: number | null;
  /** After a restore without checkpoint: the partition is rebuilt from `offset` (its earliest retained). */
  expectFrom(offset: number): void;
  /** Whether a checkpoint is due at `atMs` (something changed and the interval passed). */
  checkpointDue(atMs: number): boolean;
  /**
   * Checks that the partition is still ours and that Redis still holds its data, so a wiped Redis is
   * noticed (and rebuilt) even when no event or timer would write to this partition.
   */
  probe(): Promise<WriteOutcome>;
  /** Writes a checkpoint now when anything changed since the last one (graceful shutdown). */
  checkpoint(): Promise<{ outcome: WriteOutcome; offset: number | null }>;
  /**
   * Drops the lanes of keys newly erased (registry fields → erasure time) from memory and deletes
   * their keys, snapshots and index entries in one fenced write, so nothing this partition holds
   * rewrites them. Returns how many lanes were dropped.
   */
  forgetErased(fresh: ErasureRegistry): Promise<{ outcome: WriteOutcome; lanes: number }>;
}

type Lane = UserLane | SessionLane;

const EMPTY_WRITTEN: WrittenLane = { values: new Map(), expiresAtMs: new Map(), eventsApplied: 0, overflow: '' };

/** Serializes the async work on one partition: batches, timer writes and checkpoints never interleave. */
function createQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };
}

export function createLanePartition(options: LanePartitionOptions): LanePartition {
  const { kind, partition, store, config, definitionVersion, now } = options;
  const keys = partitionKeys(options.group, kind, partition);
  const enqueue = createQueue();

  const lanes = new Map<string, Lane>();
  /** What Redis holds for each lane in memory (null: unknown, write everything). */
  const written = new Map<string, WrittenLane | null>();
  /** Lanes changed since the last checkpoint (snapshot them) and lanes to drop from the index. */
  const dirty = new Set<string>();
  const removed = new Set<string>();
  /** Closed sessions whose state left memory: their snapshot stays in Redis until it expires. */
  const evicted = new Map<string, number>();
  /** User lane → when its values next change by time alone; and the reverse, by time. */
  const dueAt = new Map<string, number>();
  const dueLanes = new Map<number, Set<string>>();
  /** Session lanes only: the user keys met in each session in memory, for the erasure's session records. */
  const sessionUsers = new Map<string, Set<string>>();

  let epoch = '';
  let nextOffset: number | null = null;
  let checkpointedOffset: number | null = null;
  /** Offsets up to here may have been written by a previous owner: lanes first met there are written in full. */
  let catchUpUntil = -1;
  let lastCheckpointAt = now();
  /**
   * Why this partition may not write, if it may not: a batch was applied to the lanes in memory but its
   * write failed or was refused, so memory is ahead of Redis. A checkpoint would then snapshot lanes
   * whose values never reached Redis; after a restore, a closed session among them is left out of
   * memory and only rewritten on a new event, so its values would stay missing. Only a restore (a new
   * partition state from the last good checkpoint) clears it.
   */
  let unusable: string | null = 'not restored yet';

  /** Queues work that writes from the lanes in memory: refused once memory is ahead of Redis. */
  function guarded<T>(work: () => Promise<T>): Promise<T> {
    return enqueue(() => {
      if (unusable !== null) {
        return Promise.reject(new Error(`${keys.checkpoint}: ${unusable}; restore the partition first`));
      }
      return work();
    });
  }

  function evaluate(lane: Lane, atMs: number): LaneValues {
    return kind === 'user' ? evaluateUserLane(lane as UserLane, atMs) : evaluateSessionLane(lane as SessionLane, atMs);
  }

  function eventsApplied(lane: Lane): number {
    return lane.eventsApplied;
  }

  function unschedule(laneKey: string): void {
    const previous = dueAt.get(laneKey);
    if (previous === undefined) return;
    const set = dueLanes.get(previous);
    set?.delete(laneKey);
    if (set?.size === 0) dueLanes.delete(previous);
    dueAt.delete(laneKey);
  }

  /** One timer per user lane: its next tile boundary that changes a value (sessions do not change by time). */
  function schedule(laneKey: string, lane: Lane, atMs: number): void {
    if (kind !== 'user') return;
    const next = nextUserChangeAtMs(lane as UserLane, atMs);
    if (dueAt.get(laneKey) === next) return;
    unschedule(laneKey);
    if (next === null) return;
    dueAt.set(laneKey, next);
    let set = dueLanes.get(next);
    if (set === undefined) {
      set = new Set();
      dueLanes.set(next, set);
    }
    set.add(laneKey);
  }

  /** Plans the writes for `laneKeys` at `atMs` and records what Redis will hold once they succeed. */
  function planWrites(
    laneKeys: Iterable<string>,
    atMs: number,
    replaceHash = false,
  ): { ops: RedisOp[]; after: [string, WrittenLane][] } {
    const ops: RedisOp[] = [];
    const after: [string, WrittenLane][] = [];
    for (const laneKey of laneKeys) {
      const lane = lanes.get(laneKey);
      if (lane === undefined) continue;
      const plan = planLaneWrite({
        kind,
        laneKey,
        values: evaluate(lane, atMs),
        eventsApplied: eventsApplied(lane),
        definitionVersion,
        nowMs: atMs,
        previous: written.get(laneKey) ?? null,
        replaceHash,
      });
      for (const op of plan.ops) ops.push(op);
      after.push([laneKey, plan.written]);
    }
    return { ops, after };
  }

  /** A snapshot lives as long as the lane's longest-lived value (what was last planned for it). */
  function snapshotExpiry(
    laneKey: string,
    lane: Lane,
    atMs: number,
    pending: ReadonlyMap<string, WrittenLane>,
  ): number | null {
    if (kind === 'session') return sessionExpiresAtMs(lane as SessionLane);
    const expiries = (pending.get(laneKey) ?? written.get(laneKey))?.expiresAtMs ?? evaluate(lane, atMs).expiresAtMs;
    let latest = Number.NEGATIVE_INFINITY;
    for (const expiresAt of expiries.values()) if (expiresAt > latest) latest = expiresAt;
    return Number.isFinite(latest) ? latest : null;
  }

  /** Checkpoint ops: snapshots of changed lanes, index updates, and last the covered offset. */
  function planCheckpoint(
    atMs: number,
    offset: number,
    pending: ReadonlyMap<string, WrittenLane> = new Map(),
  ): RedisOp[] {
    const ops: RedisOp[] = [];
    const index: Record<string, string> = {};
    const gone = new Set(removed);
    for (const laneKey of dirty) {
      const lane = lanes.get(laneKey);
      if (lane === undefined) continue;
      const expiresAt = snapshotExpiry(laneKey, lane, atMs, pending);
      if (expiresAt === null || expiresAt <= atMs) {
        gone.add(laneKey);
        continue;
      }
      const text =
        kind === 'user'
          ? serializeUserLane(lane as UserLane, config)
          : serializeSessionLane(lane as SessionLane, config);
      ops.push({ kind: 'set', key: keys.snapshot(laneKey), value: text, expiresAtMs: expiresAt });
      index[laneKey] = String(expiresAt);
    }
    for (const laneKey of gone) {
      if (lanes.has(laneKey) && !dirty.has(laneKey)) continue;
      ops.push({ kind: 'del', key: keys.snapshot(laneKey) });
    }
    const goneFromIndex = [...gone].filter((laneKey) => index[laneKey] === undefined);
    if (goneFromIndex.length > 0) ops.push({ kind: 'hdel', key: keys.index, fields: goneFromIndex });
    if (Object.keys(index).length > 0) ops.push({ kind: 'hset', key: keys.index, fields: index });
    ops.push({
      kind: 'hset',
      key: keys.checkpoint,
      fields: { offset: String(offset), version: definitionVersion, at: String(atMs), written: String(offset - 1) },
    });
    return ops;
  }

  /** After a checkpoint: closed sessions leave memory (their snapshot is in Redis until it expires). */
  function afterCheckpoint(atMs: number, offset: number): void {
    for (const laneKey of removed) written.delete(laneKey);
    removed.clear();
    if (kind === 'session') {
      for (const laneKey of dirty) {
        const lane = lanes.get(laneKey) as SessionLane | undefined;
        if (lane === undefined || !isSessionClosed(lane, atMs)) continue;
        const expiresAt = sessionExpiresAtMs(lane);
        if (expiresAt !== null && expiresAt > atMs) evicted.set(laneKey, expiresAt);
        lanes.delete(laneKey);
        written.delete(laneKey);
        sessionUsers.delete(laneKey);
      }
    }
    dirty.clear();
    checkpointedOffset = offset;
    lastCheckpointAt = atMs;
  }

  /** Frees lanes that time emptied: user lanes with nothing left in any window, expired sessions. */
  function prune(laneKeys: Iterable<string>, atMs: number): void {
    for (const laneKey of laneKeys) {
      const lane = lanes.get(laneKey);
      if (lane === undefined) continue;
      const empty =
        kind === 'user'
          ? pruneUserLane(lane as UserLane, atMs)
          : (sessionExpiresAtMs(lane as SessionLane) ?? 0) <= atMs;
      if (!empty) continue;
      lanes.delete(laneKey);
      dirty.delete(laneKey);
      removed.add(laneKey);
      unschedule(laneKey);
      sessionUsers.delete(laneKey);
    }
    for (const [laneKey, expiresAt] of evicted) if (expiresAt <= atMs) evicted.delete(laneKey);
  }

  function commitWritten(after: readonly [string, WrittenLane][]): void {
    for (const [laneKey, state] of after) written.set(laneKey, state);
  }

  function reset(): void {
    lanes.clear();
    written.clear();
    dirty.clear();
    removed.clear();
    evicted.clear();
    dueAt.clear();
    dueLanes.clear();
    sessionUsers.clear();
    nextOffset = null;
    checkpointedOffset = null;
  }

  async function loadEvicted(laneKeys: readonly string[]): Promise<void> {
    if (laneKeys.length === 0) return;
    const texts = await store.readSnapshots(keys, laneKeys);
    for (const laneKey of laneKeys) {
      evicted.delete(laneKey);
      const text = texts.get(laneKey);
      if (text === undefined) continue;
      const lane = deserializeSessionLane(text, config);
      if (!lane.ok) continue;
      lanes.set(laneKey, lane.value);
      // Its keys were written when it closed; a full write is still the safe choice on a late event.
      written.set(laneKey, null);
    }
  }

  async function restoreNow(highWatermark: number): Promise<RestoreResult> {
    unusable = 'its restore did not finish';
    reset();
    const claimed = await store.claim(keys);
    epoch = claimed.epoch;
    const atMs = now();
    lastCheckpointAt = atMs;
    const checkpoint: Checkpoint | null = claimed.checkpoint;
    if (checkpoint === null || checkpoint.definitionVersion !== definitionVersion) {
      // Nothing to resume from (a first start, a wiped Redis) or state of another definition: rebuild
      // from the topic. Lanes are written in full up to the last offset a previous owner recorded
      // writing (Redis may hold their keys); a partition nobody wrote to starts with an empty Redis.
      catchUpUntil = claimed.writtenOffset ?? -1;
      unusable = null;
      return {
        resumeOffset: null,
        lanesRestored: 0,
        reason: checkpoint === null ? 'no_checkpoint' : 'definition_changed',
        outcome: 'OK',
      };
    }
    const index = await store.readIndex(keys);
    const live: string[] = [];
    const expired: string[] = [];
    for (const [laneKey, expiresAt] of index) (expiresAt > atMs ? live : expired).push(laneKey);
    const texts = await store.readSnapshots(keys, live);
    for (const laneKey of live) {
      const text = texts.get(laneKey);
      if (text === undefined) continue;
      const result = kind === 'user' ? deserializeUserLane(text, config) : deserializeSessionLane(text, config);
      if (!result.ok) {
        reset();
        catchUpUntil = Math.max(claimed.writtenOffset ?? -1, highWatermark - 1);
        unusable = null;
        return { resumeOffset: null, lanesRestored: 0, reason: 'unreadable_snapshot', outcome: 'OK' };
      }
      const lane = result.value;
      if (kind === 'session' && isSessionClosed(lane as SessionLane, atMs)) {
        evicted.set(laneKey, index.get(laneKey) as number);
        continue;
      }
      lanes.set(laneKey, lane);
    }
    const offset = Number(checkpoint.offset);
    nextOffset = offset;
    checkpointedOffset = offset;
    catchUpUntil = Math.max(offset - 1, checkpoint.writtenOffset ?? offset - 1);
    // Time went on while nobody owned the partition, and a previous owner may have written after the
    // checkpoint: rewrite every restored lane in full, as of now.
    const { ops, after } = planWrites(lanes.keys(), atMs);
    if (expired.length > 0) ops.push({ kind: 'hdel', key: keys.index, fields: expired });
    const outcome = await store.write(keys, epoch, ops);
    if (outcome === 'OK') {
      commitWritten(after);
      for (const [laneKey, lane] of lanes) schedule(laneKey, lane, atMs);
      unusable = null;
    }
    return { resumeOffset: offset, lanesRestored: lanes.size, reason: 'checkpoint', outcome };
  }

  async function applyNow(records: readonly LaneRecord[], endOffset: number): Promise<BatchResult> {
    // From here the lanes in memory take this batch: until Redis acknowledges its write, nothing may be
    // written from them (a batch that fails or is refused leaves the partition for a restore).
    unusable = `a batch ending at offset ${endOffset} was applied in memory but not written`;
    let applied = 0;
    let duplicates = 0;
    let expired = 0;
    let ignored = 0;
    let erased = 0;
    const touched = new Set<string>();
    const registry = options.erasures?.() ?? new Map<string, number>();
    const fresh = records.filter((record) => nextOffset === null || record.offset >= nextOffset);
    if (kind === 'session') {
      const late = [
        ...new Set(fresh.map((r) => r.event.sessionKey as string).filter((key) => evicted.has(key) && !lanes.has(key))),
      ];
      await loadEvicted(late);
    }
    for (const { offset, event } of fresh) {
      const laneKey = kind === 'user' ? event.userKey : event.sessionKey;
      if (laneKey === null) {
        ignored++;
        continue;
      }
      if (isErasedEvent(registry, event)) {
        erased++;
        continue;
      }
      let lane = lanes.get(laneKey);
      if (lane === undefined) {
        lane = kind === 'user' ? createUserLane(laneKey) : createSessionLane(laneKey);
        lanes.set(laneKey, lane);
        // A lane first met where a previous owner may have written it: its Redis contents are unknown.
        if (!written.has(laneKey)) written.set(laneKey, offset <= catchUpUntil ? null : EMPTY_WRITTEN);
      }
      const outcome =
        kind === 'user'
          ? applyToUserLane(lane as UserLane, event, config)
          : applyToSessionLane(lane as SessionLane, event);
      if (lane.eventsApplied === 0) lanes.delete(laneKey);
      if (outcome === 'applied') {
        applied++;
        touched.add(laneKey);
        dirty.add(laneKey);
        removed.delete(laneKey);
        if (kind === 'session') {
          const users = sessionUsers.get(laneKey) ?? new Set<string>();
          users.add(event.userKey);
          sessionUsers.set(laneKey, users);
        }
      } else if (outcome === 'duplicate') duplicates++;
      else if (outcome === 'expired') expired++;
      else ignored++;
    }
    const atMs = now();
    const { ops, after } = planWrites(touched, atMs);
    if (kind === 'session') for (const op of planSessionRecords(touched)) ops.push(op);
    const due = atMs - lastCheckpointAt >= options.checkpointIntervalMs;
    const checkpointOffset = due ? endOffset : null;
    if (ops.length > 0) {
      // How far writes may go, recorded first (a write split into several calls may stop half way):
      // after a crash, lanes first met up to here are written in full.
      ops.unshift({ kind: 'hset', key: keys.checkpoint, fields: { written: String(endOffset - 1) } });
    }
    if (checkpointOffset !== null)
      for (const op of planCheckpoint(atMs, checkpointOffset, new Map(after))) ops.push(op);
    const outcome = ops.length === 0 ? 'OK' : await store.write(keys, epoch, ops);
    if (outcome === 'OK') {
      unusable = null;
      commitWritten(after);
      for (const laneKey of touched) schedule(laneKey, lanes.get(laneKey) as Lane, atMs);
      nextOffset = endOffset;
      if (checkpointOffset !== null) afterCheckpoint(atMs, checkpointOffset);
    }
    return {
      outcome,
      applied,
      duplicates,
      expired,
      ignored,
      erased,
      ops: ops.length,
      checkpointOffset: outcome === 'OK' ? checkpointOffset : null,
    };
  }

  /**
   * Which user keys had each touched session (`tandem:user-sessions:<user hash>:<session>`), expiring
   * with the session's keys, so an erasure of a user key finds its sessions. Absolute writes, like
   * every other: a replay writes the same records.
   */
  function planSessionRecords(touched: ReadonlySet<string>): RedisOp[] {
    const ops: RedisOp[] = [];
    for (const laneKey of touched) {
      const lane = lanes.get(laneKey) as SessionLane | undefined;
      const expiresAtMs = lane === undefined ? null : sessionExpiresAtMs(lane);
      if (expiresAtMs === null || expiresAtMs <= now()) continue;
      for (const userKey of sessionUsers.get(laneKey) ?? []) {
        ops.push({ kind: 'set', key: userSessionKey(userKey, laneKey), value: '1', expiresAtMs });
      }
    }
    return ops;
  }

  async function forgetNow(fresh: ErasureRegistry): Promise<{ outcome: WriteOutcome; lanes: number }> {
    const erasedKind = kind === 'user' ? 'user' : 'session';
    const gone = [...new Set([...lanes.keys(), ...evicted.keys()])].filter((laneKey) =>
      fresh.has(erasureField(erasedKind, laneKey)),
    );
    if (gone.length === 0) return { outcome: 'OK', lanes: 0 };
    const ops: RedisOp[] = [];
    for (const laneKey of gone) {
      for (const field of LANE_FIELDS[kind]) ops.push({ kind: 'del', key: featureKey(kind, laneKey, field) });
      ops.push({ kind: 'del', key: hashKey(kind, laneKey) }, { kind: 'del', key: keys.snapshot(laneKey) });
    }
    ops.push({ kind: 'hdel', key: keys.index, fields: gone });
    const outcome = await store.write(keys, epoch, ops);
    if (outcome === 'OK') {
      for (const laneKey of gone) {
        lanes.delete(laneKey);
        written.delete(laneKey);
        dirty.delete(laneKey);
        removed.delete(laneKey);
        evicted.delete(laneKey);
        sessionUsers.delete(laneKey);
        unschedule(laneKey);
      }
    }
    return { outcome, lanes: gone.length };
  }

  async function flushDueNow(): Promise<{ outcome: WriteOutcome; lanes: number; ops: number }> {
    const atMs = now();
    const laneKeys: string[] = [];
    for (const [time, set] of dueLanes) {
      if (time > atMs) continue;
      for (const laneKey of set) laneKeys.push(laneKey);
    }
    if (laneKeys.length === 0) return { outcome: 'OK', lanes: 0, ops: 0 };
    const { ops, after } = planWrites(laneKeys, atMs);
    const outcome = ops.length === 0 ? 'OK' : await store.write(keys, epoch, ops);
    if (outcome === 'OK') {
      commitWritten(after);
      for (const laneKey of laneKeys) {
        const lane = lanes.get(laneKey);
        if (lane !== undefined) schedule(laneKey, lane, atMs);
      }
      prune(laneKeys, atMs);
    }
    return { outcome, lanes: laneKeys.length, ops: ops.length };
  }

  async function checkpointNow(): Promise<{ outcome: WriteOutcome; offset: number | null }> {
    if (nextOffset === null || (dirty.size === 0 && removed.size === 0 && checkpointedOffset === nextOffset)) {
      return { outcome: 'OK', offset: null };
    }
    const atMs = now();
    const offset = nextOffset;
    const outcome = await store.write(keys, epoch, planCheckpoint(atMs, offset));
    if (outcome === 'OK') afterCheckpoint(atMs, offset);
    return { outcome, offset: outcome === 'OK' ? offset : null };
  }

  return {
    kind,
    partition,
    keys,
    get size() {
      return lanes.size;
    },
    get nextOffset() {
      return nextOffset;
    },
    get nextDueAtMs() {
      let min: number | null = null;
      for (const time of dueLanes.keys()) if (min === null || time < min) min = time;
      return min;
    },
    expectFrom(offset) {
      if (nextOffset === null) nextOffset = offset;
    },
    checkpointDue(atMs) {
      return (
        atMs - lastCheckpointAt >= options.checkpointIntervalMs &&
        nextOffset !== null &&
        (dirty.size > 0 || removed.size > 0 || checkpointedOffset !== nextOffset)
      );
    },
    restore: (highWatermark) => enqueue(() => restoreNow(highWatermark)),
    applyBatch: (records, endOffset) => guarded(() => applyNow(records, endOffset)),
    flushDue: () => guarded(flushDueNow),
    probe: () => guarded(() => store.probe(keys, epoch)),
    checkpoint: () => guarded(checkpointNow),
    forgetErased: (fresh) => guarded(() => forgetNow(fresh)),
  };
}
