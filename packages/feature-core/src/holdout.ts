/**
 * The offers holdout: a deterministic share of shoppers is a control group that qualifies for offers
 * exactly like everyone else but is never shown them, so the offers' effect on conversion can be
 * measured against shoppers who did not get them. The arm is a pure function of a key and a salt, so
 * the browser (which hides the offer) and the server (which counts and refuses redemptions) agree
 * without talking to each other.
 */
import { hash53 } from './hash.js';

/** `treatment` shoppers see the offers they qualify for; `control` shoppers never do. */
export const HOLDOUT_ARMS = ['treatment', 'control'] as const;
export type HoldoutArm = (typeof HOLDOUT_ARMS)[number];

/** The default control share (10 %) when a deployment sets none. */
export const DEFAULT_HOLDOUT_SHARE = 0.1;

/** The default salt: changing it reshuffles every shopper into a new, independent split. */
export const DEFAULT_HOLDOUT_SALT = 'tandem-holdout-1';

/** 2^53: `hash53` values lie in [0, 2^53). */
const HASH_RANGE = 9_007_199_254_740_992;

/**
 * Where `key` falls in [0, 1) for `salt`: uniform over keys, fixed for a key and salt. A key is in
 * control for a share `s` when its bucket is below `s`, so raising the share only moves treatment
 * shoppers into control, never the other way.
 */
export function holdoutBucket(key: string, salt: string): number {
  return hash53(`${salt}\u0000${key}`) / HASH_RANGE;
}

/**
 * The arm of the shopper keyed `key` (the store uses the browser's domain_userid: it does not
 * change on sign-in, so a shopper never changes arm mid-session). `share` is the control share in
 * [0, 1]: 0 disables the holdout (everyone is in treatment), 1 holds everyone out; values outside
 * the range are clamped, NaN counts as 0.
 */
export function holdoutArm(key: string, share: number, salt: string): HoldoutArm {
  const bounded = Number.isNaN(share) ? 0 : Math.min(1, Math.max(0, share));
  if (bounded === 0) return 'treatment';
  return holdoutBucket(key, salt) < bounded ? 'control' : 'treatment';
}

/**
 * A control share from configuration text (e.g. `OFFER_HOLDOUT_SHARE`): a number in [0, 1], or a
 * percentage such as `10%`; blank gives the default. Anything else is an error naming the value, so
 * a typo does not silently switch the experiment off.
 */
export function parseHoldoutShare(
  text: string | undefined,
): { readonly ok: true; readonly share: number } | { readonly ok: false; readonly detail: string } {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return { ok: true, share: DEFAULT_HOLDOUT_SHARE };
  const percent = trimmed.endsWith('%');
  const value = Number(percent ? trimmed.slice(0, -1).trim() : trimmed);
  const share = percent ? value / 100 : value;
  if (trimmed === '%' || !Number.isFinite(share) || share < 0 || share > 1)
    return {
      ok: false,
      detail: `holdout share "${trimmed}" is not a number between 0 and 1 (or 0% and 100%)`,
    };
  return { ok: true, share };
}
