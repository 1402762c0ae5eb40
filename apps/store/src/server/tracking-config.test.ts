import { describe, expect, it } from 'vitest';
import { requestOrigin, trackingConfigFor } from './tracking-config';

describe('tracking config', () => {
  const origin = { host: '127.0.0.1:4123', forwardedHost: null, forwardedProto: null };

  it('points the browser at /t on the origin it used, with the signed-in user', () => {
    expect(trackingConfigFor(origin, 'ada', {})).toEqual({
      collectorUrl: 'http://127.0.0.1:4123/t',
      appId: 'tandem-store',
      userId: 'ada',
      enabled: true,
      digests: { enabled: true, quietMs: 5_000 },
      rebaseEveryMs: 60_000,
      holdout: { share: 0.1, salt: 'tandem-holdout-1' },
    });
  });

  it('passes the offers holdout on: OFFER_HOLDOUT_SHARE (0 disables), OFFER_HOLDOUT_SALT; a bad share keeps 10 %', () => {
    expect(trackingConfigFor(origin, null, { OFFER_HOLDOUT_SHARE: '0.5', OFFER_HOLDOUT_SALT: 's2' }).holdout).toEqual({
      share: 0.5,
      salt: 's2',
    });
    expect(trackingConfigFor(origin, null, { OFFER_HOLDOUT_SHARE: '0' }).holdout?.share).toBe(0);
    expect(trackingConfigFor(origin, null, { OFFER_HOLDOUT_SHARE: 'half' }).holdout?.share).toBe(0.1);
  });

  it('sends digests unless FEATURE_DIGESTS=off, with the quiet period and rebase period from the environment', () => {
    expect(trackingConfigFor(origin, null, { FEATURE_DIGESTS: 'off' }).digests.enabled).toBe(false);
    const fast = trackingConfigFor(origin, null, {
      FEATURE_DIGEST_QUIET_MS: '2000',
      FEATURE_REBASE_INTERVAL_MS: '20000',
    });
    expect(fast.digests).toEqual({ enabled: true, quietMs: 2_000 });
    expect(fast.rebaseEveryMs).toBe(20_000);
    // A bad value falls back to the default rather than breaking every page.
    const bad = trackingConfigFor(origin, null, { FEATURE_DIGEST_QUIET_MS: 'soon', FEATURE_REBASE_INTERVAL_MS: '5' });
    expect(bad.digests.quietMs).toBe(5_000);
    expect(bad.rebaseEveryMs).toBe(60_000);
  });

  it('follows a reverse proxy (first forwarded value) and only trusts https as the other scheme', () => {
    expect(
      requestOrigin({ host: 'internal:3000', forwardedHost: 'shop.example, proxy', forwardedProto: 'https,http' }),
    ).toBe('https://shop.example');
    expect(requestOrigin({ host: 'shop.example', forwardedHost: null, forwardedProto: 'javascript' })).toBe(
      'http://shop.example',
    );
  });

  it('is off with TRACKING=off', () => {
    expect(trackingConfigFor(origin, null, { TRACKING: 'off' }).enabled).toBe(false);
    expect(trackingConfigFor(origin, null, { TRACKING: ' OFF ' }).enabled).toBe(false);
    expect(trackingConfigFor(origin, null, { TRACKING: 'on' }).enabled).toBe(true);
  });
});
