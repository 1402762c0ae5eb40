/**
 * Reads a shopper's lane snapshots, the aggregator's authoritative feature-core state, from Redis
 * through `@upstash/redis`: the user lane and the session lane in feature-core's wire format, found
 * through the layout the aggregator publishes (@tandem/infra/lane-state). The browser rebases on
 * them; redemption claims are checked against the user lane.
 *
 * A snapshot is as fresh as the aggregator's last checkpoint of its partition (every 5 s), so it
 * covers a shopper's events up to a few seconds ago; the browser re-applies its later ones.
 */
import { ERASURE_REGISTRY_KEY, erasureField, parseErasureRegistry, shopperErasedAt } from '@tandem/infra/erasure';
import { type LaneLayout, laneSnapshotKey, layoutKey, parseLaneLayout } from '@tandem/infra/lane-state';
import type { Redis } from '@upstash/redis';
import { requestCookies, type ShopperKeys, shopperKeys } from './features-api';

export type SnapshotRedis = Pick<Redis, 'get' | 'pipeline'>;

export interface ShopperLanes {
  /** Null while no aggregator of the group has started (nothing to read). */
  readonly layout: LaneLayout | null;
  readonly user: string | null;
  readonly session: string | null;
  /** When the shopper (user or session key) was erased, epoch ms; null when never. */
  readonly erasedAtMs: number | null;
  readonly readAt: number;
}

export interface LaneSnapshotReader {
  read(keys: ShopperKeys): Promise<ShopperLanes>;
}

export interface LaneSnapshotOptions {
  /** The aggregator's consumer group (CONSUMER_GROUP). */
  readonly group: string;
  readonly now?: () => number;
  /** How long a read layout is trusted; it changes only when lane topics are recreated. */
  readonly layoutTtlMs?: number;
}

export function createLaneSnapshotReader(redis: SnapshotRedis, options: LaneSnapshotOptions): LaneSnapshotReader {
  const now = options.now ?? Date.now;
  const ttl = options.layoutTtlMs ?? 30_000;
  let cached: { layout: LaneLayout; readAtMs: number } | null = null;

  async function layout(): Promise<LaneLayout | null> {
    if (cached !== null && now() - cached.readAtMs < ttl) return cached.layout;
    const found = parseLaneLayout((await redis.get<string>(layoutKey(options.group))) ?? null);
    cached = found === null ? null : { layout: found, readAtMs: now() };
    return found;
  }

  return {
    async read(keys) {
      const current = await layout();
      const wanted = [
        current === null || keys.userKey === null ? null : laneSnapshotKey(current, 'user', keys.userKey),
        current === null || keys.sessionKey === null ? null : laneSnapshotKey(current, 'session', keys.sessionKey),
      ];
      const present = wanted.filter((key): key is string => key !== null);
      // Erasure (docs/decisions/0008-erasure.md): the registry's fields of these keys, in the same round trip.
      const erasure = [
        keys.userKey === null ? null : erasureField('user', keys.userKey),
        keys.sessionKey === null ? null : erasureField('session', keys.sessionKey),
      ].filter((field): field is string => field !== null);
      let results: unknown[] = [];
      if (present.length > 0 || erasure.length > 0) {
        const pipeline = redis.pipeline();
        for (const key of present) pipeline.get(key);
        if (erasure.length > 0) pipeline.hmget(ERASURE_REGISTRY_KEY, ...erasure);
        results = await pipeline.exec();
      }
      let next = 0;
      const take = (key: string | null) => {
        if (key === null) return null;
        const value = results[next++];
        return typeof value === 'string' ? value : null;
      };
      const user = take(wanted[0] ?? null);
      const session = take(wanted[1] ?? null);
      const erasedAtMs = shopperErasedAt(
        parseErasureRegistry(erasureFields(erasure, results[next])),
        keys.userKey,
        keys.sessionKey,
      );
      return { layout: current, user, session, erasedAtMs, readAt: now() };
    },
  };
}

/** An HMGET result (an array of values, or an object by field with some client settings) as a record. */
function erasureFields(fields: readonly string[], result: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  fields.forEach((field, i) => {
    const value = Array.isArray(result)
      ? result[i]
      : result !== null && typeof result === 'object'
        ? (result as Record<string, unknown>)[field]
        : null;
    if (value !== null && value !== undefined) record[field] = String(value);
  });
  return record;
}

/** What `GET /api/features/state` answers: the shopper's keys, the lanes, and their definition version. */
export interface LaneStateBody extends ShopperKeys {
  /** The definition version the lanes were computed with; null when no aggregator published one. */
  readonly definitionVersion: string | null;
  readonly user: string | null;
  readonly session: string | null;
  /**
   * When this shopper was erased (epoch ms), null when never: a browser whose stored state was made
   * before it deletes that state and starts empty.
   */
  readonly erasedAtMs: number | null;
  readonly readAt: number;
}

/** The route's answer: the body, or 503 when Redis cannot be read. Never cached. */
export async function laneStateResponse(
  reader: LaneSnapshotReader | undefined,
  userId: string | null,
  request: Request,
  log: (line: string) => void = (line) => console.warn(`[features] ${line}`),
): Promise<Response> {
  const headers = { 'cache-control': 'private, no-store' };
  if (reader === undefined)
    return Response.json(
      { error: { code: 'unavailable', message: 'features store not configured' } },
      { status: 503, headers },
    );
  try {
    const keys = shopperKeys(userId, requestCookies(request));
    const lanes = await reader.read(keys);
    const body: LaneStateBody = {
      ...keys,
      definitionVersion: lanes.layout?.definitionVersion ?? null,
      user: lanes.user,
      session: lanes.session,
      erasedAtMs: lanes.erasedAtMs,
      readAt: lanes.readAt,
    };
    return Response.json(body, { headers });
  } catch (error) {
    log(`state read failed: ${error instanceof Error ? error.message : String(error)}`);
    return Response.json(
      { error: { code: 'unavailable', message: 'features store unavailable' } },
      { status: 503, headers },
    );
  }
}
