import { describe, expect, it } from 'vitest';
import { issueOfferCode, verifyOfferCode } from './offer-codes';

const KEY = 'test-signing-key-0123456789abcdef0123456789';
const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000001';
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('offer codes', () => {
  it('verify for the browser they were issued to, with their offer and expiry', () => {
    const code = issueOfferCode(KEY, 'discount', ALICE, NOW + 3_600_000);
    expect(code).toMatch(/^TND-D[0-9a-z]+-[0-9A-Z]{10}-[\w-]{16}$/);
    expect(verifyOfferCode(KEY, code, ALICE, NOW)).toMatchObject({
      ok: true,
      offer: 'discount',
      expiresAtMs: NOW + 3_600_000,
    });
    const free = issueOfferCode(KEY, 'free_shipping', ALICE, NOW + 1000);
    expect(verifyOfferCode(KEY, ` ${free} `, ALICE, NOW)).toMatchObject({ ok: true, offer: 'free_shipping' });
    expect(issueOfferCode(KEY, 'discount', ALICE, NOW + 1000)).not.toBe(
      issueOfferCode(KEY, 'discount', ALICE, NOW + 1000),
    );
  });

  it('refuse another browser, another key, an edited part, and an expired code', () => {
    const code = issueOfferCode(KEY, 'discount', ALICE, NOW + 60_000);
    expect(verifyOfferCode(KEY, code, BOB, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyOfferCode(`${KEY}x`, code, ALICE, NOW)).toEqual({ ok: false, reason: 'invalid' });
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
      expect(verifyOfferCode(KEY, edited, ALICE, NOW), edited).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyOfferCode(KEY, code, ALICE, NOW + 60_000)).toEqual({ ok: false, reason: 'expired' });
    for (const junk of ['', 'TND-', 'SAVE10', `${code}x`, code.toLowerCase()])
      expect(verifyOfferCode(KEY, junk, ALICE, NOW).ok, junk).toBe(false);
  });
});
