/**
 * The store's `@upstash/redis` client for reading authoritative features: `UPSTASH_REDIS_REST_URL`
 * (default the local REST endpoint) and `UPSTASH_REDIS_REST_TOKEN`, with the root `.env.local` loaded
 * explicitly first (Next.js does not read it from the repository root). Created with
 * `automaticDeserialization: false`: feature values are canonical strings and stay strings.
 */
import { loadEnvLocalIntoProcess } from '@tandem/infra/env-local';
import { Redis } from '@upstash/redis';
import { STORE_ENV_DEFAULTS } from '../config';

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
