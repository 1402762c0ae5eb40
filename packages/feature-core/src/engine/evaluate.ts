/**
 * Evaluation at a time: a lane's feature values as of `atMs` (windows shrink as events age out),
 * serialized canonically, with each value's key lifetime and the fields whose caps overflowed.
 */
import { serializeValue } from '../canonical.js';
import {
  type FeatureDefinition,
  hasOverflowed,
  ROLLING_FEATURES,
  SESSION_FEATURES,
  USER_FEATURES,
} from '../definitions.js';
import { HASH_META_FIELDS, rollingField } from '../keys.js';
import { type SessionLane, sessionExpiresAtMs } from './session-lane.js';
import {
  type EventPosition,
  type UserLane,
  userLaneAsOf,
  userLaneUpTo,
  type WindowView,
  windowExpiresAtMs,
  windowView,
} from './user-lane.js';
import { LONGEST_WINDOW, tileIndex, tileLeavesAtMs, WINDOWS, type WindowId, type WindowSpec } from './windows.js';

/** Feature values of one lane at one time. */
export interface LaneValues {
  /** Field (`product_view_count_5m`, `session_page_count`) → canonical value; empty values absent. */
  readonly values: Map<string, string>;
  /** Field → epoch ms when its key should expire. */
  readonly expiresAtMs: Map<string, number>;
  /** Fields whose capped sets overflowed: left out of browser/server comparison. */
  readonly overflowed: string[];
}

function emptyLaneValues(): LaneValues {
  return { values: new Map(), expiresAtMs: new Map(), overflowed: [] };
}

function put(
  out: LaneValues,
  def: FeatureDefinition,
  field: string,
  raw: unknown,
  expiresAtMs: number | null,
  overflow: number,
) {
  const value = serializeValue(def.type, raw as never);
  if (value === null) return;
  out.values.set(field, value);
  if (expiresAtMs !== null) out.expiresAtMs.set(field, expiresAtMs);
  if (overflow !== 0 && hasOverflowed(def, overflow)) out.overflowed.push(field);
}

/** Per window (in `WINDOWS` order), its rolling features with their field names, built once. */
const ROLLING_FIELDS = WINDOWS.map((spec) =>
  ROLLING_FEATURES.filter((def) => def.windows.includes(spec.id)).map((def) => ({
    def,
    field: rollingField(def.name, spec.id),
  })),
);

/**
 * Evaluates the user features of a lane at `atMs`: every one, or only the fields in `only` (the
 * browser decides offers on every event from the few fields its rules read, and builds the rest
 * once per snapshot). Windows no wanted field reads are not merged. Pure.
 */
export function evaluateUserLane(lane: UserLane, atMs: number, only?: ReadonlySet<string>): LaneValues {
  const out = emptyLaneValues();
  const wanted = (field: string) => only === undefined || only.has(field);
  const views: (WindowView | undefined)[] = [];
  const viewOf = (w: number): WindowView => {
    views[w] ??= windowView(lane, w, atMs);
    return views[w];
  };
  for (let w = 0; w < WINDOWS.length; w++) {
    const fields = (ROLLING_FIELDS[w] ?? []).filter(({ field }) => wanted(field));
    if (fields.length === 0) continue;
    const view = viewOf(w);
    const expiresAt = windowExpiresAtMs(lane, w);
    for (const { def, field } of fields) put(out, def, field, def.compute(view), expiresAt, view.overflow);
  }
  for (const def of USER_FEATURES) {
    if (!wanted(def.name)) continue;
    const view = viewOf(WINDOWS.findIndex((spec) => spec.id === def.window));
    const raw = def.compute(view);
    // An unwindowed value lives until the tile of the event that set it leaves its window.
    const expiresAt =
      typeof raw === 'number' ? tileLeavesAtMs(tileIndex(raw, LONGEST_WINDOW.tileMs), LONGEST_WINDOW) : null;
    put(out, def, def.name, raw, expiresAt, view.overflow);
  }
  return out;
}

/** A user lane's values right after one of its events, evaluated at a later time. */
export interface AsOfValues extends LaneValues {
  /** The event's time, epoch ms. */
  readonly eventTimeMs: number;
  /**
   * Windows whose values may count events after the cut-off: they had already been folded into the
   * tile the cut-off event is in and could not be taken out (see `userLaneAsOf`). Usually none.
   */
  readonly inexactWindows: readonly WindowId[];
}

/**
 * The lane's values as they were right after event `eventId` (the events up to and including it by
 * (time, event id)), evaluated at `atMs` (≥ the event's time, e.g. when a time-based rule turned
 * true). Null when the lane has not applied that event (not arrived yet, pruned, or not this
 * shopper's). Pure. The server's check of a redemption claim "rule R fired at event E" (FEATURES.md).
 */
export function evaluateUserLaneAsOf(lane: UserLane, eventId: string, atMs: number): AsOfValues | null {
  const cut = userLaneAsOf(lane, eventId);
  if (cut === null) return null;
  return {
    ...evaluateUserLane(cut.lane, Math.max(atMs, cut.eventTimeMs)),
    eventTimeMs: cut.eventTimeMs,
    inexactWindows: cut.inexactWindows.map((w) => (WINDOWS[w] as WindowSpec).id),
  };
}

/** A user lane's values over its events up to a position (see `userLaneUpTo`), evaluated at `atMs`. */
export interface UpToValues extends LaneValues {
  /** Windows whose values may count events after the position (folded into its tile). */
  readonly inexactWindows: readonly WindowId[];
}

/**
 * The lane's values over the events up to and including `upTo` (by (time, event id)), evaluated at
 * `atMs`. Pure. The reconciliation's server side: "the same events the browser's digest covered",
 * even when the server has applied later ones since.
 */
export function evaluateUserLaneUpTo(lane: UserLane, upTo: EventPosition, atMs: number): UpToValues {
  const cut = userLaneUpTo(lane, upTo);
  return {
    ...evaluateUserLane(cut.lane, atMs),
    inexactWindows: cut.inexactWindows.map((w) => (WINDOWS[w] as WindowSpec).id),
  };
}

/**
 * Evaluates every session feature of a lane at `atMs`. Pure. Session values do not change with time,
 * but they expire with their keys, 24 h after the session's last event: from then on there are none.
 */
export function evaluateSessionLane(lane: SessionLane, atMs: number, only?: ReadonlySet<string>): LaneValues {
  const out = emptyLaneValues();
  const expiresAt = sessionExpiresAtMs(lane);
  if (expiresAt !== null && atMs >= expiresAt) return out;
  for (const def of SESSION_FEATURES) {
    if (only === undefined || only.has(def.name)) put(out, def, def.name, def.compute(lane), expiresAt, lane.overflow);
  }
  return out;
}

/**
 * The fields of a lane's feature hash (`features:user:{u}` / `features:session:{s}`): every non-empty
 * feature under its field name, plus `_v` (definition version), `_at` (evaluation time, epoch ms),
 * `_events` (events applied) and, when a cap overflowed, `_overflow` (the affected fields, sorted,
 * comma-separated). Empty features are absent, as their string keys are.
 */
export function featureHashFields(
  lane: LaneValues,
  meta: { definitionVersion: string; evaluatedAtMs: number; eventsApplied: number },
): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [field, value] of lane.values) fields[field] = value;
  fields[HASH_META_FIELDS.version] = meta.definitionVersion;
  fields[HASH_META_FIELDS.evaluatedAt] = String(meta.evaluatedAtMs);
  fields[HASH_META_FIELDS.events] = String(meta.eventsApplied);
  if (lane.overflowed.length > 0) fields[HASH_META_FIELDS.overflow] = [...lane.overflowed].sort().join(',');
  return fields;
}
