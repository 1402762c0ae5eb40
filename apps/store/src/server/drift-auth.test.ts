import { describe, expect, it } from 'vitest';
import { authorizeOps, constantTimeEqual, opsAuthConfigFromEnv, opsCookieValue, opsSetCookies } from './drift-auth';

const TOKEN = 'ops-token-0123456789abcdefghijklmnopqrstuvwxy';
const configured = { token: TOKEN, production: true };

describe('authorizeOps', () => {
  it('without OPS_TOKEN: open in development, 503 with what to set in production', () => {
    expect(authorizeOps({ token: undefined, production: false }, {})).toEqual({ ok: true, via: 'development' });
    expect(authorizeOps({ token: '  ', production: false }, {})).toEqual({ ok: true, via: 'development' });
    const off = authorizeOps({ token: undefined, production: true }, { authorization: 'Bearer anything' });
    expect(off).toMatchObject({ ok: false, status: 503, code: 'ops_token_not_configured' });
    if (off.ok) throw new Error('ok');
    expect(off.message).toMatch(/set OPS_TOKEN/);
  });

  it('with OPS_TOKEN: a bearer header, the query token or the cookie, in development too', () => {
    for (const production of [true, false]) {
      const config = { token: TOKEN, production };
      expect(authorizeOps(config, { authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, via: 'bearer' });
      expect(authorizeOps(config, { authorization: `bearer  ${TOKEN} ` })).toEqual({ ok: true, via: 'bearer' });
      expect(authorizeOps(config, { queryToken: TOKEN })).toEqual({ ok: true, via: 'query' });
      expect(authorizeOps(config, { cookie: opsCookieValue(TOKEN) })).toEqual({ ok: true, via: 'cookie' });
      expect(authorizeOps(config, {})).toMatchObject({ ok: false, status: 401, code: 'ops_token_required' });
    }
  });

  it('refuses wrong, partial, empty and differently-presented tokens', () => {
    const refused = [
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
      { queryToken: '' },
      { queryToken: TOKEN.toUpperCase() },
      // The cookie holds a hash: the token itself is not a cookie, nor is the hash a bearer.
      { cookie: TOKEN },
      { authorization: `Bearer ${opsCookieValue(TOKEN)}` },
      { cookie: '' },
    ];
    for (const credentials of refused)
      expect(authorizeOps(configured, credentials), JSON.stringify(credentials)).toMatchObject({
        ok: false,
        status: 401,
      });
  });

  it('a wrong credential next to a right one still lets the right one in', () => {
    expect(authorizeOps(configured, { authorization: 'Bearer wrong', cookie: opsCookieValue(TOKEN) })).toEqual({
      ok: true,
      via: 'cookie',
    });
  });
});

describe('cookie and config', () => {
  it('sets an HttpOnly SameSite=Strict cookie on /ops and /api/ops only, Secure over https only', () => {
    const value = opsCookieValue(TOKEN);
    expect(opsSetCookies(TOKEN, false)).toEqual([
      `tandem_ops=${value}; Path=/ops; Max-Age=28800; HttpOnly; SameSite=Strict`,
      `tandem_ops=${value}; Path=/api/ops; Max-Age=28800; HttpOnly; SameSite=Strict`,
    ]);
    for (const cookie of opsSetCookies(TOKEN, false)) expect(cookie).not.toContain(TOKEN);
    for (const cookie of opsSetCookies(TOKEN, true)) expect(cookie).toMatch(/; Secure$/);
    expect(opsCookieValue(TOKEN)).not.toBe(opsCookieValue(`${TOKEN}.`));
  });

  it('compares equal strings equal, others not, whatever their lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('reads OPS_TOKEN and the mode from the environment', () => {
    expect(opsAuthConfigFromEnv({ OPS_TOKEN: ' t ', NODE_ENV: 'production' })).toEqual({
      token: 't',
      production: true,
    });
    expect(opsAuthConfigFromEnv({ OPS_TOKEN: '', NODE_ENV: 'development' })).toEqual({
      token: undefined,
      production: false,
    });
  });
});
