/**
 * `GET /api/features`: the requesting shopper's own authoritative features, read from Redis in one
 * round trip (a pipeline of two HGETALLs through `@upstash/redis`, one HTTP request).
 *
 * Binding: the keys come only from the request's identity, never from a parameter. The user key is
 * the signed-in user id (from the httpOnly `tandem_session` cookie, mapped on the server), else the
 * browser tracker's domain_userid (`_sp_id.*` cookie); the session key is the tracker's session id
 * from the same cookie (FEATURES.md "Keys and identity"). What this does not prevent: the `_sp_id`
 * cookie is written by page scripts, so an anonymous shopper who learns another browser's
 * domain_userid can set it and read that browser's anonymous features (ids are random UUIDs that
 * only travel in that browser's own events). A signed-in shopper's user key cannot be chosen.
 */
import { sessionHashKey, userHashKey } from '@tandem/feature-core';
import type { Redis } from '@upstash/redis';
import { parseSpIdCookie, spIdCookieValue } from './snowplow-cookies';

export interface ShopperKeys {
  /** Signed-in user id, else domain_userid; null when neither is known. */
  readonly userKey: string | null;
  /** The tracker's session id; null when unknown. */
  readonly sessionKey: string | null;
}

export interface FeaturesBody extends ShopperKeys {
  readonly user: Record<string, string>;
  readonly session: Record<string, string>;
  /** When Redis was read, epoch ms. */
  readonly readAt: number;
}

/** The keys this request may read: from the server session and the tracker's cookie only. */
export function shopperKeys(userId: string | null, cookies: Iterable<{ name: string; value: string }>): ShopperKeys {
  const ids = parseSpIdCookie(spIdCookieValue(cookies));
  return { userKey: userId ?? ids?.domainUserId ?? null, sessionKey: ids?.sessionId ?? null };
}

/**
 * An HGETALL result as a record. With `automaticDeserialization: false` it is Redis's flat
 * `[field, value, ...]` array; an object (other client settings) is taken as it is; null is empty.
 */
export function hashRecord(result: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (Array.isArray(result)) {
    for (let i = 0; i + 1 < result.length; i += 2) record[String(result[i])] = String(result[i + 1]);
  } else if (result !== null && typeof result === 'object') {
    for (const [field, value] of Object.entries(result)) record[field] = String(value);
  }
  return record;
}

/** The subset of the Upstash client used here (a real `Redis` in the app and the tests). */
export type FeaturesRedis = Pick<Redis, 'pipeline'>;

/** Reads both hashes of `keys` in one pipeline (skipping a key that is unknown). */
export async function readShopperFeatures(
  redis: FeaturesRedis,
  keys: ShopperKeys,
  now: () => number = Date.now,
): Promise<FeaturesBody> {
  const hashes = [
    keys.userKey === null ? null : userHashKey(keys.userKey),
    keys.sessionKey === null ? null : sessionHashKey(keys.sessionKey),
  ];
  const wanted = hashes.filter((key): key is string => key !== null);
  let results: unknown[] = [];
  if (wanted.length > 0) {
    const pipeline = redis.pipeline();
    for (const key of wanted) pipeline.hgetall(key);
    results = await pipeline.exec();
  }
  const readAt = now();
  let next = 0;
  const take = (key: string | null) => (key === null ? {} : hashRecord(results[next++]));
  const user = take(hashes[0] ?? null);
  const session = take(hashes[1] ?? null);
  return { ...keys, user, session, readAt };
}

/** Name/value pairs of a `Cookie` request header. */
export function requestCookies(request: Request): { name: string; value: string }[] {
  const pairs: { name: string; value: string }[] = [];
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const raw = part.slice(at + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded: keep it as it is.
    }
    pairs.push({ name: part.slice(0, at).trim(), value });
  }
  return pairs;
}

/**
 * The route's answer for `request`: the body, or 503 when Redis cannot be read. Never cached. Only
 * the request's cookies and the signed-in user (resolved by the caller from the httpOnly session)
 * choose the keys: the URL and its query are not read.
 */
export async function featuresResponse(
  redis: FeaturesRedis | undefined,
  userId: string | null,
  request: Request,
  log: (line: string) => void = (line) => console.warn(`[features] ${line}`),
): Promise<Response> {
  const headers = { 'cache-control': 'private, no-store' };
  if (redis === undefined)
    return Response.json(
      { error: { code: 'unavailable', message: 'features store not configured' } },
      { status: 503, headers },
    );
  try {
    return Response.json(await readShopperFeatures(redis, shopperKeys(userId, requestCookies(request))), { headers });
  } catch (error) {
    log(`read failed: ${error instanceof Error ? error.message : String(error)}`);
    return Response.json(
      { error: { code: 'unavailable', message: 'features store unavailable' } },
      { status: 503, headers },
    );
  }
}
