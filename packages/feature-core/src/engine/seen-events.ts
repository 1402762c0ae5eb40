/**
 * The events a lane has applied, for deduplication: (time, event id) pairs kept sorted in two
 * parallel arrays. Events mostly arrive in order, so the common check is one comparison with the
 * latest pair and an append; a late event costs a binary search. No string hashing, no per-event
 * allocation, and pruning by time drops a prefix.
 */
import { isAfter } from './windows.js';

export interface SeenEvents {
  readonly t: number[];
  readonly id: string[];
}

export function createSeenEvents(): SeenEvents {
  return { t: [], id: [] };
}

/** Position where (t, id) is or would be inserted. */
function search(seen: SeenEvents, t: number, id: string): number {
  let lo = 0;
  let hi = seen.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(t, id, seen.t[mid] as number, seen.id[mid] as string)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `markSeen` answers for a duplicate. */
export const DUPLICATE = -1;
/** `markSeen` answers when the set is full: nothing recorded, duplicates no longer recognised. */
export const FULL = -2;

/**
 * Records (t, id) unless it is already there. Returns the index it was stored at (so a lane can keep
 * a parallel array aligned), `DUPLICATE`, or `FULL` when `cap` pairs are stored: the caller applies
 * the event anyway and flags that duplicates can no longer be recognised.
 */
export function markSeen(seen: SeenEvents, t: number, id: string, cap: number): number {
  const n = seen.t.length;
  const isLatest = n === 0 || isAfter(t, id, seen.t[n - 1] as number, seen.id[n - 1] as string);
  const at = isLatest ? n : search(seen, t, id);
  if (!isLatest && seen.t[at] === t && seen.id[at] === id) return DUPLICATE;
  if (n >= cap) return FULL;
  if (isLatest) {
    seen.t.push(t);
    seen.id.push(id);
  } else {
    seen.t.splice(at, 0, t);
    seen.id.splice(at, 0, id);
  }
  return at;
}

/** Forgets every pair with time before `cutoffMs`. */
export function forgetSeenBefore(seen: SeenEvents, cutoffMs: number): void {
  let k = 0;
  while (k < seen.t.length && (seen.t[k] as number) < cutoffMs) k++;
  if (k > 0) {
    seen.t.splice(0, k);
    seen.id.splice(0, k);
  }
}
