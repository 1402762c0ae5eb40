/**
 * The shopper's consent, as pure data: what was chosen, how it is stored, and what it allows. No
 * DOM, no Next: the server (layout, API routes), the page and the tests share these functions.
 *
 * Three choices:
 * - `granted`: full tracking (the shopper's ids in every event), the in-browser feature worker, offers;
 * - `anonymous`: statistics only. The tracker runs in Snowplow's anonymous mode with server
 *   anonymisation: no domain_userid, session id or user id in events, no tracker cookie or storage,
 *   `SP-Anonymous: *` so the collector records no IP and no `sp` cookie. No feature worker, nothing
 *   in IndexedDB, no offers: features are per shopper, and an anonymous shopper has no key;
 * - `denied`: nothing.
 * Undecided (`null`) allows nothing either: without a yes, no event leaves the page and nothing is
 * stored in the browser.
 */

/** What the shopper (or the shop's consent platform) decided. */
export type ConsentChoice = 'granted' | 'anonymous' | 'denied';

/** Every choice, most permissive first (the banner's order). */
export const CONSENT_CHOICES: readonly ConsentChoice[] = ['granted', 'anonymous', 'denied'];

/** Whether `value` is one of the choices, spelled exactly (a page's, a tab's or a consent platform's message). */
export function isConsentChoice(value: unknown): value is ConsentChoice {
  return value === 'granted' || value === 'anonymous' || value === 'denied';
}

/** The first-party cookie that holds the choice (see `encodeConsent` for its value). */
export const CONSENT_COOKIE = 'tandem_consent';

/**
 * How long a choice is kept before the shopper is asked again: 180 days, inside the 6 to 13 months
 * European regulators expect a consent to be renewed after.
 */
export const CONSENT_MAX_AGE_S = 180 * 24 * 3600;

/** The stored format's version: a value of another version is ignored (the shopper is asked again). */
const FORMAT_VERSION = '1';

/**
 * The cookie value of a choice: `1.granted`, `1.anonymous` or `1.denied`. `anonymous` came later in the
 * same version: an older store reads it as undecided and asks again, which is safe.
 */
export function encodeConsent(choice: ConsentChoice): string {
  return `${FORMAT_VERSION}.${choice}`;
}

/** The choice a cookie value holds; null for a missing, malformed or other-version value (undecided). */
export function decodeConsent(value: string | undefined | null): ConsentChoice | null {
  const match = /^(\d+)\.(granted|anonymous|denied)$/.exec(value?.trim() ?? '');
  if (match === null || match[1] !== FORMAT_VERSION) return null;
  return match[2] as ConsentChoice;
}

/** A choice sent by the page (`POST /api/consent` body `{ choice }`); null for anything else. */
export function parseChoice(body: unknown): ConsentChoice | null {
  const choice = (body as { choice?: unknown } | null)?.choice;
  return isConsentChoice(choice) ? choice : null;
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

/**
 * How the page's tracking runs: `full` (the shopper's ids, the feature worker, offers), `anonymous`
 * (Snowplow's anonymous mode with server anonymisation, no worker) or `off` (nothing is sent).
 */
export type TrackingMode = 'full' | 'anonymous' | 'off';

/** The tracking a choice allows: full after a grant, anonymous statistics, or none (declined, undecided). */
export function trackingModeFor(choice: ConsentChoice | null): TrackingMode {
  return choice === 'granted' ? 'full' : choice === 'anonymous' ? 'anonymous' : 'off';
}

/**
 * Whether the shopper's own ids may be used: events that name the browser or the user, the feature
 * worker and its IndexedDB state, offers, the server's own tracking of an order. Only after a grant.
 */
export function isPersonalTrackingAllowed(choice: ConsentChoice | null): boolean {
  return choice === 'granted';
}

/** What ran on this page so far. */
export interface PageTrackingState {
  readonly mode: TrackingMode;
  /** The feature worker was started on this page (it may still hold the shopper's state in memory). */
  readonly workerStarted: boolean;
}

/** What the page does when it learns a choice: at load, or when the shopper or another tab changes it. */
export interface ConsentChange {
  /** How tracking runs from now. */
  readonly mode: TrackingMode;
  /**
   * Delete what full consent stored in this browser (the feature database, the tracker's cookies and
   * storage). Done on every page load of an anonymous or declining shopper too, for what a tab that was
   * still tracking at the change may have written since.
   */
  readonly erase: boolean;
  /**
   * Reload once erased: the feature worker ran here, and as a SharedWorker it keeps the shopper's state
   * in memory as long as the page lives. Without a worker (anonymous to declined, a browser without
   * workers) the tracker switches in place.
   */
  readonly reload: boolean;
}

/**
 * The change a choice makes on a page in state `page`. Granting needs no reload (the tracker leaves its
 * anonymous mode, the worker starts); anonymous or declined after the worker ran does.
 */
export function consentChange(page: PageTrackingState, choice: ConsentChoice | null): ConsentChange {
  const mode = trackingModeFor(choice);
  const erase = choice !== null && !isPersonalTrackingAllowed(choice);
  return { mode, erase, reload: erase && page.workerStarted };
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
