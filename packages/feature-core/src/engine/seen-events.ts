/**
 * The events a lane has applied, for deduplication: (time, event id) pairs kept sorted by time.
 *
 * One flat array holds the pairs as [time − base, id, time − base, id, ...]. Times are stored
 * relative to the lane's first event so they stay small integers (V8 keeps them unboxed), and one
 * array means one place in memory to touch per event: on the server, lanes of thousands of shoppers
 * do not fit in the CPU cache, so every separate array costs a cache miss.
 *
 * Events mostly arrive in order, so the common check is one comparison with the latest pair and an
 * append; a late event costs a binary search. No string hashing, no per-event allocation, and
 * pruning by time drops a prefix.
 */
import { isAfter } from './windows.js';

export interface SeenEvents {
  /** Time the stored offsets are relative to; NaN until the first event. */
  base: number;
  /** [offset, id, offset, id, ...] in (time, id) order. */
  readonly log: (number | string)[];
}

export function createSeenEvents(): SeenEvents {
  return { base: Number.NaN, log: [] };
}

/** Number of pairs stored. */
export function seenCount(seen: SeenEvents): number {
  return seen.log.length >> 1;
}

/** Time of pair `i`, epoch ms. */
export function seenTime(seen: SeenEvents, i: number): number {
  return seen.base + (seen.log[i << 1] as number);
}

/** Event id of pair `i`. */
export function seenId(seen: SeenEvents, i: number): string {
  return seen.log[(i << 1) + 1] as string;
}

/** Late events are usually only a little late: look this many pairs back before bisecting. */
const NEAR_END = 16;

/** Position (in pairs) where (t, id) is or would be inserted, given it is not after the last pair. */
function search(seen: SeenEvents, offset: number, id: string): number {
  const log = seen.log;
  let hi = log.length >> 1;
  // Walk back from the end first: contiguous memory, so a few steps cost less than a bisection of
  // a long log, whose probes land far apart.
  const stop = Math.max(0, hi - NEAR_END);
  while (hi > stop && !isAfter(offset, id, log[(hi - 1) << 1] as number, log[((hi - 1) << 1) + 1] as string)) hi--;
  if (hi > stop || hi === 0) return hi;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(offset, id, log[mid << 1] as number, log[(mid << 1) + 1] as string)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `markSeen` answers for a duplicate. */
export const DUPLICATE = -1;
/** `markSeen` answers when the set is full: nothing recorded, duplicates no longer recognised. */
export const FULL = -2;

/**
 * Records (t, id) unless it is already there. Returns the index (in pairs) it was stored at, so a lane
 * can keep a parallel array aligned; `DUPLICATE`; or `FULL` when `cap` pairs are stored: the caller
 * applies the event anyway and flags that duplicates can no longer be recognised.
 */
export function markSeen(seen: SeenEvents, t: number, id: string, cap: number): number {
  if (Number.isNaN(seen.base)) seen.base = t;
  const offset = t - seen.base;
  const log = seen.log;
  const n = log.length >> 1;
  const isLatest = n === 0 || isAfter(offset, id, log[(n - 1) << 1] as number, log[((n - 1) << 1) + 1] as string);
  const at = isLatest ? n : search(seen, offset, id);
  if (!isLatest && log[at << 1] === offset && log[(at << 1) + 1] === id) return DUPLICATE;
  if (n >= cap) return FULL;
  if (isLatest) log.push(offset, id);
  else log.splice(at << 1, 0, offset, id);
  return at;
}

/** Forgets every pair with time before `cutoffMs`. */
export function forgetSeenBefore(seen: SeenEvents, cutoffMs: number): void {
  const cutoff = cutoffMs - seen.base;
  const log = seen.log;
  let k = 0;
  while (k < log.length && (log[k] as number) < cutoff) k += 2;
  if (k > 0) log.splice(0, k);
}
