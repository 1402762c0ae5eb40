/**
 * Where reconciliation keeps drift in Redis, shared by its writer (the aggregator's reconciler) and
 * its reader (the store's drift dashboard). Pure: key names and bucket arithmetic, no IO.
 *
 * Per consumer group of the aggregator (`tandem-features`), so two deployments never mix:
 * - `tandem:drift:{group}:minute:{epochMinute}`: a hash of counters for the digests compared in that
 *   minute (feature-core's `driftCounterIncrements` names: `digests`, `agree`, `cause:<cause>`,
 *   `f:<field>:n|mismatch|missing|extra|smape_sum|smape_n`, `excluded:<reason>`), grown with
 *   HINCRBY / HINCRBYFLOAT so any number of writers add up; kept `DRIFT_RETENTION_MS`.
 * - `tandem:drift:{group}:latest`: a list of the latest drift records that did not agree (JSON
 *   `DriftRecord`, differing fields only), newest first, at most `LATEST_MISMATCHES` long.
 * - `tandem:drift:{group}:drifting`: a sorted set of user keys, scored by the epoch ms of their
 *   latest digest that did not agree (older than the retention are removed on write).
 * - `tandem:drift:{group}:shopper:{userKey}`: the shopper's latest drift record, every compared
 *   field side by side (JSON `DriftRecord`); expires after the retention.
 * - `tandem:drift:{group}:history:{userKey}`: the shopper's latest comparisons, newest first, as
 *   JSON `DriftHistoryPoint`, at most `SHOPPER_HISTORY` long: how the gap closes after a rebase.
 * - `tandem:drift:{group}:meta`: a hash `{ lastComparedAtMs, pending }` the reconciler refreshes, so
 *   the dashboard can tell "no digests yet" from "the reconciler is not running".
 */

/** How long drift counters, records and histories are kept. */
export const DRIFT_RETENTION_MS = 24 * 60 * 60_000;
/** Length of the `latest` list. */
export const LATEST_MISMATCHES = 100;
/** Length of each shopper's history. */
export const SHOPPER_HISTORY = 60;
/** Counters are bucketed by minute. */
export const DRIFT_BUCKET_MS = 60_000;

export interface DriftKeys {
  minute(bucket: number): string;
  readonly latest: string;
  readonly drifting: string;
  shopper(userKey: string): string;
  history(userKey: string): string;
  readonly meta: string;
}

export function driftKeys(group: string): DriftKeys {
  const prefix = `tandem:drift:${group}`;
  return {
    minute: (bucket) => `${prefix}:minute:${bucket}`,
    latest: `${prefix}:latest`,
    drifting: `${prefix}:drifting`,
    shopper: (userKey) => `${prefix}:shopper:${userKey}`,
    history: (userKey) => `${prefix}:history:${userKey}`,
    meta: `${prefix}:meta`,
  };
}

/** The minute bucket of an epoch-ms time. */
export function driftBucket(atMs: number): number {
  return Math.floor(atMs / DRIFT_BUCKET_MS);
}

/** The buckets of the `minutes` minutes up to and including the one of `nowMs`, oldest first. */
export function recentDriftBuckets(nowMs: number, minutes: number): number[] {
  const last = driftBucket(nowMs);
  return Array.from({ length: minutes }, (_, i) => last - minutes + 1 + i);
}

/** One comparison in a shopper's history. */
export interface DriftHistoryPoint {
  /** When the server compared it, epoch ms. */
  readonly comparedAtMs: number;
  /** The digest's evaluation time (device clock). */
  readonly digestAtMs: number;
  /** Fields that did not match (0: browser and server agree). */
  readonly differing: number;
  readonly cause: string | null;
  /** Events the browser and the server counted. */
  readonly browserEvents: number;
  readonly serverEvents: number;
}
