/**
 * Consent on the server: the stored choice read from the request's cookies (server components and
 * route handlers). The cookies a choice sets are built in set-cookies.ts.
 */
import { cookies } from 'next/headers';
import { CONSENT_COOKIE, type ConsentView, consentSettingsFor, decodeConsent, isTrackingAllowed } from './model';

/** The consent of this request's shopper, with the operator's settings. */
export async function currentConsent(): Promise<ConsentView> {
  const choice = decodeConsent((await cookies()).get(CONSENT_COOKIE)?.value);
  return { ...consentSettingsFor(process.env), choice };
}

/** Whether this request's shopper allowed tracking (e.g. the server-side transaction of an order). */
export async function isTrackingConsented(): Promise<boolean> {
  return isTrackingAllowed((await currentConsent()).choice);
}
