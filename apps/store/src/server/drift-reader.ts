/**
 * Reads what the aggregator's reconciler recorded in Redis (layout: @tandem/infra/drift-keys, written
 * by apps/edge-aggregator/src/reconcile/drift-store.ts) for the drift dashboard, through the store's
 * `@upstash/redis` client: two pipelined round trips (the counters of the range, the latest mismatches,
 * the drifting shoppers and the meta hash; then each shopper's record and history).
 *
 * Rolled up with feature-core's own functions (`driftStatsFromCounters`, `agreeingDigests`,
 * `driftRatios`), so the dashboard reads the counters exactly as the reconciler means them.
 */
import {
  agreeingDigests,
  DRIFT_CAUSES,
  type DriftCause,
  type DriftRecord,
  driftRatios,
  driftStatsFromCounters,
  type FieldDriftRatios,
} from '@tandem/feature-core';
import { DRIFT_BUCKET_MS, type DriftHistoryPoint, driftKeys, recentDriftBuckets } from '@tandem/infra/drift-keys';
import type { Redis } from '@upstash/redis';

export type DriftRedis = Pick<Redis, 'pipeline'>;

/** One minute of comparisons. */
export interface DriftMinute {
  /** Start of the minute, epoch ms. */
  readonly startMs: number;
  readonly digests: number;
  /** Digests whose every compared field matched. */
  readonly agree: number;
  /** Digests that did not agree (drift or definition skew). */
  readonly drifted: number;
  /** agree ÷ digests and drifted ÷ digests, in [0, 1]; null in a minute without digests. */
  readonly agreementRate: number | null;
  readonly driftRate: number | null;
  /** Digests with drift, by cause. */
  readonly causes: Readonly<Record<DriftCause, number>>;
  /** Field → comparisons that did not match (mismatch + missing + extra), non-zero only. */
  readonly differingByField: Readonly<Record<string, number>>;
  /**
   * Field → share of that minute's comparisons of the field that did not match, in (0, 1], non-zero
   * only (a field absent from a minute with digests agreed, or was not compared).
   */
  readonly driftRateByField: Readonly<Record<string, number>>;
}

/** Per feature × window over the range: Chronon's ratios, plus the counts behind them. */
export interface FieldDrift extends FieldDriftRatios {
  readonly mismatch: number;
  readonly missing: number;
  readonly extra: number;
}

export interface DriftingShopper {
  readonly userKey: string;
  /** When the shopper last had a digest that did not agree, epoch ms. */
  readonly lastDriftAtMs: number;
  /** The shopper's latest comparison, every compared field side by side; null once expired. */
  readonly latest: DriftRecord | null;
  /** The shopper's comparisons, oldest first: how the gap closes after a rebase. */
  readonly history: readonly DriftHistoryPoint[];
}

export interface ReconcilerMeta {
  /** When the reconciler last recorded a comparison, epoch ms; null if never. */
  readonly lastComparedAtMs: number | null;
  /** The reconciler's last heartbeat, epoch ms; null if never. */
  readonly lastSeenAtMs: number | null;
  /** Digests waiting to settle at the last heartbeat. */
  readonly pending: number | null;
  /** `running`: a heartbeat within `aliveWithinMs`; `silent`: an older one; `never`: none at all. */
  readonly status: 'running' | 'silent' | 'never';
}

export interface DriftSnapshot {
  readonly group: string;
  readonly readAtMs: number;
  readonly range: { readonly minutes: number; readonly fromMs: number; readonly toMs: number };
  /** Oldest first, one per minute of the range (minutes without digests included). */
  readonly minutes: readonly DriftMinute[];
  readonly totals: {
    readonly digests: number;
    readonly agree: number;
    readonly skipped: number;
    readonly agreementRate: number | null;
    readonly causes: Readonly<Record<DriftCause, number>>;
    /** Fields left out of comparisons, by reason (`superseded`, `inexact`). */
    readonly excluded: Readonly<Record<string, number>>;
  };
  /** Compared fields in catalogue order (fields never compared in the range left out). */
  readonly fields: readonly FieldDrift[];
  /** The latest digests that did not agree, newest first (differing fields only). */
  readonly latestMismatches: readonly DriftRecord[];
  /** Most recently drifting shoppers first. */
  readonly shoppers: readonly DriftingShopper[];
  readonly meta: ReconcilerMeta;
}

export interface DriftReadOptions {
  /** Minutes up to and including the current one. Default 60, at most 24 × 60 (the retention). */
  readonly minutes?: number;
  /** Drifting shoppers to return. Default 10. */
  readonly shoppers?: number;
  /** Latest mismatches to return. Default 20. */
  readonly mismatches?: number;
}

export interface DriftReader {
  read(options?: DriftReadOptions): Promise<DriftSnapshot>;
}

export interface DriftReaderOptions {
  /** The aggregator's consumer group (CONSUMER_GROUP): drift keys are per group. */
  readonly group: string;
  readonly now?: () => number;
  /** A heartbeat younger than this means the reconciler runs. Default 30 s (it beats every few seconds). */
  readonly aliveWithinMs?: number;
}

export const DEFAULT_DRIFT_MINUTES = 60;
const MAX_MINUTES = 24 * 60;

/**
 * A hash reply as `@upstash/redis` gives it without automatic deserialization: a flat
 * `[field, value, ...]` array (RESP2), an object, or null for a missing key.
 */
export function hashReply(reply: unknown): Record<string, string> {
  if (reply === null || reply === undefined) return {};
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  if (typeof reply === 'object')
    return Object.fromEntries(Object.entries(reply as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return {};
}

function listReply(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))) : [];
}

function parseJson<T>(text: string | null | undefined): T | null {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Counter hashes added up name by name (HINCRBY / HINCRBYFLOAT values). */
export function sumCounters(hashes: readonly Readonly<Record<string, string>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const hash of hashes) {
    for (const [name, value] of Object.entries(hash)) {
      const n = Number(value);
      if (Number.isFinite(n)) out[name] = (out[name] ?? 0) + n;
    }
  }
  return out;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** One minute's figures from its counter hash (pure). */
export function driftMinute(startMs: number, counters: Readonly<Record<string, string | number>>): DriftMinute {
  const stats = driftStatsFromCounters(counters);
  const agree = agreeingDigests(counters);
  const differingByField: Record<string, number> = {};
  const driftRateByField: Record<string, number> = {};
  for (const [field, c] of Object.entries(stats.fields)) {
    const differing = c.mismatch + c.missing + c.extra;
    if (differing > 0) {
      differingByField[field] = differing;
      if (c.compared > 0) driftRateByField[field] = Math.min(1, differing / c.compared);
    }
  }
  return {
    startMs,
    digests: stats.digests,
    agree,
    drifted: Math.max(0, stats.digests - agree),
    agreementRate: ratio(agree, stats.digests),
    driftRate: ratio(Math.max(0, stats.digests - agree), stats.digests),
    causes: stats.causes,
    differingByField,
    driftRateByField,
  };
}

/** The range's totals and per-field drift from its minutes' counter hashes (pure). */
export function driftRollup(hashes: readonly Readonly<Record<string, string>>[]): {
  totals: DriftSnapshot['totals'];
  fields: FieldDrift[];
} {
  const counters = sumCounters(hashes);
  const stats = driftStatsFromCounters(counters);
  const agree = agreeingDigests(counters);
  const excluded: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters))
    if (name.startsWith('excluded:')) excluded[name.slice('excluded:'.length)] = value;
  const fields = driftRatios(stats).map((r): FieldDrift => {
    const c = stats.fields[r.field];
    return { ...r, mismatch: c?.mismatch ?? 0, missing: c?.missing ?? 0, extra: c?.extra ?? 0 };
  });
  const causes = Object.fromEntries(DRIFT_CAUSES.map((c) => [c, stats.causes[c]])) as Record<DriftCause, number>;
  return {
    totals: {
      digests: stats.digests,
      agree,
      skipped: stats.skipped,
      agreementRate: ratio(agree, stats.digests),
      causes,
      excluded,
    },
    fields,
  };
}

export function createDriftReader(redis: DriftRedis, options: DriftReaderOptions): DriftReader {
  const now = options.now ?? Date.now;
  const keys = driftKeys(options.group);
  const aliveWithin = options.aliveWithinMs ?? 30_000;

  return {
    async read(readOptions = {}) {
      const minutes = Math.min(Math.max(1, Math.floor(readOptions.minutes ?? DEFAULT_DRIFT_MINUTES)), MAX_MINUTES);
      const shopperCount = Math.max(0, Math.floor(readOptions.shoppers ?? 10));
      const mismatchCount = Math.max(0, Math.floor(readOptions.mismatches ?? 20));
      const readAtMs = now();
      const buckets = recentDriftBuckets(readAtMs, minutes);

      const first = redis.pipeline();
      for (const bucket of buckets) first.hgetall(keys.minute(bucket));
      first.lrange(keys.latest, 0, mismatchCount - 1);
      first.zrange(keys.drifting, 0, shopperCount - 1, { rev: true, withScores: true });
      first.hgetall(keys.meta);
      const replies = (await first.exec()) as unknown[];
      const minuteHashes = buckets.map((_, i) => hashReply(replies[i]));
      const latestMismatches = listReply(replies[buckets.length])
        .map((text) => parseJson<DriftRecord>(text))
        .filter((r): r is DriftRecord => r !== null);
      const ranked = listReply(replies[buckets.length + 1]);
      const metaHash = hashReply(replies[buckets.length + 2]);

      const drifting: { userKey: string; lastDriftAtMs: number }[] = [];
      for (let i = 0; i + 1 < ranked.length; i += 2)
        drifting.push({ userKey: ranked[i] as string, lastDriftAtMs: Number(ranked[i + 1]) });
      let shoppers: DriftingShopper[] = [];
      if (drifting.length > 0 && shopperCount > 0) {
        const second = redis.pipeline();
        for (const { userKey } of drifting) {
          second.get(keys.shopper(userKey));
          second.lrange(keys.history(userKey), 0, -1);
        }
        const found = (await second.exec()) as unknown[];
        shoppers = drifting.map(({ userKey, lastDriftAtMs }, i) => ({
          userKey,
          lastDriftAtMs,
          latest: parseJson<DriftRecord>(found[2 * i] as string | null),
          history: listReply(found[2 * i + 1])
            .map((text) => parseJson<DriftHistoryPoint>(text))
            .filter((p): p is DriftHistoryPoint => p !== null)
            .reverse(),
        }));
      }

      const lastSeenAtMs = numberOrNull(metaHash.lastSeenAtMs);
      const lastComparedAtMs = numberOrNull(metaHash.lastComparedAtMs);
      const heartbeat = Math.max(lastSeenAtMs ?? -1, lastComparedAtMs ?? -1);
      const { totals, fields } = driftRollup(minuteHashes);
      return {
        group: options.group,
        readAtMs,
        range: {
          minutes,
          fromMs: (buckets[0] ?? 0) * DRIFT_BUCKET_MS,
          toMs: ((buckets.at(-1) ?? 0) + 1) * DRIFT_BUCKET_MS,
        },
        minutes: buckets.map((bucket, i) => driftMinute(bucket * DRIFT_BUCKET_MS, minuteHashes[i] ?? {})),
        totals,
        fields,
        latestMismatches,
        shoppers,
        meta: {
          lastComparedAtMs,
          lastSeenAtMs,
          pending: numberOrNull(metaHash.pending),
          status: heartbeat < 0 ? 'never' : readAtMs - heartbeat <= aliveWithin ? 'running' : 'silent',
        },
      };
    },
  };
}
