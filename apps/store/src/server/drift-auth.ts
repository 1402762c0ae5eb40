/**
 * Who may see the drift dashboard (ARCHITECTURE.md "Security": an endpoint not for shoppers has a
 * token outside local development).
 *
 * - `OPS_TOKEN` set: the page and its API require it, as `Authorization: Bearer <token>`, or the
 *   page's `?token=<token>` (which then sets an HttpOnly, SameSite=Strict cookie, scoped to /ops and
 *   /api/ops, holding a hash of the token, so the token leaves the address bar and scripts never see it). Compared in constant time.
 * - `OPS_TOKEN` unset: allowed in development (`NODE_ENV !== 'production'`); in production the
 *   dashboard answers 503 until the operator sets one.
 *
 * The local stack generates `OPS_TOKEN` into `.env.local` (infra/src/env-local.ts) and prints the
 * dashboard's URL with it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The cookie that carries the dashboard's credential after a `?token=` visit. */
export const OPS_COOKIE = 'tandem_ops';
/** The cookie's paths: the page and its API only (a cookie has one path, so it is set once per path). */
export const OPS_COOKIE_PATHS = ['/ops', '/api/ops'] as const;
/** How long the cookie lasts, seconds. */
export const OPS_COOKIE_MAX_AGE_S = 8 * 60 * 60;

/** What a request presents. */
export interface OpsCredentials {
  /** The `Authorization` header as sent (only `Bearer <token>` counts). */
  readonly authorization?: string | null | undefined;
  /** The `tandem_ops` cookie's value. */
  readonly cookie?: string | null | undefined;
  /** A `?token=` query parameter (the page only). */
  readonly queryToken?: string | null | undefined;
}

export interface OpsAuthConfig {
  /** OPS_TOKEN; undefined or empty = not configured. */
  readonly token: string | undefined;
  /** NODE_ENV === 'production'. */
  readonly production: boolean;
}

export type OpsAuthDecision =
  | {
      readonly ok: true;
      /** How: no token configured (development), the bearer header, the cookie, or the query token. */
      readonly via: 'development' | 'bearer' | 'cookie' | 'query';
    }
  | {
      readonly ok: false;
      readonly status: 401 | 503;
      readonly code: 'ops_token_required' | 'ops_token_not_configured';
      readonly message: string;
    };

/** The cookie value for a token: a hash, so the cookie is not the token itself. */
export function opsCookieValue(token: string): string {
  return createHash('sha256').update(`tandem-ops-cookie\0${token}`).digest('base64url');
}

/** Equality in time independent of where the strings differ (both sides hashed to equal length first). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function bearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** Decides whether a request may see the dashboard. Pure apart from hashing. */
export function authorizeOps(config: OpsAuthConfig, credentials: OpsCredentials): OpsAuthDecision {
  const token = config.token?.trim() ?? '';
  if (token === '') {
    if (!config.production) return { ok: true, via: 'development' };
    return {
      ok: false,
      status: 503,
      code: 'ops_token_not_configured',
      message:
        'the drift dashboard is off: set OPS_TOKEN in the environment (production never runs it without a token)',
    };
  }
  // Every presented credential is checked (no early exit on the first kind present).
  const bearer = bearerToken(credentials.authorization);
  const bearerOk = bearer !== null && constantTimeEqual(bearer, token);
  const cookie = credentials.cookie ?? null;
  const cookieOk = cookie !== null && cookie !== '' && constantTimeEqual(cookie, opsCookieValue(token));
  const query = credentials.queryToken ?? null;
  const queryOk = query !== null && query !== '' && constantTimeEqual(query, token);
  if (bearerOk) return { ok: true, via: 'bearer' };
  if (queryOk) return { ok: true, via: 'query' };
  if (cookieOk) return { ok: true, via: 'cookie' };
  return {
    ok: false,
    status: 401,
    code: 'ops_token_required',
    message:
      'the drift dashboard needs its token: open /ops/drift?token=<OPS_TOKEN> (the URL `npm start` prints; ' +
      'locally OPS_TOKEN is in .env.local) or send Authorization: Bearer <OPS_TOKEN>',
  };
}

/**
 * The `Set-Cookie` header values after a valid `?token=` visit, one per path of `OPS_COOKIE_PATHS`
 * (the shop's own pages never carry it): HttpOnly, SameSite=Strict, Secure over https.
 */
export function opsSetCookies(token: string, secure: boolean): string[] {
  return OPS_COOKIE_PATHS.map((path) =>
    [
      `${OPS_COOKIE}=${opsCookieValue(token)}`,
      `Path=${path}`,
      `Max-Age=${OPS_COOKIE_MAX_AGE_S}`,
      'HttpOnly',
      'SameSite=Strict',
      ...(secure ? ['Secure'] : []),
    ].join('; '),
  );
}

/** The auth settings of this process: OPS_TOKEN (after `.env.local` is loaded) and NODE_ENV. */
export function opsAuthConfigFromEnv(env: Readonly<Record<string, string | undefined>>): OpsAuthConfig {
  return { token: env.OPS_TOKEN?.trim() || undefined, production: env.NODE_ENV === 'production' };
}
