import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, newNonce, policyDirectives } from './content-security-policy';

const nonce = 'AAAAAAAAAAAAAAAAAAAAAA==';

describe('the store’s Content Security Policy', () => {
  it('allows exactly the store’s own origin, the nonce’d scripts, the same-origin worker; no framing, plugins or foreign forms', () => {
    expect(contentSecurityPolicy({ nonce, development: false })).toBe(
      [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
  });

  it('never allows inline or evaluated scripts in production, and no source outside the origin', () => {
    const directives = new Map(policyDirectives({ nonce, development: false }));
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    expect(directives.get('script-src')).not.toContain("'unsafe-eval'");
    const sources = [...directives.values()].flat();
    expect(sources.filter((source) => !source.startsWith("'"))).toEqual([]);
    expect(sources).not.toContain('blob:');
    expect(sources).not.toContain('data:');
  });

  it('adds unsafe-eval for next dev only, to scripts only', () => {
    const dev = new Map(policyDirectives({ nonce, development: true }));
    expect(dev.get('script-src')).toContain("'unsafe-eval'");
    const others = [...dev.entries()].filter(([name]) => name !== 'script-src').flatMap(([, sources]) => sources);
    expect(others).not.toContain("'unsafe-eval'");
  });

  it('refuses a nonce that could break out of the header or is too short to be secret', () => {
    for (const bad of ['', 'abc', "AAAAAAAAAAAAAAAAAAAAAA=='; script-src *", 'AAAA AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(() => contentSecurityPolicy({ nonce: bad, development: false }), bad).toThrow(/nonce/);
    }
  });

  it('makes a fresh 128-bit nonce each time', () => {
    const a = newNonce();
    const b = newNonce();
    expect(a).not.toBe(b);
    expect(atob(a)).toHaveLength(16);
    expect(() => contentSecurityPolicy({ nonce: a, development: false })).not.toThrow();
  });
});
