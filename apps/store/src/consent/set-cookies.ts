/** The `Set-Cookie` header values a consent choice answers with. Pure. */
import {
  CONSENT_COOKIE,
  CONSENT_MAX_AGE_S,
  type ConsentChoice,
  encodeConsent,
  isPersonalTrackingAllowed,
  isSnowplowCookie,
} from './model';

/**
 * The `Set-Cookie` values for a choice: the consent cookie itself, and for `anonymous` and `denied`
 * an expired copy of every Snowplow cookie the request carried (they hold the ids anonymous
 * statistics must not carry). The server does the deleting because the collector's
 * `sp` cookie is HttpOnly, out of the page's reach. Each expiry repeats the attributes the cookie was
 * set with (host-only, `Path=/`, `Secure`), or the browser would treat it as another cookie.
 *
 * The consent cookie is not HttpOnly on purpose: it holds no secret, and the page reads it nowhere
 * (it gets the choice from the server-rendered layout), but a consent platform's script may.
 */
export function consentCookies(choice: ConsentChoice, requestCookieNames: Iterable<string>, https: boolean): string[] {
  const secure = https ? '; Secure' : '';
  const set = [
    `${CONSENT_COOKIE}=${encodeConsent(choice)}; Path=/; Max-Age=${CONSENT_MAX_AGE_S}; SameSite=Lax${secure}`,
  ];
  if (!isPersonalTrackingAllowed(choice)) {
    const expired = 'Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
    for (const name of new Set(requestCookieNames)) {
      if (!isSnowplowCookie(name)) continue;
      // `sp` comes from the collector (SameSite=None; Secure; HttpOnly); `_sp_*` from the tracker (Secure).
      set.push(
        name === 'sp'
          ? `sp=; ${expired}; SameSite=None; Secure; HttpOnly`
          : `${name}=; ${expired}; SameSite=Lax; Secure`,
      );
    }
  }
  return set;
}
