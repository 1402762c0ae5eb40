/**
 * The server's side of reconciliation: given a client digest and the server's own lanes of that
 * shopper (from its lane snapshots), the server's values over exactly the events the digest covers,
 * the comparison's record, and the counters the drift dashboard rolls up. Pure: lanes, clock offsets
 * and identity evidence are passed in.
 */
import {
  buildFeatureDigest,
  CLOCK_SKEW_THRESHOLD_MS,
  COMPARED_FIELDS,
  type DigestComparison,
  DRIFT_CAUSES,
  type DriftCause,
  type DriftStats,
  type FeatureDigest,
  type FieldComparison,
  type FieldDriftCounts,
  formatEventSetHash,
  type ServerSide,
} from './digest.js';
import { coverageStartMs, coveredEvents } from './engine/covered.js';
import { evaluateSessionLane, evaluateUserLane, evaluateUserLaneUpTo } from './engine/evaluate.js';
import { seenCount, seenId, seenTime } from './engine/seen-events.js';
import type { SessionLane } from './engine/session-lane.js';
import { type EventPosition, seenEventTime, type UserLane } from './engine/user-lane.js';
import { isAfter } from './engine/windows.js';
import { joinFeatureValues } from './rules.js';

/** The server's lanes of the digest's shopper, as its lane snapshots hold them. */
export interface ServerLanesForDigest {
  readonly definitionVersion: string;
  /** The lane of the digest's user key; undefined when the server has none. */
  readonly user?: UserLane | undefined;
  /** The lane of the digest's session key; undefined when the server has none. */
  readonly session?: SessionLane | undefined;
}

export interface ServerCutOptions {
  /** Device clock minus server clock, ms, as observed on the digest event (dvce_sent − collector). */
  readonly clockOffsetMs?: number | undefined;
  /** |offset| above this is clock skew: the server evaluates at the digest time moved to its clock. */
  readonly clockSkewThresholdMs?: number;
}

/** Why a field was left out of one comparison. */
export interface ExcludedFields {
  /**
   * Session fields, when the server's session lane has already applied events after the digest's
   * last one (a session lane keeps counts, not events, so it cannot be cut). The next digest covers them.
   */
  readonly superseded: readonly string[];
  /** User fields of windows whose cut tile already holds later folded events (see `userLaneUpTo`). */
  readonly inexact: readonly string[];
}

/** The server's values over the digest's events, and how they were cut. */
export interface ServerCut {
  readonly side: ServerSide;
  /** The position the server cut its events at: the digest's last event, or the digest time. */
  readonly upTo: EventPosition;
  /** Whether the server has the digest's last event (false: cut at the digest time instead). */
  readonly lastEventFound: boolean;
  /** When the server evaluated: the digest time, moved to the server's clock when it was skewed. */
  readonly atMs: number;
  readonly excluded: ExcludedFields;
  /** The server's latest covered events (up to 10, newest last): the evidence behind its count. */
  readonly recentEvents: readonly EventPosition[];
}

const RECENT_EVIDENCE = 10;

/** The latest covered events of the lanes, newest last (each id once). */
function recentCovered(lanes: ServerLanesForDigest, upTo: EventPosition, sinceMs: number): EventPosition[] {
  const byId = new Map<string, EventPosition>();
  for (const lane of [lanes.session, lanes.user]) {
    if (lane === undefined) continue;
    for (let i = seenCount(lane.seen) - 1; i >= 0; i--) {
      const t = seenTime(lane.seen, i);
      const id = seenId(lane.seen, i);
      if (t < sinceMs) break;
      if (isAfter(t, id, upTo.t, upTo.id)) continue;
      byId.set(id, { t, id });
      if (byId.size >= RECENT_EVIDENCE * 2) break;
    }
  }
  return [...byId.values()].sort((a, b) => (isAfter(a.t, a.id, b.t, b.id) ? 1 : -1)).slice(-RECENT_EVIDENCE);
}

/**
 * The server's side of a digest: its events up to the digest's last event (or up to the digest time
 * when the server never got that event), their count and hash, and its values over them evaluated
 * at the digest's time. User fields come from the user lane cut at that position; session fields only
 * when the session lane has nothing later (otherwise they are `superseded`). With a skewed device
 * clock the evaluation time is moved to the server's clock, so the comparison shows what the server's
 * authoritative values were at that moment.
 */
export function serverSideForDigest(
  digest: FeatureDigest,
  lanes: ServerLanesForDigest,
  options: ServerCutOptions = {},
): ServerCut {
  const threshold = options.clockSkewThresholdMs ?? CLOCK_SKEW_THRESHOLD_MS;
  const offset = options.clockOffsetMs;
  const atMs = offset !== undefined && Math.abs(offset) > threshold ? digest.t - offset : digest.t;
  const foundT =
    (lanes.session === undefined ? null : seenEventTime(lanes.session.seen, digest.e)) ??
    (lanes.user === undefined ? null : seenEventTime(lanes.user.seen, digest.e));
  // Without the digest's last event, "the same events" can only mean those up to the digest time:
  // the highest id sorts last, so every event at that millisecond is in.
  const upTo: EventPosition = foundT === null ? { t: digest.t, id: '\uffff' } : { t: foundT, id: digest.e };
  const sinceMs = coverageStartMs(digest.t);
  const covered = coveredEvents(lanes, { upTo, sinceMs });

  const user = lanes.user === undefined ? undefined : evaluateUserLaneUpTo(lanes.user, upTo, atMs);
  const sessionMovedOn =
    lanes.session !== undefined && isAfter(lanes.session.lastT, lanes.session.lastId, upTo.t, upTo.id);
  const session = lanes.session === undefined || sessionMovedOn ? undefined : evaluateSessionLane(lanes.session, atMs);

  const inexactWindows = new Set<string>(user?.inexactWindows ?? []);
  const superseded: string[] = [];
  const inexact: string[] = [];
  for (const { field, window, def } of COMPARED_FIELDS) {
    if (def.lane === 'session' && sessionMovedOn) superseded.push(field);
    else if (def.lane !== 'session' && inexactWindows.has(window)) inexact.push(field);
  }
  return {
    side: {
      definitionVersion: lanes.definitionVersion,
      eventCount: covered.count,
      eventSetHash: formatEventSetHash(covered.hash),
      values: joinFeatureValues(user?.values ?? new Map(), session?.values ?? new Map()),
      overflowed: [...(user?.overflowed ?? []), ...(session?.overflowed ?? [])],
      excluded: [...superseded, ...inexact],
    },
    upTo,
    lastEventFound: foundT !== null,
    atMs,
    excluded: { superseded, inexact },
    recentEvents: recentCovered(lanes, upTo, sinceMs),
  };
}

// ---------------------------------------------------------------------------------------------
// The browser's side

export interface ClientDigestInput {
  readonly definitionVersion: string;
  readonly userKey: string;
  readonly sessionKey: string;
  /** The browser's lanes of those keys (either may be missing). */
  readonly user?: UserLane | undefined;
  readonly session?: SessionLane | undefined;
  /** Evaluation time, epoch ms, on the device's clock. */
  readonly atMs: number;
}

/**
 * The digest of the browser's current lanes at `atMs`: every event they cover (from their seen-event
 * logs, the way the server counts them) and their compared values. Null when the lanes cover no event.
 */
export function clientDigest(input: ClientDigestInput): FeatureDigest | null {
  const lanes = { user: input.user, session: input.session };
  const covered = coveredEvents(lanes, { sinceMs: coverageStartMs(input.atMs) });
  if (covered.last === null) return null;
  const user = input.user === undefined ? undefined : evaluateUserLane(input.user, input.atMs);
  const session = input.session === undefined ? undefined : evaluateSessionLane(input.session, input.atMs);
  return buildFeatureDigest({
    definitionVersion: input.definitionVersion,
    userKey: input.userKey,
    sessionKey: input.sessionKey,
    lastEventId: covered.last.id,
    eventCount: covered.count,
    eventSetHash: covered.hash,
    atMs: input.atMs,
    values: [user?.values ?? new Map(), session?.values ?? new Map()],
    overflowed: [...(user?.overflowed ?? []), ...(session?.overflowed ?? [])],
  });
}

// ---------------------------------------------------------------------------------------------
// Records: what one comparison leaves behind (Redis, the drift topic, the dashboard)

/** One compared digest with its evidence. JSON-serializable; `schema` names this shape. */
export interface DriftRecord {
  readonly schema: 'tandem.drift/1';
  /** The digest event's own event id. */
  readonly digestEventId: string;
  readonly userKey: string;
  readonly sessionKey: string;
  /** The digest's evaluation time (device clock) and when the server compared it. */
  readonly digestAtMs: number;
  readonly comparedAtMs: number;
  /** When the server evaluated (digest time moved to the server's clock when skewed). */
  readonly serverAtMs: number;
  readonly definitionVersions: { readonly browser: string; readonly server: string };
  /** True when every compared field matched. */
  readonly agree: boolean;
  readonly cause: DriftCause | null;
  /** The digest's last event and whether the server had it. */
  readonly lastEventId: string;
  readonly lastEventFound: boolean;
  readonly events: {
    readonly browser: number;
    readonly server: number;
    /** Whether the event-id sets differ (hashes), even when the counts are equal. */
    readonly setsDiffer: boolean;
    /** The server's latest covered events, newest last. */
    readonly serverRecent: readonly EventPosition[];
  };
  readonly clockOffsetMs: number | null;
  readonly identityChanged: boolean;
  /** Fields compared (all, or only those that differ: see `differingOnly`). */
  readonly fields: readonly FieldComparison[];
  /** Fields that did not match (every compared field when the definition versions differ). */
  readonly differing: number;
  readonly compared: number;
  readonly excluded: ExcludedFields;
}

export interface DriftRecordInput {
  readonly digest: FeatureDigest;
  readonly digestEventId: string;
  readonly cut: ServerCut;
  readonly comparison: DigestComparison;
  readonly comparedAtMs: number;
  /** Keep only the fields that differ (for the drift topic); default false (all, side by side). */
  readonly differingOnly?: boolean;
}

export function buildDriftRecord(input: DriftRecordInput): DriftRecord {
  const { digest, cut, comparison } = input;
  const differing = comparison.fields.filter((f) => f.outcome !== 'match');
  return {
    schema: 'tandem.drift/1',
    digestEventId: input.digestEventId,
    userKey: digest.u,
    sessionKey: digest.s,
    digestAtMs: digest.t,
    comparedAtMs: input.comparedAtMs,
    serverAtMs: cut.atMs,
    definitionVersions: { browser: digest.v, server: cut.side.definitionVersion },
    agree: comparison.allMatch,
    cause: comparison.cause,
    lastEventId: digest.e,
    lastEventFound: cut.lastEventFound,
    events: {
      browser: digest.n,
      server: cut.side.eventCount,
      setsDiffer: comparison.causeInputs.eventSetsDiffer,
      serverRecent: cut.recentEvents,
    },
    clockOffsetMs: comparison.causeInputs.clockOffsetMs,
    identityChanged: comparison.causeInputs.identityChanged,
    fields: input.differingOnly === true ? differing : comparison.fields,
    differing: comparison.comparable ? differing.length : COMPARED_FIELDS.length,
    compared: comparison.fields.length,
    excluded: cut.excluded,
  };
}

// ---------------------------------------------------------------------------------------------
// Counters: drift rolled up in a flat hash of integers and decimals (Redis HINCRBY / HINCRBYFLOAT)

/**
 * Counter names of one comparison and how much each grows: `digests`, `agree`, `skipped`
 * (not comparable), `cause:<cause>`, and per field `f:<field>:<n|mismatch|missing|extra|smape_sum|smape_n>`
 * plus `excluded:<reason>`. Only non-zero increments are listed. Adding them to a hash, in any order
 * and by any number of writers, rolls up exactly what `accumulateDrift` does.
 */
export function driftCounterIncrements(comparison: DigestComparison, excluded?: ExcludedFields): [string, number][] {
  const out: [string, number][] = [['digests', 1]];
  if (comparison.allMatch) out.push(['agree', 1]);
  if (!comparison.comparable) out.push(['skipped', 1]);
  if (comparison.cause !== null) out.push([`cause:${comparison.cause}`, 1]);
  if (excluded !== undefined) {
    if (excluded.superseded.length > 0) out.push(['excluded:superseded', excluded.superseded.length]);
    if (excluded.inexact.length > 0) out.push(['excluded:inexact', excluded.inexact.length]);
  }
  for (const c of comparison.fields) {
    out.push([`f:${c.field}:n`, 1]);
    if (c.outcome !== 'match') out.push([`f:${c.field}:${c.outcome}`, 1]);
    if (c.smape !== undefined) {
      out.push([`f:${c.field}:smape_n`, 1]);
      if (c.smape !== 0) out.push([`f:${c.field}:smape_sum`, c.smape]);
    }
  }
  return out;
}

const COMPARED_BY_FIELD = new Map(COMPARED_FIELDS.map((c) => [c.field, c]));

/** Drift stats read back from a counter hash (unknown names are ignored). */
export function driftStatsFromCounters(counters: Readonly<Record<string, string | number>>): DriftStats {
  const num = (name: string): number => {
    const value = Number(counters[name] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  const causes = Object.fromEntries(DRIFT_CAUSES.map((c) => [c, num(`cause:${c}`)])) as Record<DriftCause, number>;
  const fields: Record<string, FieldDriftCounts> = {};
  for (const name of Object.keys(counters)) {
    if (!name.startsWith('f:') || !name.endsWith(':n')) continue;
    const field = name.slice(2, -2);
    const meta = COMPARED_BY_FIELD.get(field);
    if (meta === undefined) continue;
    fields[field] = {
      feature: meta.feature,
      window: meta.window,
      compared: num(name),
      mismatch: num(`f:${field}:mismatch`),
      missing: num(`f:${field}:missing`),
      extra: num(`f:${field}:extra`),
      smapeSum: num(`f:${field}:smape_sum`),
      smapeCount: num(`f:${field}:smape_n`),
    };
  }
  return { digests: num('digests'), skipped: num('skipped'), causes, fields };
}

/** Digests whose every compared field matched, from a counter hash. */
export function agreeingDigests(counters: Readonly<Record<string, string | number>>): number {
  const value = Number(counters.agree ?? 0);
  return Number.isFinite(value) ? value : 0;
}
