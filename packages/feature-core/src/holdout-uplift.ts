/**
 * Interval estimates for the offers holdout: how sure we are that offers change conversion.
 * Wilson's score interval for one proportion, and Newcombe's hybrid score interval (Newcombe 1998,
 * "method 10") for a difference of two independent proportions: good coverage for small counts and
 * rates near 0 or 1, which is where a young experiment lives, and no iteration.
 */

/** z for a two-sided 95 % interval: the normal distribution's 0.975 quantile. */
export const Z_95 = 1.959963984540054;

/** A closed interval of proportions (or of differences of proportions). */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 1 || successes < 0 || successes > trials)
    throw new RangeError(
      `expected whole counts with 0 ≤ successes ≤ trials and trials ≥ 1, got ${successes}/${trials}`,
    );
}

/**
 * Wilson's score interval for `successes` out of `trials` (trials ≥ 1, whole counts; a RangeError
 * otherwise): never leaves [0, 1], not degenerate at 0 or 1 successes. `z` defaults to 95 %.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  checkCounts(successes, trials);
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const spread = z * Math.sqrt((p * (1 - p) + z2 / (4 * trials)) / trials);
  const denominator = 1 + z2 / trials;
  // Exact at the ends (the formula gives them up to rounding).
  return {
    lower: successes === 0 ? 0 : (centre - spread) / denominator,
    upper: successes === trials ? 1 : (centre + spread) / denominator,
  };
}

/** The difference treatment − control of two proportions, with its interval. */
export interface DifferenceEstimate {
  /** rate(a) − rate(b), in [−1, 1]. */
  readonly difference: number;
  readonly interval: Interval;
}

/**
 * Newcombe's hybrid score interval for `a.successes/a.trials − b.successes/b.trials` (both with
 * trials ≥ 1, whole counts; a RangeError otherwise), from each side's Wilson interval:
 * lower = d − √((p₁ − l₁)² + (u₂ − p₂)²), upper = d + √((u₁ − p₁)² + (p₂ − l₂)²), within [−1, 1].
 */
export function newcombeDifference(
  a: { readonly successes: number; readonly trials: number },
  b: { readonly successes: number; readonly trials: number },
  z = Z_95,
): DifferenceEstimate {
  const wa = wilsonInterval(a.successes, a.trials, z);
  const wb = wilsonInterval(b.successes, b.trials, z);
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const difference = pa - pb;
  return {
    difference,
    interval: {
      lower: Math.max(-1, difference - Math.hypot(pa - wa.lower, wb.upper - pb)),
      upper: Math.min(1, difference + Math.hypot(wa.upper - pa, pb - wb.lower)),
    },
  };
}
