import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newcombeDifference, wilsonInterval } from './holdout-uplift.js';

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

describe('wilsonInterval', () => {
  // Newcombe (1998a), "Two-sided confidence intervals for the single proportion", Table I, method 3.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i/%i → %f to %f', (successes, trials, lower, upper) => {
    const interval = wilsonInterval(successes, trials);
    expect(round4(interval.lower)).toBe(lower);
    expect(round4(interval.upper)).toBe(upper);
  });

  it('contains the observed rate and stays within [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (trials, f) => {
        const successes = Math.round(f * trials);
        const { lower, upper } = wilsonInterval(successes, trials);
        expect(lower).toBeGreaterThanOrEqual(0);
        expect(upper).toBeLessThanOrEqual(1);
        expect(lower).toBeLessThanOrEqual(successes / trials + 1e-12);
        expect(upper).toBeGreaterThanOrEqual(successes / trials - 1e-12);
      }),
    );
  });

  it('refuses counts that are not a proportion', () => {
    expect(() => wilsonInterval(1, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(3, 2)).toThrow(/successes ≤ trials/);
    expect(() => wilsonInterval(0.5, 2)).toThrow(RangeError);
  });
});

describe('newcombeDifference (hybrid score, Newcombe 1998 method 10)', () => {
  // Newcombe (1998b), "Interval estimation for the difference between independent proportions:
  // comparison of eleven methods", Table II, method 10: examples (a) to (h).
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ])('%i/%i − %i/%i → %f to %f', (a, m, b, n, lower, upper) => {
    const estimate = newcombeDifference({ successes: a, trials: m }, { successes: b, trials: n });
    expect(estimate.difference).toBeCloseTo(a / m - b / n, 12);
    expect(round4(estimate.interval.lower)).toBe(lower);
    expect(round4(estimate.interval.upper)).toBe(upper);
  });

  it('contains the difference, stays within [−1, 1] and mirrors when the arms swap', () => {
    const side = fc
      .tuple(fc.integer({ min: 1, max: 2_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([trials, f]) => ({ trials, successes: Math.round(f * trials) }));
    fc.assert(
      fc.property(side, side, (a, b) => {
        const ab = newcombeDifference(a, b);
        const ba = newcombeDifference(b, a);
        expect(ab.interval.lower).toBeGreaterThanOrEqual(-1);
        expect(ab.interval.upper).toBeLessThanOrEqual(1);
        expect(ab.interval.lower).toBeLessThanOrEqual(ab.difference + 1e-12);
        expect(ab.interval.upper).toBeGreaterThanOrEqual(ab.difference - 1e-12);
        expect(ba.interval.lower).toBeCloseTo(-ab.interval.upper, 12);
        expect(ba.interval.upper).toBeCloseTo(-ab.interval.lower, 12);
      }),
    );
  });

  it('narrows as the arms grow', () => {
    const small = newcombeDifference({ successes: 6, trials: 50 }, { successes: 4, trials: 50 });
    const large = newcombeDifference({ successes: 600, trials: 5_000 }, { successes: 400, trials: 5_000 });
    expect(large.interval.upper - large.interval.lower).toBeLessThan((small.interval.upper - small.interval.lower) / 5);
    expect(large.interval.lower).toBeGreaterThan(0); // 12 % vs 8 % on 5,000 each is a clear uplift
    expect(small.interval.lower).toBeLessThan(0); // on 50 each it is not
  });
});
