/**
 * The store's `@upstash/redis` client for reading authoritative features: `UPSTASH_REDIS_REST_URL`
 * (default the local REST endpoint) and `UPSTASH_REDIS_REST_TOKEN`, with the root `.env.local` loaded
 * explicitly first (Next.js does not read it from the repository root). Created with
 * `automaticDeserialization: false`: feature values are canonical strings and stay strings.
 */
import { loadEnvLocalIntoProcess } from '@tandem/infra/env-local';
import { Redis } from '@upstash/redis';
import { STORE_ENV_DEFAULTS } from '../config';
import { createLaneSnapshotReader, type LaneSnapshotReader } from './lane-snapshots';
import { parseSigningKeys } from './offer-codes';
import { parseRateLimit } from './rate-limit';
import { DEFAULT_REDEEM_LIMITS, type RedeemDeps } from './redeem-api';

let cached: { client: Redis | undefined } | undefined;

/** A client from `env` (no `.env.local`, no caching): undefined without a token. */
export function createFeaturesRedis(env: Readonly<Record<string, string | undefined>>): Redis | undefined {
  const token = env.UPSTASH_REDIS_REST_TOKEN?.trim();
  if (!token) return undefined;
  const url = env.UPSTASH_REDIS_REST_URL?.trim() || STORE_ENV_DEFAULTS.UPSTASH_REDIS_REST_URL;
  // One quick retry: a page waits for this read, so a down endpoint must answer 503 fast.
  return new Redis({ url, token, automaticDeserialization: false, retry: { retries: 1, backoff: () => 100 } });
}

/** The process's client, created on first use; undefined when no token is configured. */
export function featuresRedis(): Redis | undefined {
  if (cached === undefined) {
    try {
      loadEnvLocalIntoProcess();
    } catch (error) {
      console.warn(`[features] .env.local not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
    cached = { client: createFeaturesRedis(process.env) };
  }
  return cached.client;
}

let lanes: { reader: LaneSnapshotReader | undefined } | undefined;

/** The process's reader of lane snapshots (its layout cache lives as long as the process). */
export function laneSnapshots(): LaneSnapshotReader | undefined {
  if (lanes === undefined) {
    const redis = featuresRedis();
    const group = process.env.CONSUMER_GROUP?.trim() || STORE_ENV_DEFAULTS.CONSUMER_GROUP;
    lanes = { reader: redis === undefined ? undefined : createLaneSnapshotReader(redis, { group }) };
  }
  return lanes.reader;
}

let offerSettings: Pick<RedeemDeps, 'signingKeys' | 'limits' | 'trustedProxies'> | undefined;

/**
 * Redemption's settings from the environment, read once: the signing key ring (OFFER_SIGNING_KEY,
 * OFFER_SIGNING_KEYS_PREVIOUS), the claim limits (OFFER_REDEEM_LIMIT_PER_BROWSER and
 * OFFER_REDEEM_LIMIT_PER_ADDRESS, `<requests>/<seconds>`) and STORE_TRUSTED_PROXIES. A missing or
 * short key is logged once and leaves redemption answering 503; a malformed limit throws, so the
 * first redemption fails loudly rather than running unlimited.
 */
export function offerSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  log: (line: string) => void = (line) => console.error(`[offers] ${line}`),
): Pick<RedeemDeps, 'signingKeys' | 'limits' | 'trustedProxies'> {
  const keys = parseSigningKeys(env.OFFER_SIGNING_KEY, env.OFFER_SIGNING_KEYS_PREVIOUS);
  if (!keys.ok) log(`offer codes are off: ${keys.detail}`);
  return {
    signingKeys: keys.ok ? keys.keys : undefined,
    limits: {
      ...DEFAULT_REDEEM_LIMITS,
      perBrowser: parseRateLimit(
        'OFFER_REDEEM_LIMIT_PER_BROWSER',
        env.OFFER_REDEEM_LIMIT_PER_BROWSER,
        DEFAULT_REDEEM_LIMITS.perBrowser,
      ),
      perAddress: parseRateLimit(
        'OFFER_REDEEM_LIMIT_PER_ADDRESS',
        env.OFFER_REDEEM_LIMIT_PER_ADDRESS,
        DEFAULT_REDEEM_LIMITS.perAddress,
      ),
    },
    trustedProxies: (env.STORE_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((proxy) => proxy.trim())
      .filter(Boolean),
  };
}

/** What redemption and checkout need: Redis, the lane reader, the signing keys (from .env.local locally) and limits. */
export function offerDeps(): RedeemDeps {
  const redis = featuresRedis();
  offerSettings ??= offerSettingsFromEnv(process.env);
  return { redis, lanes: laneSnapshots(), ...offerSettings };
}
