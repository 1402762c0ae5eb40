/**
 * Rate limits of the store's API (offer redemption), counted in Redis so every store process shares
 * them: a fixed window per limited thing, opened by its first request. One round trip, atomic (MULTI:
 * SET NX PX opens the window, INCR counts, PTTL says when it closes), through `@upstash/redis`.
 *
 * The counted thing is named by a hash (`tandem:rate:<scope>:<32 hex>`), never by the raw IP or
 * browser id: the keys live at most one window and say nothing of who they count.
 */
import { createHash } from 'node:crypto';
import type { Redis } from '@upstash/redis';

export type RateRedis = Pick<Redis, 'multi'>;

export interface RateLimit {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export type RateDecision =
  | { readonly allowed: true; readonly count: number }
  /** `retryAfterS`: whole seconds until the window closes, at least 1 (the `Retry-After` header). */
  | { readonly allowed: false; readonly count: number; readonly retryAfterS: number };

export function rateKey(scope: string, id: string): string {
  const digest = createHash('sha256').update(`tandem-rate\0${scope}\0${id}`).digest('hex').slice(0, 32);
  return `tandem:rate:${scope}:${digest}`;
}

/** Counts one request of `id` in `scope` and decides it. Throws when Redis cannot be reached. */
export async function takeRateToken(
  redis: RateRedis,
  scope: string,
  id: string,
  { limit, windowMs }: RateLimit,
): Promise<RateDecision> {
  const key = rateKey(scope, id);
  const [, counted, ttl] = await redis
    .multi()
    .set(key, 0, { nx: true, px: windowMs })
    .incr(key)
    .pttl(key)
    .exec<[unknown, number, number]>();
  const count = Number(counted);
  if (count <= limit) return { allowed: true, count };
  // PTTL is -1 only if the key lost its expiry (it never should): then the whole window.
  const leftMs = Number(ttl) > 0 ? Number(ttl) : windowMs;
  return { allowed: false, count, retryAfterS: Math.max(1, Math.ceil(leftMs / 1000)) };
}

/** `REDEEM_RATE_LIMIT` style settings: `<requests>/<seconds>`, e.g. `10/600`. */
export function parseRateLimit(name: string, value: string | undefined, fallback: RateLimit): RateLimit {
  if (value === undefined || value.trim() === '') return fallback;
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const limit = match ? Number(match[1]) : Number.NaN;
  const seconds = match ? Number(match[2]) : Number.NaN;
  if (!(limit >= 1 && seconds >= 1 && seconds <= 86_400))
    throw new Error(`${name} must look like <requests>/<seconds> (e.g. 10/600), got '${value}'`);
  return { limit, windowMs: seconds * 1000 };
}

/**
 * The client's address from `X-Forwarded-For`: the rightmost entry not in `trustedProxies`. Next.js
 * sets the header to the socket's address only when the request has none, and passes a client's own
 * header through, so without a proxy in front that appends the address it sees, this is only as good
 * as the client's word: per-address limits need such a proxy (STORE_TRUSTED_PROXIES names it).
 */
export function clientAddress(forwardedFor: string | null, trustedProxies: readonly string[]): string {
  const hops = (forwardedFor ?? '')
    .split(',')
    .map((hop) => normalizeAddress(hop.trim()))
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return hops[0] ?? 'unknown';
}

function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
