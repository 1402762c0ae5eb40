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
    });
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
