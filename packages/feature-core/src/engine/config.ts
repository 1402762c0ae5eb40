/**
 * Engine configuration and the limits that bound state. Both are part of the definition version
 * (a browser and a server with different settings must not compare values).
 */
import { roundHalfEven } from '../canonical.js';

export interface EngineConfig {
  /** ISO 4217 code every money feature is expressed in. */
  readonly baseCurrency: string;
  /**
   * Units of base currency per unit of another currency (e.g. `{ EUR: 1.08 }` with base USD).
   * Money in a currency with no rate is left out of money features and counted as a mismatch.
   */
  readonly fxRates: Readonly<Record<string, number>>;
}

export const DEFAULT_CONFIG: EngineConfig = { baseCurrency: 'USD', fxRates: {} };

/** Bounds on state, per lane (FEATURES.md "Caps"; docs/feature-core.md "State bounds"). */
export const LIMITS = {
  /** Distinct values (product ids, categories, tallied attribute values, transaction ids) per tile and per window. */
  distinctValues: 1000,
  /** Events a user lane remembers for deduplication (those of the last 24 h). */
  userEventIds: 50_000,
  /** Event ids remembered per session for deduplication; also caps the geo sequence. */
  sessionEventIds: 10_000,
  /** Recent events a user lane keeps as facts before folding them into tiles. */
  userFacts: 32,
} as const;

/**
 * Overflow flags: which capped set dropped values (FEATURES.md "Caps"). `tallies` covers every
 * per-definition tally of a product attribute (`most_viewed_*`): one bit for all of them.
 */
export const OVERFLOW = { products: 1, categories: 2, orders: 4, events: 8, tallies: 16 } as const;
export type OverflowName = keyof typeof OVERFLOW;

/**
 * Converts minor units in `currency` to minor units of the base currency, rounding half-even;
 * null when there is no rate (a currency mismatch).
 */
export function toBaseMinor(minor: number, currency: string, config: EngineConfig): number | null {
  if (currency === config.baseCurrency) return minor;
  const rate = config.fxRates[currency];
  if (rate === undefined || !(rate > 0)) return null;
  return roundHalfEven(minor * rate);
}
