/**
 * Which events a shopper's lanes cover: the union of the user lane's and the session lane's
 * seen-event logs, optionally cut at a position. Browser and server compute it the same way from the
 * same kind of lanes (the server from its lane snapshots), so a client digest can name "exactly
 * these events" and the server can check it without keeping an event log of its own.
 */
import { addEventId, EMPTY_EVENT_SET_HASH, type EventSetHash } from '../event-set-hash.js';
import { seenCount, seenId, seenTime } from './seen-events.js';
import type { SessionLane } from './session-lane.js';
import type { EventPosition, UserLane } from './user-lane.js';
import { isAfter, LONGEST_WINDOW, tileIndex } from './windows.js';

export interface CoveredEvents {
  /** Distinct events covered. */
  readonly count: number;
  /** Order-independent hash of their ids. */
  readonly hash: EventSetHash;
  /** The latest covered event by (time, event id); null when none. */
  readonly last: EventPosition | null;
}

export interface CoverageOptions {
  /** Leave out events after this position. */
  readonly upTo?: EventPosition;
  /** Leave out events before this time (see `coverageStartMs`). */
  readonly sinceMs?: number;
}

/**
 * Where coverage starts for a digest evaluated at `atMs`: the start of the second-oldest tile of the
 * 24 h window. A user lane forgets the ids of its oldest tile when it is pruned, which browser and
 * server do at different moments; counting only from the next tile keeps both sides' counts equal
 * for the 15 minutes after `atMs` a comparison may take.
 */
export function coverageStartMs(atMs: number): number {
  return (tileIndex(atMs, LONGEST_WINDOW.tileMs) - LONGEST_WINDOW.tiles + 2) * LONGEST_WINDOW.tileMs;
}

/** The events the lanes cover (each id once: user-lane events are also in the session lane). */
export function coveredEvents(
  lanes: { readonly user?: UserLane | undefined; readonly session?: SessionLane | undefined },
  options: CoverageOptions = {},
): CoveredEvents {
  const since = options.sinceMs ?? Number.NEGATIVE_INFINITY;
  const upTo = options.upTo;
  const ids = new Set<string>();
  let hash = EMPTY_EVENT_SET_HASH;
  let last: EventPosition | null = null;
  for (const lane of [lanes.session, lanes.user]) {
    if (lane === undefined) continue;
    const seen = lane.seen;
    for (let i = 0; i < seenCount(seen); i++) {
      const t = seenTime(seen, i);
      const id = seenId(seen, i);
      if (t < since || (upTo !== undefined && isAfter(t, id, upTo.t, upTo.id)) || ids.has(id)) continue;
      ids.add(id);
      hash = addEventId(hash, id);
      if (last === null || isAfter(t, id, last.t, last.id)) last = { t, id };
    }
  }
  return { count: ids.size, hash, last };
}
