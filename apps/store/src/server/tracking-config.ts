/**
 * The tracking settings the browser gets at request time (ARCHITECTURE.md: never `NEXT_PUBLIC_*`
 * values baked in at build), so one build runs on any host and port.
 */
import type { TrackingConfig } from '../tracking/shop-tracking';

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

/**
 * The browser's tracking config: the collector under the request's own origin, the signed-in user,
 * and `enabled` unless `TRACKING=off` (for tests of the shop alone, with no collector running).
 */
export function trackingConfigFor(
  origin: RequestOrigin,
  userId: string | null,
  env: Readonly<Record<string, string | undefined>>,
): TrackingConfig {
  return {
    collectorUrl: `${requestOrigin(origin)}${COLLECTOR_PROXY_PATH}`,
    appId: STORE_APP_ID,
    userId,
    enabled: env.TRACKING?.trim().toLowerCase() !== 'off',
  };
}
