/**
 * Digests waiting to be compared. A digest is compared once settled: `settleMs` after it arrived (the
 * aggregator has checkpointed the lanes holding its events by then), or, while the server still lacks
 * the digest's last event, again every `retryMs` until `maxWaitMs` (a lost beacon never arrives).
 * Pure: the clock is passed in.
 */

export interface Waiting<T> {
  readonly item: T;
  readonly arrivedAtMs: number;
  dueAtMs: number;
  attempts: number;
}

export interface SettleQueue<T> {
  add(item: T, nowMs: number): void;
  /** Items due at `nowMs`, oldest due first, at most `limit`; they leave the queue. */
  takeDue(nowMs: number, limit: number): Waiting<T>[];
  /** Puts an item back for another try; false when its wait is over (compare it now). */
  retry(waiting: Waiting<T>, nowMs: number): boolean;
  /** Puts an item back to be tried at `dueAtMs` whatever its wait (the store failed, not the data). */
  putBack(waiting: Waiting<T>, dueAtMs: number): void;
  readonly size: number;
  /** Items still waiting, for committing offsets below them. */
  items(): Iterable<T>;
}

export interface SettleOptions {
  readonly settleMs: number;
  readonly maxWaitMs: number;
  readonly retryMs?: number;
}

export function createSettleQueue<T>(options: SettleOptions): SettleQueue<T> {
  const retryMs = options.retryMs ?? 2_000;
  const waiting: Waiting<T>[] = [];
  return {
    add(item, nowMs) {
      waiting.push({ item, arrivedAtMs: nowMs, dueAtMs: nowMs + options.settleMs, attempts: 0 });
    },
    takeDue(nowMs, limit) {
      const due = waiting
        .filter((w) => w.dueAtMs <= nowMs)
        .sort((a, b) => a.dueAtMs - b.dueAtMs)
        .slice(0, limit);
      for (const w of due) {
        waiting.splice(waiting.indexOf(w), 1);
        w.attempts++;
      }
      return due;
    },
    retry(w, nowMs) {
      if (nowMs - w.arrivedAtMs >= options.maxWaitMs) return false;
      w.dueAtMs = Math.min(nowMs + retryMs, w.arrivedAtMs + options.maxWaitMs);
      waiting.push(w);
      return true;
    },
    putBack(w, dueAtMs) {
      w.dueAtMs = dueAtMs;
      waiting.push(w);
    },
    get size() {
      return waiting.length;
    },
    *items() {
      for (const w of waiting) yield w.item;
    },
  };
}
