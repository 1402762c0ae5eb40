/**
 * Offer codes: what a verified redemption gives the shopper and checkout accepts once.
 *
 *   TND-D1mxq9k2-7QH3K9ZP4W-Xb8f0_Lq2mA9c1Zq
 *        │└ expiry (epoch s, base 36)
 *        └ offer: D discount, F free delivery
 *                  └ nonce (single use is recorded under it)
 *                             └ HMAC-SHA256 over the above and the shopper's browser id, 96 bits
 *
 * The code names no shopper, yet only the browser it was issued to can use it: the signature covers
 * its domain_userid (the tracker's first-party id, stable across sign-in and sign-out). Pure apart
 * from node:crypto; the single-use record lives in Redis (redeem-api.ts).
 *
 * Keys rotate without breaking codes already issued: new codes are signed with the current key
 * (OFFER_SIGNING_KEY), and a code verifies under it or any previous key still listed
 * (OFFER_SIGNING_KEYS_PREVIOUS). Codes carry no key id, so codes issued before a rotation keep their
 * exact form; verifying costs one HMAC per listed key, and the list is a handful at most.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OfferKind } from '@tandem/feature-core';

export type RedeemableOffer = Extract<OfferKind, 'discount' | 'free_shipping'>;

const LETTER: Record<RedeemableOffer, string> = { discount: 'D', free_shipping: 'F' };
const CODE = /^TND-([DF])([0-9a-z]{1,11})-([0-9A-Z]{10})-([A-Za-z0-9_-]{16})$/;
const NONCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** What checkout gives for a valid code. */
export const OFFER_BENEFITS: Record<
  RedeemableOffer,
  { readonly label: string; readonly percentOff: number; readonly freeDelivery: boolean }
> = {
  discount: { label: '10% off your order', percentOff: 10, freeDelivery: false },
  free_shipping: { label: 'Free delivery on this order', percentOff: 0, freeDelivery: true },
};

/** The keys of a store: `current` signs, every key verifies. */
export interface SigningKeys {
  readonly current: string;
  /** Keys codes were signed with before the last rotations, kept until those codes expire (2 h). */
  readonly previous: readonly string[];
}

/** Why a configured key is refused: a short key makes codes guessable. */
export const MIN_SIGNING_KEY_LENGTH = 32;

export type SigningKeysParse =
  | { readonly ok: true; readonly keys: SigningKeys }
  | { readonly ok: false; readonly reason: 'missing' | 'too_short'; readonly detail: string };

/**
 * The key ring from OFFER_SIGNING_KEY and OFFER_SIGNING_KEYS_PREVIOUS (comma-separated). A key of fewer
 * than 32 characters is refused rather than used: the generated keys are 43 characters.
 */
export function parseSigningKeys(current: string | undefined, previous: string | undefined): SigningKeysParse {
  const key = current?.trim() ?? '';
  if (key === '') return { ok: false, reason: 'missing', detail: 'OFFER_SIGNING_KEY is not set' };
  const older = (previous ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== key);
  const short = [key, ...older].findIndex((candidate) => candidate.length < MIN_SIGNING_KEY_LENGTH);
  if (short !== -1) {
    const name = short === 0 ? 'OFFER_SIGNING_KEY' : `OFFER_SIGNING_KEYS_PREVIOUS entry ${short}`;
    return {
      ok: false,
      reason: 'too_short',
      detail: `${name} is shorter than ${MIN_SIGNING_KEY_LENGTH} characters (generate one: openssl rand -base64 32)`,
    };
  }
  return { ok: true, keys: { current: key, previous: [...new Set(older)] } };
}

export interface OfferCode {
  readonly offer: RedeemableOffer;
  readonly expiresAtMs: number;
  readonly nonce: string;
}

export type CodeCheck =
  | ({ readonly ok: true } & OfferCode)
  | { readonly ok: false; readonly reason: 'malformed' | 'invalid' | 'expired' };

function signature(key: string, body: string, browserId: string): string {
  return createHmac('sha256', key).update(`tandem-offer-v1|${body}|${browserId}`).digest('base64url').slice(0, 16);
}

function newNonce(): string {
  return [...randomBytes(10)].map((byte) => NONCE_ALPHABET[byte & 31]).join('');
}

/** A new code for `browserId`, signed with the current key, valid until `expiresAtMs`. */
export function issueOfferCode(
  keys: SigningKeys,
  offer: RedeemableOffer,
  browserId: string,
  expiresAtMs: number,
): string {
  const body = `${LETTER[offer]}${Math.ceil(expiresAtMs / 1000).toString(36)}-${newNonce()}`;
  return `TND-${body}-${signature(keys.current, body, browserId)}`;
}

function signedBy(key: string, body: string, browserId: string, given: Buffer): boolean {
  const expected = Buffer.from(signature(key, body, browserId));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Checks a code's shape, signature (for this browser) and expiry. `invalid` covers a forged code and
 * another browser's alike: the signature cannot tell them apart, and the answer should not either.
 */
export function verifyOfferCode(keys: SigningKeys, code: string, browserId: string, nowMs: number): CodeCheck {
  const match = CODE.exec(code.trim());
  if (match === null) return { ok: false, reason: 'malformed' };
  const [, letter, expiry, nonce, given] = match as unknown as [string, string, string, string, string];
  const body = `${letter}${expiry}-${nonce}`;
  const actual = Buffer.from(given);
  if (![keys.current, ...keys.previous].some((key) => signedBy(key, body, browserId, actual)))
    return { ok: false, reason: 'invalid' };
  const expiresAtMs = Number.parseInt(expiry, 36) * 1000;
  if (!(expiresAtMs > nowMs)) return { ok: false, reason: 'expired' };
  return { ok: true, offer: letter === 'D' ? 'discount' : 'free_shipping', expiresAtMs, nonce };
}
