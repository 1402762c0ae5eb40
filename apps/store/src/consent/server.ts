/**
 * Consent on the server: the stored choice read from the request's cookies (server components and
 * route handlers). The cookies a choice sets are built in set-cookies.ts.
 */
import { cookies } from 'next/headers';
import {
  CONSENT_COOKIE,
  type ConsentView,
  consentSettingsFor,
  decodeConsent,
  isPersonalTrackingAllowed,
} from './model';

/** The consent of this request's shopper, with the operator's settings. */
export async function currentConsent(): Promise<ConsentView> {
  const choice = decodeConsent((await cookies()).get(CONSENT_COOKIE)?.value);
  return { ...consentSettingsFor(process.env), choice };
}

/**
 * Whether this request's shopper allowed tracking with their ids (e.g. the server-side transaction of
 * an order, which carries the tracker cookie's ids). Not for anonymous statistics: the browser's
 * anonymous tracker reports that order itself, without ids.
 */
export async function isTrackingConsented(): Promise<boolean> {
  return isPersonalTrackingAllowed((await currentConsent()).choice);
}
