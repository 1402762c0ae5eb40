import { describe, expect, it } from 'vitest';
import { issueOfferCode, parseSigningKeys, type SigningKeys, verifyOfferCode } from './offer-codes';

const KEY = 'test-signing-key-0123456789abcdef0123456789';
const KEYS: SigningKeys = { current: KEY, previous: [] };
const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000001';
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('offer codes', () => {
  it('verify for the browser they were issued to, with their offer and expiry', () => {
    const code = issueOfferCode(KEYS, 'discount', ALICE, NOW + 3_600_000);
    expect(code).toMatch(/^TND-D[0-9a-z]+-[0-9A-Z]{10}-[\w-]{16}$/);
    expect(verifyOfferCode(KEYS, code, ALICE, NOW)).toMatchObject({
      ok: true,
      offer: 'discount',
      expiresAtMs: NOW + 3_600_000,
    });
    const free = issueOfferCode(KEYS, 'free_shipping', ALICE, NOW + 1000);
    expect(verifyOfferCode(KEYS, ` ${free} `, ALICE, NOW)).toMatchObject({ ok: true, offer: 'free_shipping' });
    expect(issueOfferCode(KEYS, 'discount', ALICE, NOW + 1000)).not.toBe(
      issueOfferCode(KEYS, 'discount', ALICE, NOW + 1000),
    );
  });

  it('refuse another browser, another key, an edited part, and an expired code', () => {
    const code = issueOfferCode(KEYS, 'discount', ALICE, NOW + 60_000);
    expect(verifyOfferCode(KEYS, code, BOB, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyOfferCode({ current: `${KEY}x`, previous: [] }, code, ALICE, NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    // A discount relabelled as free delivery, a later expiry, another nonce: each breaks the signature.
    // The signature is base64url, so it may itself hold '-': take the parts by position.
    const [, body, nonce, sig] = /^(TND-[DF][0-9a-z]+)-([0-9A-Z]{10})-(.{16})$/.exec(code) as unknown as [
      string,
      string,
      string,
      string,
    ];
    const edits = [
      `${body.replace('TND-D', 'TND-F')}-${nonce}-${sig}`,
      `TND-D${(Number.parseInt(body.slice(5), 36) + 3600).toString(36)}-${nonce}-${sig}`,
      `${body}-${nonce.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}-${sig}`,
    ];
    for (const edited of edits)
      expect(verifyOfferCode(KEYS, edited, ALICE, NOW), edited).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyOfferCode(KEYS, code, ALICE, NOW + 60_000)).toEqual({ ok: false, reason: 'expired' });
    for (const junk of ['', 'TND-', 'SAVE10', `${code}x`, code.toLowerCase()])
      expect(verifyOfferCode(KEYS, junk, ALICE, NOW).ok, junk).toBe(false);
  });

  it('keep verifying after a rotation while the old key is listed, and stop once it is dropped', () => {
    const NEW = 'rotated-signing-key-abcdefghijklmnopqrstuvwxyz0123';
    const before = issueOfferCode(KEYS, 'discount', ALICE, NOW + 3_600_000);
    const rotated: SigningKeys = { current: NEW, previous: [KEY] };
    const after = issueOfferCode(rotated, 'free_shipping', ALICE, NOW + 3_600_000);
    // A code issued before the rotation and one issued after both verify on the rotated ring...
    expect(verifyOfferCode(rotated, before, ALICE, NOW)).toMatchObject({ ok: true, offer: 'discount' });
    expect(verifyOfferCode(rotated, after, ALICE, NOW)).toMatchObject({ ok: true, offer: 'free_shipping' });
    // ...new codes are signed with the new key only, and once the old key is dropped its codes stop.
    expect(verifyOfferCode(KEYS, after, ALICE, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyOfferCode({ current: NEW, previous: [] }, before, ALICE, NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    // The ring does not widen what a code is valid for: another browser is still refused.
    expect(verifyOfferCode(rotated, before, BOB, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('parseSigningKeys', () => {
  const OLD = 'old-signing-key-0123456789abcdefghijklmnopq';
  it('reads the current key and the previous ones, ignoring blanks and repeats of the current', () => {
    expect(parseSigningKeys(` ${KEY} `, undefined)).toEqual({ ok: true, keys: { current: KEY, previous: [] } });
    expect(parseSigningKeys(KEY, ` ${OLD} ,, ${KEY},${OLD}`)).toEqual({
      ok: true,
      keys: { current: KEY, previous: [OLD] },
    });
  });

  it('refuses a missing or short key, naming the setting', () => {
    expect(parseSigningKeys(undefined, OLD)).toMatchObject({ ok: false, reason: 'missing' });
    expect(parseSigningKeys('  ', undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(parseSigningKeys('secret', undefined)).toMatchObject({ ok: false, reason: 'too_short' });
    const short = parseSigningKeys(KEY, `${OLD},tiny`);
    expect(short).toMatchObject({ ok: false, reason: 'too_short' });
    expect(short.ok ? '' : short.detail).toContain('OFFER_SIGNING_KEYS_PREVIOUS entry 2');
  });
});
