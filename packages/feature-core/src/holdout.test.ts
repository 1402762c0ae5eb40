import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLDOUT_SHARE, holdoutArm, holdoutBucket, parseHoldoutShare } from './holdout.js';

const SALT = 'tandem-holdout-1';

/** Keys shaped like the tracker's domain_userid (UUID v4 text). */
const browserKey = fc.uuid();

describe('holdoutArm', () => {
  it('puts the configured share of shoppers in control (within 4 standard errors)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.02, max: 0.98, noNaN: true }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (share, salt) => {
          const n = 4_000;
          let control = 0;
          for (let i = 0; i < n; i++) if (holdoutArm(`user-${i}-${salt.length}`, share, salt) === 'control') control++;
          const standardError = Math.sqrt((share * (1 - share)) / n);
          expect(Math.abs(control / n - share)).toBeLessThan(4 * standardError);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('spreads buckets uniformly over [0, 1) (chi-square over 10 deciles)', () => {
    const counts = new Array<number>(10).fill(0);
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const bucket = holdoutBucket(`aaaaaaaa-0000-4000-8000-${String(i).padStart(12, '0')}`, SALT);
      counts[Math.floor(bucket * 10)] = (counts[Math.floor(bucket * 10)] ?? 0) + 1;
    }
    const expected = n / 10;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.88); // 9 degrees of freedom, p = 0.001
  });

  it('is stable: the same key, share and salt always give the same arm', () => {
    fc.assert(
      fc.property(browserKey, fc.double({ min: 0, max: 1, noNaN: true }), (key, share) => {
        const arm = holdoutArm(key, share, SALT);
        for (let i = 0; i < 3; i++) expect(holdoutArm(key.slice(0), share, SALT)).toBe(arm);
      }),
    );
    // Pinned: the browser, the server and every release must agree (e2e/holdout.spec.ts uses these two).
    expect(holdoutBucket('e2e00000-0000-4000-8000-000000000001', SALT)).toBeCloseTo(0.7902, 4);
    expect(holdoutArm('e2e00000-0000-4000-8000-000000000001', 0.5, SALT)).toBe('treatment');
    expect(holdoutBucket('e2e00000-0000-4000-8000-000000000002', SALT)).toBeCloseTo(0.1244, 4);
    expect(holdoutArm('e2e00000-0000-4000-8000-000000000002', 0.5, SALT)).toBe('control');
  });

  it('moves shoppers only from treatment to control as the share grows', () => {
    fc.assert(
      fc.property(
        browserKey,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (key, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          if (holdoutArm(key, low, SALT) === 'control') expect(holdoutArm(key, high, SALT)).toBe('control');
        },
      ),
    );
  });

  it('share 0 disables the holdout and share 1 holds everyone out', () => {
    fc.assert(
      fc.property(browserKey, (key) => {
        expect(holdoutArm(key, 0, SALT)).toBe('treatment');
        expect(holdoutArm(key, Number.NaN, SALT)).toBe('treatment');
        expect(holdoutArm(key, 1, SALT)).toBe('control');
        expect(holdoutArm(key, 7, SALT)).toBe('control');
      }),
    );
  });

  it('another salt gives an independent split', () => {
    let same = 0;
    const n = 4_000;
    for (let i = 0; i < n; i++) {
      const key = `k${i}`;
      if (holdoutArm(key, 0.5, 'a') === holdoutArm(key, 0.5, 'b')) same++;
    }
    expect(Math.abs(same / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
  });
});

describe('parseHoldoutShare', () => {
  it('reads fractions and percentages, blank is the default', () => {
    expect(parseHoldoutShare(undefined)).toEqual({ ok: true, share: DEFAULT_HOLDOUT_SHARE });
    expect(parseHoldoutShare('  ')).toEqual({ ok: true, share: DEFAULT_HOLDOUT_SHARE });
    expect(parseHoldoutShare('0')).toEqual({ ok: true, share: 0 });
    expect(parseHoldoutShare('0.25')).toEqual({ ok: true, share: 0.25 });
    expect(parseHoldoutShare('50%')).toEqual({ ok: true, share: 0.5 });
    expect(parseHoldoutShare('1')).toEqual({ ok: true, share: 1 });
  });

  it('names a bad value instead of silently switching the holdout off', () => {
    for (const text of ['ten', '1.5', '-0.1', '%', '120%', 'NaN', 'Infinity'])
      expect(parseHoldoutShare(text)).toEqual({ ok: false, detail: expect.stringContaining(`"${text}"`) });
  });
});
