/**
 * The browser tracker's first-party cookies, read on the server. `_sp_id.<hash>` (v4 layout, dot
 * separated): domain_userid, created, visit count, now, last visit, session id, previous session id,
 * first event id, first event time, event index. `_sp_ses.<hash>` only marks a live session (its
 * value is `*`): the session id lives in `_sp_id`.
 *
 * These cookies are written by page scripts, so the browser can read and forge them: they identify
 * an anonymous shopper, they do not authenticate one.
 */

export interface SnowplowIds {
  /** `domain_userid`: the first part of `_sp_id.*`. */
  readonly domainUserId: string;
  /** `domain_sessionid` / `client_session.sessionId`: the sixth part, when present. */
  readonly sessionId: string | null;
}

/** Ids are UUIDs in practice; anything outside this shape is ignored rather than used as a key. */
const ID_SHAPE = /^[0-9A-Za-z-]{8,64}$/;

/** The ids in an `_sp_id.*` cookie value, or undefined when it is missing or malformed. */
export function parseSpIdCookie(value: string | undefined): SnowplowIds | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('.');
  const domainUserId = parts[0] ?? '';
  if (!ID_SHAPE.test(domainUserId)) return undefined;
  const session = parts[5] ?? '';
  return { domainUserId, sessionId: ID_SHAPE.test(session) ? session : null };
}

/** The value of the first `_sp_id.<hash>` cookie among `cookies` (name/value pairs). */
export function spIdCookieValue(cookies: Iterable<{ name: string; value: string }>): string | undefined {
  for (const cookie of cookies) if (cookie.name.startsWith('_sp_id.')) return cookie.value;
  return undefined;
}
