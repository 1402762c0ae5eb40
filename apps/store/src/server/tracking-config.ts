/**
 * The tracking settings the browser gets at request time (ARCHITECTURE.md: never `NEXT_PUBLIC_*`
 * values baked in at build), so one build runs on any host and port.
 */
import type { TrackingConfig } from '../tracking/shop-tracking';
import { holdoutSettings } from './offer-stats-model';

/** The Snowplow app id of the shop's events. */
export const STORE_APP_ID = 'tandem-store';

/** The first-party collector path the store proxies to COLLECTOR_URL. */
export const COLLECTOR_PROXY_PATH = '/t';

export interface RequestOrigin {
  /** The Host header. */
  readonly host: string | null;
  /** X-Forwarded-Host / X-Forwarded-Proto, set by a reverse proxy in front of the store. */
  readonly forwardedHost: string | null;
  readonly forwardedProto: string | null;
}

/** The origin the browser used, e.g. `http://127.0.0.1:3000` (first value of a forwarded list). */
export function requestOrigin({ host, forwardedHost, forwardedProto }: RequestOrigin): string {
  const first = (value: string | null) => value?.split(',')[0]?.trim() || null;
  const proto = first(forwardedProto) === 'https' ? 'https' : 'http';
  return `${proto}://${first(forwardedHost) ?? first(host) ?? '127.0.0.1:3000'}`;
}

/** Defaults of the reconciliation settings the browser gets (see apps/store/README.md). */
export const DIGEST_DEFAULTS = { quietMs: 5_000, rebaseEveryMs: 60_000 } as const;

/** A whole number of ms from `text` within [min, max], else `fallback` (a bad value must not break the page). */
function msSetting(text: string | undefined, fallback: number, min: number, max: number): number {
  const value = Number(text?.trim());
  return text !== undefined && text.trim() !== '' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : fallback;
}

/**
 * The browser's tracking config: the collector under the request's own origin, the signed-in user,
 * `enabled` unless `TRACKING=off` (for tests of the shop alone, with no collector running), client
 * digests unless `FEATURE_DIGESTS=off`, sent after `FEATURE_DIGEST_QUIET_MS` without an event, and the
 * worker's rebase period `FEATURE_REBASE_INTERVAL_MS`, and the offers holdout (`OFFER_HOLDOUT_SHARE`,
 * `OFFER_HOLDOUT_SALT`).
 */
export function trackingConfigFor(
  origin: RequestOrigin,
  userId: string | null,
  env: Readonly<Record<string, string | undefined>>,
): TrackingConfig {
  const holdout = holdoutSettings(env);
  return {
    collectorUrl: `${requestOrigin(origin)}${COLLECTOR_PROXY_PATH}`,
    appId: STORE_APP_ID,
    userId,
    enabled: env.TRACKING?.trim().toLowerCase() !== 'off',
    digests: {
      enabled: env.FEATURE_DIGESTS?.trim().toLowerCase() !== 'off',
      quietMs: msSetting(env.FEATURE_DIGEST_QUIET_MS, DIGEST_DEFAULTS.quietMs, 500, 600_000),
    },
    rebaseEveryMs: msSetting(env.FEATURE_REBASE_INTERVAL_MS, DIGEST_DEFAULTS.rebaseEveryMs, 1_000, 3_600_000),
    // The same settings the server counts and guards redemptions with (offer-stats-model.ts).
    holdout: { share: holdout.share, salt: holdout.salt },
  };
}
