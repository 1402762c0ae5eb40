/**
 * `POST /api/ops/erasure`: erases a shopper (docs/decisions/0008-erasure.md), the same work as
 * `npm run erase`, over the store's `@upstash/redis` client; plus what only this process holds: its
 * in-memory orders and signed-in sessions of the erased user keys.
 *
 * Body: `{ "userKeys": ["<user id or domain_userid>", ...], "sessionKeys": ["..."] }` (sessions
 * optional: the shopper's recorded sessions are found). Needs `Authorization: Bearer <OPS_TOKEN>`:
 * the dashboard's cookie is not accepted for a destructive call, so a page cannot trigger it
 * (outside production without OPS_TOKEN it is open, like the dashboard). Answers 200 with the
 * report (counts only, no keys), 400 for a bad body, 401/503 without the token, 503 without Redis.
 */
import { parseErasureRequest } from '@tandem/infra/erasure';
import { type ErasureRedis, type ErasureReport, eraseShopper } from '@tandem/infra/erasure-run';
import type { Redis } from '@upstash/redis';
import { authorizeOps, type OpsAuthConfig, opsAuthConfigFromEnv } from './drift-auth';
import { hashRecord } from './features-api';
import { jsonError, readJsonBody } from './http';
import { featuresRedis } from './redis-client';
import { shopState } from './state';

export type ErasureUpstash = Pick<
  Redis,
  'scan' | 'get' | 'del' | 'hgetall' | 'hset' | 'hdel' | 'incr' | 'zrem' | 'lrange' | 'lrem'
>;

/** `@upstash/redis` (created with `automaticDeserialization: false`) as the commands an erasure needs. */
export function upstashErasureClient(redis: ErasureUpstash): ErasureRedis {
  return {
    scan: async (cursor, pattern, count) => {
      const [next, keys] = await redis.scan(cursor, { match: pattern, count });
      return [String(next), keys.map(String)];
    },
    get: async (key) => {
      const value = await redis.get<string>(key);
      return value === null || value === undefined ? null : String(value);
    },
    del: async (keys) => (keys.length === 0 ? 0 : await redis.del(...keys)),
    hgetall: async (key) => hashRecord(await redis.hgetall(key)),
    hset: async (key, fields) => {
      await redis.hset(key, { ...fields });
    },
    hdel: async (key, fields) => (fields.length === 0 ? 0 : await redis.hdel(key, ...fields)),
    incr: async (key) => {
      await redis.incr(key);
    },
    zrem: async (key, members) => (members.length === 0 ? 0 : await redis.zrem(key, ...members)),
    lrange: async (key, start, stop) => (await redis.lrange<string>(key, start, stop)).map(String),
    lrem: (key, count, value) => redis.lrem(key, count, value),
  };
}

/** What the store's own memory held about the erased user keys, now forgotten. */
export interface LocalErasure {
  readonly orders: number;
  readonly sessions: number;
}

/** Forgets the orders and signed-in sessions of `userKeys` in this process's shop state. */
export function forgetLocalShopper(userKeys: readonly string[]): LocalErasure {
  const state = shopState();
  const users = new Set(userKeys);
  let orders = 0;
  let sessions = 0;
  for (const [id, order] of state.orders) {
    if (order.userId !== null && users.has(order.userId)) {
      state.orders.delete(id);
      orders++;
    }
  }
  for (const [id, userId] of state.sessions) {
    if (users.has(userId)) {
      state.sessions.delete(id);
      sessions++;
    }
  }
  return { orders, sessions };
}

export interface ErasureApiDeps {
  readonly redis: ErasureUpstash | undefined;
  readonly auth: OpsAuthConfig;
  /** Wait before the second pass (see erasure-run); default its own. */
  readonly settleMs?: number;
  readonly now?: () => number;
  readonly forgetLocal?: (userKeys: readonly string[]) => LocalErasure;
  readonly log?: (line: string) => void;
}

export interface ErasureBody extends ErasureReport {
  readonly store: LocalErasure;
}

export async function erasureResponse(deps: ErasureApiDeps, request: Request): Promise<Response> {
  const log = deps.log ?? ((line: string) => console.warn(`[ops] ${line}`));
  const decision = authorizeOps(deps.auth, { authorization: request.headers.get('authorization') });
  if (!decision.ok) return jsonError(decision.status, decision.code, decision.message);
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const parsed = parseErasureRequest(read.body);
  if (!parsed.ok) return jsonError(400, 'bad_request', parsed.detail);
  if (deps.redis === undefined) return jsonError(503, 'unavailable', 'features store not configured');
  try {
    const report = await eraseShopper(upstashErasureClient(deps.redis), parsed.request, {
      ...(deps.settleMs === undefined ? {} : { settleMs: deps.settleMs }),
      ...(deps.now === undefined ? {} : { now: deps.now }),
    });
    const store = (deps.forgetLocal ?? forgetLocalShopper)(parsed.request.userKeys);
    const body: ErasureBody = { ...report, store };
    // Counts only: the log must not become a list of the people who asked to be forgotten.
    log(`erasure done: ${report.userKeys} user key(s), ${report.sessionKeys} session(s)`);
    return Response.json(body, { headers: { 'cache-control': 'no-store' } });
  } catch (error) {
    log(`erasure failed: ${error instanceof Error ? error.message : String(error)}`);
    return jsonError(503, 'unavailable', 'features store unavailable: nothing is guaranteed erased, retry');
  }
}

/** The process's dependencies: the features client and OPS_TOKEN. */
export function erasureApiDeps(): ErasureApiDeps {
  return { redis: featuresRedis(), auth: opsAuthConfigFromEnv(process.env) };
}
