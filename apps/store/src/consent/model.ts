/**
 * The shopper's consent, as pure data: what was chosen, how it is stored, and what it allows. No
 * DOM, no Next: the server (layout, API routes), the page and the tests share these functions.
 *
 * Two choices: `granted` (tracking, the in-browser feature worker, offers) and `denied` (nothing).
 * Undecided (`null`) allows nothing either: without a yes, no event leaves the page and nothing is
 * stored in the browser.
 */

/** What the shopper (or the shop's consent platform) decided. */
export type ConsentChoice = 'granted' | 'denied';

/** The first-party cookie that holds the choice (see `encodeConsent` for its value). */
export const CONSENT_COOKIE = 'tandem_consent';

/**
 * How long a choice is kept before the shopper is asked again: 180 days, inside the 6 to 13 months
 * European regulators expect a consent to be renewed after.
 */
export const CONSENT_MAX_AGE_S = 180 * 24 * 3600;

/** The stored format's version: a value of another version is ignored (the shopper is asked again). */
const FORMAT_VERSION = '1';

/** The cookie value of a choice: `1.granted` or `1.denied`. */
export function encodeConsent(choice: ConsentChoice): string {
  return `${FORMAT_VERSION}.${choice}`;
}

/** The choice a cookie value holds; null for a missing, malformed or other-version value (undecided). */
export function decodeConsent(value: string | undefined | null): ConsentChoice | null {
  const match = /^(\d+)\.(granted|denied)$/.exec(value?.trim() ?? '');
  if (match === null || match[1] !== FORMAT_VERSION) return null;
  return match[2] as ConsentChoice;
}

/** A choice sent by the page (`POST /api/consent` body `{ choice }`); null for anything else. */
export function parseChoice(body: unknown): ConsentChoice | null {
  const choice = (body as { choice?: unknown } | null)?.choice;
  return choice === 'granted' || choice === 'denied' ? choice : null;
}

/** How the store asks for consent (operator settings, parsed once from the environment). */
export interface ConsentSettings {
  /**
   * true (default): the store asks with its own banner and keeps a "Privacy choices" button in the
   * footer. false: the shop collects consent elsewhere (a consent management platform) and hands the
   * answer to `window.tandemConsent`; the store shows no banner. Either way nothing starts before a grant.
   */
  readonly askWithBanner: boolean;
}

/**
 * `CONSENT_REQUIRED` (default `true`): `false` means the store's own banner is not required because
 * consent is collected elsewhere; tracking still waits for that grant. Anything but `false`/`0`/`no`/`off`
 * keeps the banner: a typo must not switch the question off.
 */
export function consentSettingsFor(env: Readonly<Record<string, string | undefined>>): ConsentSettings {
  const value = env.CONSENT_REQUIRED?.trim().toLowerCase();
  return { askWithBanner: !(value === 'false' || value === '0' || value === 'no' || value === 'off') };
}

/** What the page knows at render time: the settings and the stored choice. */
export interface ConsentView extends ConsentSettings {
  readonly choice: ConsentChoice | null;
}

/** Tracking and the feature worker run only after a grant. */
export function isTrackingAllowed(choice: ConsentChoice | null): boolean {
  return choice === 'granted';
}

/** The banner asks while nothing is decided, when the store asks itself. */
export function isBannerDue(view: ConsentView): boolean {
  return view.askWithBanner && view.choice === null;
}

/** The Snowplow tracker's first-party cookies (`_sp_id.<hash>`, `_sp_ses.<hash>`) and the collector's `sp`. */
export function isSnowplowCookie(name: string): boolean {
  return name === 'sp' || /^_sp_(id|ses)\./.test(name);
}

/** Storage keys the Snowplow browser tracker writes (its event queue, ids in local storage mode). */
export function isSnowplowStorageKey(key: string): boolean {
  return key.startsWith('snowplowOutQueue_') || key.startsWith('_sp_');
}
