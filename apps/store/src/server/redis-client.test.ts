import { describe, expect, it } from 'vitest';
import { DEFAULT_REDEEM_LIMITS } from './redeem-api';
import { offerSettingsFromEnv } from './redis-client';

const KEY = 'env-signing-key-0123456789abcdefghijklmnop';

describe("redemption's settings from the environment", () => {
  it('reads the key ring, the limits and the trusted proxies', () => {
    const settings = offerSettingsFromEnv({
      OFFER_SIGNING_KEY: KEY,
      OFFER_SIGNING_KEYS_PREVIOUS: 'previous-key-0123456789abcdefghijklmnopq',
      OFFER_REDEEM_LIMIT_PER_BROWSER: '5/60',
      STORE_TRUSTED_PROXIES: '10.0.0.2, 10.0.0.3',
    });
    expect(settings.signingKeys).toEqual({ current: KEY, previous: ['previous-key-0123456789abcdefghijklmnopq'] });
    expect(settings.limits?.perBrowser).toEqual({ limit: 5, windowMs: 60_000 });
    expect(settings.limits?.perAddress).toEqual(DEFAULT_REDEEM_LIMITS.perAddress);
    expect(settings.trustedProxies).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  it('turns codes off with a logged reason for a missing or short key, and refuses a malformed limit', () => {
    const logged: string[] = [];
    expect(offerSettingsFromEnv({ OFFER_SIGNING_KEY: 'short' }, (line) => logged.push(line)).signingKeys).toBe(
      undefined,
    );
    expect(logged.join('\n')).toContain('shorter than 32 characters');
    expect(() =>
      offerSettingsFromEnv({ OFFER_SIGNING_KEY: KEY, OFFER_REDEEM_LIMIT_PER_ADDRESS: 'lots' }, () => {}),
    ).toThrow(/OFFER_REDEEM_LIMIT_PER_ADDRESS must look like <requests>\/<seconds>/);
  });
});
