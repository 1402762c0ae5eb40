/**
 * The reconciler's Redis: it reads a shopper's lane snapshots (the aggregator's checkpointed
 * feature-core state, found through the published layout) and writes drift in the layout of
 * @tandem/infra/drift-keys, one atomic script per compared digest. Through the aggregator's
 * transport (ioredis or @upstash/redis), like every other Redis access of this app.
 */
import {
  type DriftRecord,
  deserializeSessionLane,
  deserializeUserLane,
  type EngineConfig,
  type ServerLanesForDigest,
} from '@tandem/feature-core';
import {
  DRIFT_RETENTION_MS,
  type DriftHistoryPoint,
  driftBucket,
  driftKeys,
  LATEST_MISMATCHES,
  SHOPPER_HISTORY,
} from '@tandem/infra/drift-keys';
import { type LaneLayout, laneSnapshotKey, layoutKey, parseLaneLayout } from '@tandem/infra/lane-state';
import { createErasureWatch, type ErasureWatch } from '../erasure.js';
import { luaScript, type RedisTransport } from '../redis/transport.js';

/**
 * KEYS: minute, latest, drifting, shopper, history, meta.
 * ARGV: retentionMs, nowMs, latestMax, historyMax, shopperJson, historyJson, latestJson ('' when the
 * digest agreed), userKey, n, then n pairs of counter name and increment.
 */
const RECORD_SCRIPT = luaScript(`
local retention = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local n = tonumber(ARGV[9])
for i = 0, n - 1 do
  local name = ARGV[10 + 2 * i]
  local by = ARGV[11 + 2 * i]
  if string.find(by, '[.eE]') then
    redis.call('HINCRBYFLOAT', KEYS[1], name, by)
  else
    redis.call('HINCRBY', KEYS[1], name, by)
  end
end
redis.call('PEXPIRE', KEYS[1], retention)
redis.call('SET', KEYS[4], ARGV[5], 'PX', retention)
redis.call('LPUSH', KEYS[5], ARGV[6])
redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[4]) - 1)
redis.call('PEXPIRE', KEYS[5], retention)
if ARGV[7] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[7])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
  redis.call('ZADD', KEYS[3], now, ARGV[8])
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - retention)
redis.call('HSET', KEYS[6], 'lastComparedAtMs', now)
return 1`);

/** KEYS: meta. ARGV: nowMs, pending. */
const HEARTBEAT_SCRIPT = luaScript(`
redis.call('HSET', KEYS[1], 'lastSeenAtMs', ARGV[1], 'pending', ARGV[2])
return 1`);

export type LanesRead =
  | { readonly ok: true; readonly lanes: ServerLanesForDigest }
  | { readonly ok: false; readonly reason: 'no_layout' | 'unreadable_snapshot'; readonly detail: string };

export interface DriftStore {
  /** The server's lanes of a user key and a session key, from their snapshots. */
  readLanes(userKey: string, sessionKey: string): Promise<LanesRead>;
  /** Records one compared digest: counters, the shopper's record and history, the latest mismatches. */
  record(record: DriftRecord, increments: readonly (readonly [string, number])[]): Promise<void>;
  /** Tells the dashboard the reconciler is alive and how many digests wait. */
  heartbeat(nowMs: number, pending: number): Promise<void>;
  /**
   * The erasure registry, read through the aggregator's own watch (one GET of its version per
   * refresh): digests of erased shoppers are dropped (docs/decisions/0008-erasure.md).
   */
  readonly erasures: ErasureWatch;
}

export interface DriftStoreOptions {
  /** The aggregator's consumer group: lane snapshots and drift keys are per group. */
  readonly group: string;
  readonly engine: EngineConfig;
  readonly now?: () => number;
  /** How long a read layout is trusted (it changes only when lane topics are recreated). */
  readonly layoutTtlMs?: number;
}

export function createDriftStore(transport: RedisTransport, options: DriftStoreOptions): DriftStore {
  const now = options.now ?? Date.now;
  const keys = driftKeys(options.group);
  const layoutTtl = options.layoutTtlMs ?? 30_000;
  let cached: { layout: LaneLayout; readAtMs: number } | null = null;

  async function layout(): Promise<LaneLayout | null> {
    if (cached !== null && now() - cached.readAtMs < layoutTtl) return cached.layout;
    const [text] = await transport.mget([layoutKey(options.group)]);
    const found = parseLaneLayout(text ?? null);
    cached = found === null ? null : { layout: found, readAtMs: now() };
    return found;
  }

  return {
    erasures: createErasureWatch(transport),
    async readLanes(userKey, sessionKey) {
      const current = await layout();
      if (current === null)
        return { ok: false, reason: 'no_layout', detail: `no aggregator of group ${options.group} has started` };
      const [userText, sessionText] = await transport.mget([
        laneSnapshotKey(current, 'user', userKey),
        laneSnapshotKey(current, 'session', sessionKey),
      ]);
      const user = userText ? deserializeUserLane(userText, options.engine) : null;
      const session = sessionText ? deserializeSessionLane(sessionText, options.engine) : null;
      if (user?.ok === false) return { ok: false, reason: 'unreadable_snapshot', detail: `user lane: ${user.detail}` };
      if (session?.ok === false)
        return { ok: false, reason: 'unreadable_snapshot', detail: `session lane: ${session.detail}` };
      return {
        ok: true,
        lanes: { definitionVersion: current.definitionVersion, user: user?.value, session: session?.value },
      };
    },
    async record(record, increments) {
      const history: DriftHistoryPoint = {
        comparedAtMs: record.comparedAtMs,
        digestAtMs: record.digestAtMs,
        differing: record.differing,
        cause: record.cause,
        browserEvents: record.events.browser,
        serverEvents: record.events.server,
      };
      const latest = record.agree
        ? ''
        : JSON.stringify({ ...record, fields: record.fields.filter((f) => f.outcome !== 'match') });
      const args = [
        String(DRIFT_RETENTION_MS),
        String(record.comparedAtMs),
        String(LATEST_MISMATCHES),
        String(SHOPPER_HISTORY),
        JSON.stringify(record),
        JSON.stringify(history),
        latest,
        record.userKey,
        String(increments.length),
      ];
      for (const [name, by] of increments) args.push(name, String(by));
      await transport.evalScript(
        RECORD_SCRIPT,
        [
          keys.minute(driftBucket(record.comparedAtMs)),
          keys.latest,
          keys.drifting,
          keys.shopper(record.userKey),
          keys.history(record.userKey),
          keys.meta,
        ],
        args,
      );
    },
    async heartbeat(nowMs, pending) {
      await transport.evalScript(HEARTBEAT_SCRIPT, [keys.meta], [String(nowMs), String(pending)]);
    },
  };
}
