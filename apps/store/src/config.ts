/**
 * The store's documented defaults (docs/architecture.md, "Components and their contracts").
 *
 * Every address can be overridden by the environment variable of the same name, so pointing the
 * store at Upstash cloud or a real Snowplow collector needs no code change. The browser learns these
 * at request time from the server-rendered page, never from `NEXT_PUBLIC_*` values baked in at build.
 */

/** Where the store listens by default. */
export const STORE_HOST = '127.0.0.1';
export const STORE_PORT = 3000;
export const STORE_URL = `http://${STORE_HOST}:${STORE_PORT}`;

/** Paths the store serves besides the shop itself. */
export const STORE_PATHS = {
  /** Drift dashboard: client vs server feature agreement over time. */
  driftDashboard: '/ops/drift',
  /** JSON Schemas of the project's own self-describing events (Iglu-style). */
  iglu: '/iglu/',
} as const;

/** Environment variables the store reads, each with the default used when it is unset. */
export const STORE_ENV_DEFAULTS = {
  /** Snowplow-compatible collector the tracker sends to (also proxied under the store's origin). */
  COLLECTOR_URL: 'http://127.0.0.1:9090',
  /** Upstash-compatible REST endpoint in front of Redis (`@upstash/redis`). */
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  /** Direct Redis address, for what does not go through the REST endpoint. */
  REDIS_URL: 'redis://127.0.0.1:6379',
  /** The edge-aggregator's consumer group, whose lane snapshots the store reads (rebase, redemption). */
  CONSUMER_GROUP: 'tandem-features',
} as const satisfies Record<string, string>;

export type StoreEnvName = keyof typeof STORE_ENV_DEFAULTS;

/**
 * Secrets the store needs and that have no default: generated into the git-ignored `.env.local` at the
 * repository root on the first `npm start`; production mode refuses to start without real values.
 */
export const STORE_SECRET_ENV_NAMES = ['UPSTASH_REDIS_REST_TOKEN', 'OFFER_SIGNING_KEY'] as const;

export type StoreSecretEnvName = (typeof STORE_SECRET_ENV_NAMES)[number];
