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

/** A new signed code for `browserId`, valid until `expiresAtMs`. */
export function issueOfferCode(key: string, offer: RedeemableOffer, browserId: string, expiresAtMs: number): string {
  const body = `${LETTER[offer]}${Math.ceil(expiresAtMs / 1000).toString(36)}-${newNonce()}`;
  return `TND-${body}-${signature(key, body, browserId)}`;
}

/**
 * Checks a code's shape, signature (for this browser) and expiry. `invalid` covers a forged code and
 * another browser's alike: the signature cannot tell them apart, and the answer should not either.
 */
export function verifyOfferCode(key: string, code: string, browserId: string, nowMs: number): CodeCheck {
  const match = CODE.exec(code.trim());
  if (match === null) return { ok: false, reason: 'malformed' };
  const [, letter, expiry, nonce, given] = match as unknown as [string, string, string, string, string];
  const expected = Buffer.from(signature(key, `${letter}${expiry}-${nonce}`, browserId));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'invalid' };
  const expiresAtMs = Number.parseInt(expiry, 36) * 1000;
  if (!(expiresAtMs > nowMs)) return { ok: false, reason: 'expired' };
  return { ok: true, offer: letter === 'D' ? 'discount' : 'free_shipping', expiresAtMs, nonce };
}
