/**
 * Erases a shopper from Redis (docs/decisions/0008-erasure.md), over any client that offers the few
 * commands below: the `erase` command adapts ioredis, the store's ops API `@upstash/redis`.
 *
 * 1. Register: the user keys (and the sessions the caller names) go into the erasure registry first,
 *    so the aggregator stops applying their events before anything is deleted.
 * 2. Find the shopper's sessions: the aggregator's `tandem:user-sessions:…` records and the drift
 *    records (which name the session they compared); register them too.
 * 3. Delete: feature keys and hashes, lane snapshots and their index entries (any consumer group),
 *    drift records (shopper, history, drifting set, latest list), offer codes issued to the browser,
 *    the session records.
 * 4. After `settleMs` (longer than the aggregator's registry poll), delete again: an aggregator may
 *    have written a lane it held in memory between step 1 and noticing the registry change.
 *
 * SCAN walks the whole keyspace (once per pattern): fine for a rare operator action; on a Redis
 * Cluster it must run per primary node.
 */
import {
  ERASURE_REGISTRY_KEY,
  ERASURE_VERSION_KEY,
  type ErasureRequest,
  erasureField,
  escapeGlob,
  expiredRegistryFields,
  parseErasureRegistry,
  sessionOfUserSessionKey,
  userSessionPattern,
} from './erasure.js';

/** The Redis commands an erasure needs; results as plain strings and numbers. */
export interface ErasureRedis {
  scan(cursor: string, pattern: string, count: number): Promise<readonly [string, readonly string[]]>;
  get(key: string): Promise<string | null>;
  del(keys: readonly string[]): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, fields: Readonly<Record<string, string>>): Promise<void>;
  hdel(key: string, fields: readonly string[]): Promise<number>;
  incr(key: string): Promise<void>;
  zrem(key: string, members: readonly string[]): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  lrem(key: string, count: number, value: string): Promise<number>;
}

/** What was deleted, by kind (keys, or entries of shared lists, sets and hashes). */
export interface ErasureCounts {
  /** `user:<u>:*`, `session:<s>:*` string keys and `features:user|session:*` hashes. */
  readonly featureKeys: number;
  /** `tandem:{group:kind:p}:state:<key>` lane snapshots. */
  readonly laneSnapshots: number;
  /** Entries of the lane partitions' indexes (`tandem:{…}:lanes`). */
  readonly laneIndexEntries: number;
  /** Drift shopper records and histories. */
  readonly driftRecords: number;
  /** Entries of the drifting set and the latest-mismatches list. */
  readonly driftEntries: number;
  /** Offer codes issued to the shopper's browser. */
  readonly offerCodes: number;
  /** `tandem:user-sessions:…` records. */
  readonly sessionRecords: number;
}

export interface ErasureReport {
  /** The erasure time registered, epoch ms: events dated up to it are never applied again. */
  readonly erasedAtMs: number;
  readonly userKeys: number;
  /** Session keys erased: the named ones and those found. */
  readonly sessionKeys: number;
  readonly sessionsFound: number;
  /** Deleted by the first pass. */
  readonly deleted: ErasureCounts;
  /** Deleted by the second pass (what an aggregator wrote before it noticed); all 0 when none ran. */
  readonly secondPass: ErasureCounts;
  /** Registry entries past their retention, removed. */
  readonly registryPruned: number;
}

export interface ErasureOptions {
  readonly now?: () => number;
  /** Wait before the second pass; 0 skips it. Default 3 s (the aggregator polls every second). */
  readonly settleMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const ERASURE_SETTLE_MS = 3_000;

const ZERO: ErasureCounts = {
  featureKeys: 0,
  laneSnapshots: 0,
  laneIndexEntries: 0,
  driftRecords: 0,
  driftEntries: 0,
  offerCodes: 0,
  sessionRecords: 0,
};

async function scanAll(redis: ErasureRedis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, pattern, 1_000);
    for (const key of keys) found.add(key);
    cursor = String(next);
  } while (cursor !== '0');
  return [...found];
}

async function deleteKeys(redis: ErasureRedis, keys: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500) deleted += await redis.del(keys.slice(i, i + 500));
  return deleted;
}

function jsonField(text: string, field: 'userKey' | 'sessionKey'): string | null {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

async function register(redis: ErasureRedis, fields: Readonly<Record<string, string>>): Promise<void> {
  if (Object.keys(fields).length === 0) return;
  await redis.hset(ERASURE_REGISTRY_KEY, fields);
  await redis.incr(ERASURE_VERSION_KEY);
}

/** One deletion pass over everything that names the user or session keys. */
async function sweep(redis: ErasureRedis, users: ReadonlySet<string>, sessions: ReadonlySet<string>) {
  const counts = { ...ZERO };
  const featureKeys: string[] = [];
  for (const user of users) {
    featureKeys.push(...(await scanAll(redis, `user:${escapeGlob(user)}:*`)), `features:user:${user}`);
  }
  for (const session of sessions) {
    featureKeys.push(...(await scanAll(redis, `session:${escapeGlob(session)}:*`)), `features:session:${session}`);
  }
  counts.featureKeys = await deleteKeys(redis, featureKeys);

  // Lane snapshots of every group and partition; each one's index entry goes with it.
  for (const laneKey of new Set([...users, ...sessions])) {
    const suffix = `:state:${laneKey}`;
    for (const snapshot of await scanAll(redis, `tandem:*:state:${escapeGlob(laneKey)}`)) {
      if (!snapshot.startsWith('tandem:{') || !snapshot.endsWith(suffix)) continue;
      counts.laneSnapshots += await redis.del([snapshot]);
      counts.laneIndexEntries += await redis.hdel(`${snapshot.slice(0, -suffix.length)}:lanes`, [laneKey]);
    }
  }
  // An index entry whose snapshot is already gone (it expired, or a pass deleted it before a
  // checkpoint wrote the index again).
  for (const index of await scanAll(redis, 'tandem:{*}:lanes')) {
    counts.laneIndexEntries += await redis.hdel(index, [...users, ...sessions]);
  }

  const driftRecords: string[] = [];
  for (const user of users) {
    const escaped = escapeGlob(user);
    driftRecords.push(
      ...(await scanAll(redis, `tandem:drift:*:shopper:${escaped}`)),
      ...(await scanAll(redis, `tandem:drift:*:history:${escaped}`)),
    );
  }
  counts.driftRecords = await deleteKeys(redis, driftRecords);
  for (const drifting of await scanAll(redis, 'tandem:drift:*:drifting')) {
    counts.driftEntries += await redis.zrem(drifting, [...users]);
  }
  for (const latest of await scanAll(redis, 'tandem:drift:*:latest')) {
    for (const entry of new Set(await redis.lrange(latest, 0, -1))) {
      const user = jsonField(entry, 'userKey');
      const session = jsonField(entry, 'sessionKey');
      if ((user !== null && users.has(user)) || (session !== null && sessions.has(session))) {
        counts.driftEntries += await redis.lrem(latest, 0, entry);
      }
    }
  }

  // Offer codes are issued per browser (domain_userid) and session: `tandem:offer:issued:<b>:<s>:<rule>`.
  const offers: string[] = [];
  for (const user of users) offers.push(...(await scanAll(redis, `tandem:offer:issued:${escapeGlob(user)}:*`)));
  for (const session of sessions) {
    offers.push(...(await scanAll(redis, `tandem:offer:issued:*:${escapeGlob(session)}:*`)));
  }
  counts.offerCodes = await deleteKeys(redis, [...new Set(offers)]);

  const records: string[] = [];
  for (const user of users) records.push(...(await scanAll(redis, userSessionPattern(user))));
  counts.sessionRecords = await deleteKeys(redis, records);
  return counts;
}

/** The sessions Redis knows a user key had: the aggregator's session records and the drift records. */
async function findSessions(redis: ErasureRedis, users: ReadonlySet<string>): Promise<Set<string>> {
  const found = new Set<string>();
  for (const user of users) {
    for (const key of await scanAll(redis, userSessionPattern(user))) {
      const session = sessionOfUserSessionKey(key);
      if (session !== null) found.add(session);
    }
    for (const key of await scanAll(redis, `tandem:drift:*:shopper:${escapeGlob(user)}`)) {
      const record = await redis.get(key);
      const session = record === null ? null : jsonField(record, 'sessionKey');
      if (session !== null) found.add(session);
    }
  }
  return found;
}

/** Erases everything Redis holds about the shopper (see the file comment). */
export async function eraseShopper(
  redis: ErasureRedis,
  request: ErasureRequest,
  options: ErasureOptions = {},
): Promise<ErasureReport> {
  const now = options.now ?? Date.now;
  const settleMs = options.settleMs ?? ERASURE_SETTLE_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const erasedAtMs = now();
  const at = String(erasedAtMs);
  const users = new Set(request.userKeys);
  const sessions = new Set(request.sessionKeys);

  const fields: Record<string, string> = {};
  for (const user of users) fields[erasureField('user', user)] = at;
  for (const session of sessions) fields[erasureField('session', session)] = at;
  await register(redis, fields);

  const found = [...(await findSessions(redis, users))].filter((session) => !sessions.has(session));
  const more: Record<string, string> = {};
  for (const session of found) {
    sessions.add(session);
    more[erasureField('session', session)] = at;
  }
  await register(redis, more);

  const deleted = await sweep(redis, users, sessions);
  let secondPass = ZERO;
  if (settleMs > 0) {
    await sleep(settleMs);
    secondPass = await sweep(redis, users, sessions);
  }

  const registry = parseErasureRegistry(await redis.hgetall(ERASURE_REGISTRY_KEY));
  const expired = expiredRegistryFields(registry, now());
  const registryPruned = expired.length === 0 ? 0 : await redis.hdel(ERASURE_REGISTRY_KEY, expired);

  return {
    erasedAtMs,
    userKeys: users.size,
    sessionKeys: sessions.size,
    sessionsFound: found.length,
    deleted,
    secondPass,
    registryPruned,
  };
}

/** The report as lines for people: what was deleted, with counts. */
export function describeErasure(report: ErasureReport): string[] {
  const total = (c: ErasureCounts) => Object.values(c).reduce((sum, n) => sum + n, 0);
  const row = (name: string, key: keyof ErasureCounts) =>
    `  ${name.padEnd(34)} ${String(report.deleted[key] + report.secondPass[key]).padStart(6)}`;
  return [
    `erased at ${new Date(report.erasedAtMs).toISOString()} (${report.erasedAtMs}): ${report.userKeys} user key(s), ` +
      `${report.sessionKeys} session key(s) (${report.sessionsFound} found in Redis)`,
    'deleted:',
    row('feature keys and hashes', 'featureKeys'),
    row('lane snapshots (checkpoints)', 'laneSnapshots'),
    row('lane index entries', 'laneIndexEntries'),
    row('drift records and histories', 'driftRecords'),
    row('drifting set / latest list entries', 'driftEntries'),
    row('offer codes', 'offerCodes'),
    row('user → session records', 'sessionRecords'),
    `  of which by the second pass       ${String(total(report.secondPass)).padStart(6)}`,
    `registry: events dated up to the erasure time are never applied again (${report.registryPruned} expired entries pruned)`,
  ];
}
