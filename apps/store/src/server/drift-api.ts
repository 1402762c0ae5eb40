/**
 * `GET /api/ops/drift`: the drift dashboard's data (drift from Redis, pipeline health from the
 * aggregator's metrics), behind the dashboard token (drift-auth.ts). Never cached.
 */
import { STORE_ENV_DEFAULTS } from '../config';
import { authorizeOps, OPS_COOKIE, type OpsAuthConfig, opsAuthConfigFromEnv, opsSetCookies } from './drift-auth';
import { createPipelineHealthReader, type PipelineHealth, type PipelineHealthReader } from './drift-health';
import { createDriftReader, DEFAULT_DRIFT_MINUTES, type DriftReader, type DriftSnapshot } from './drift-reader';
import { offerStats } from './offer-stats';
import type { OffersReport } from './offer-stats-model';
import { featuresRedis } from './redis-client';

/** The API's answer. */
export interface DriftDashboardBody {
  readonly generatedAtMs: number;
  readonly drift:
    | ({ readonly available: true } & DriftSnapshot)
    | { readonly available: false; readonly reason: string };
  readonly pipeline: PipelineHealth;
  /** The offers experiment (holdout, rates per arm, uplift): offer-stats-model.ts. */
  readonly offers:
    | ({ readonly available: true } & OffersReport)
    | { readonly available: false; readonly reason: string };
}

export interface DriftApiDeps {
  readonly auth: OpsAuthConfig;
  /** Undefined when no Redis is configured (no UPSTASH_REDIS_REST_TOKEN). */
  readonly drift: DriftReader | undefined;
  readonly health: PipelineHealthReader;
  /** The offers experiment's counters; undefined without Redis. */
  readonly offers?: { read(): Promise<OffersReport> } | undefined;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

const NO_STORE = { 'cache-control': 'no-store' };

/** A cookie's value from a `Cookie` header. */
export function cookieValue(header: string | null, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** `?minutes=` within 1..1440, else the default (60). */
export function parseMinutes(value: string | null): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= 1 && n <= 24 * 60 ? n : DEFAULT_DRIFT_MINUTES;
}

export async function driftApiResponse(deps: DriftApiDeps, request: Request): Promise<Response> {
  const log = deps.log ?? ((line: string) => console.warn(`[ops] ${line}`));
  const decision = authorizeOps(deps.auth, {
    authorization: request.headers.get('authorization'),
    cookie: cookieValue(request.headers.get('cookie'), OPS_COOKIE),
  });
  if (!decision.ok)
    return Response.json(
      { error: { code: decision.code, message: decision.message } },
      {
        status: decision.status,
        headers: {
          ...NO_STORE,
          ...(decision.status === 401 ? { 'www-authenticate': 'Bearer realm="tandem-ops"' } : {}),
        },
      },
    );
  const minutes = parseMinutes(new URL(request.url).searchParams.get('minutes'));
  const [drift, pipeline, offers] = await Promise.all([
    (async (): Promise<DriftDashboardBody['drift']> => {
      if (deps.drift === undefined)
        return {
          available: false,
          reason: 'Redis is not configured: set UPSTASH_REDIS_REST_TOKEN (npm start writes it into .env.local)',
        };
      try {
        return { available: true, ...(await deps.drift.read({ minutes })) };
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        log(`drift read failed: ${detail}`);
        return { available: false, reason: `Redis could not be read (${detail}): is the REST endpoint running?` };
      }
    })(),
    deps.health.read(),
    (async (): Promise<DriftDashboardBody['offers']> => {
      if (deps.offers === undefined)
        return { available: false, reason: 'Redis is not configured: set UPSTASH_REDIS_REST_TOKEN' };
      try {
        return { available: true, ...(await deps.offers.read()) };
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        log(`offers read failed: ${detail}`);
        return { available: false, reason: `Redis could not be read (${detail})` };
      }
    })(),
  ]);
  const body: DriftDashboardBody = { generatedAtMs: (deps.now ?? Date.now)(), drift, pipeline, offers };
  return Response.json(body, { headers: NO_STORE });
}

/** Where the aggregator's metrics are: AGGREGATOR_METRICS_URL, else METRICS_HOST:METRICS_PORT (the stack sets them), else :9464. */
export function aggregatorMetricsUrl(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.AGGREGATOR_METRICS_URL?.trim();
  if (explicit) return explicit;
  const port = env.METRICS_PORT?.trim();
  if (port) return `http://${env.METRICS_HOST?.trim() || '127.0.0.1'}:${port}`;
  return 'http://127.0.0.1:9464';
}

let processDeps: Omit<DriftApiDeps, 'auth'> | undefined;

/** The auth settings, read on every request (after `.env.local` was loaded once by the Redis client). */
export function opsAuthConfig(): OpsAuthConfig {
  featuresRedis();
  return opsAuthConfigFromEnv(process.env);
}

/** The process's readers: the health reader keeps its previous sample for the throughput rate. */
export function driftApiDeps(): DriftApiDeps {
  if (processDeps === undefined) {
    const redis = featuresRedis();
    const group = process.env.CONSUMER_GROUP?.trim() || STORE_ENV_DEFAULTS.CONSUMER_GROUP;
    processDeps = {
      drift: redis === undefined ? undefined : createDriftReader(redis, { group }),
      health: createPipelineHealthReader({ baseUrl: aggregatorMetricsUrl(process.env) }),
      offers: offerStats(),
    };
  }
  return { ...processDeps, auth: opsAuthConfig() };
}

/** The dashboard page. */
export const DRIFT_PAGE_PATH = '/ops/drift';

/**
 * `GET /api/ops/session?token=`: a valid token sets the cookie and redirects (303) to the dashboard;
 * a wrong one answers 401 (plain text, it is a browser navigation).
 */
export function opsSessionResponse(request: Request, auth: OpsAuthConfig = opsAuthConfig()): Response {
  const url = new URL(request.url);
  const token = url.searchParams.get('token');
  const decision = authorizeOps(auth, { queryToken: token });
  if (!decision.ok)
    return new Response(`${decision.message}\n`, {
      status: decision.status,
      headers: { ...NO_STORE, 'content-type': 'text/plain; charset=utf-8' },
    });
  const headers = new Headers({ ...NO_STORE, location: DRIFT_PAGE_PATH, 'referrer-policy': 'no-referrer' });
  if (decision.via === 'query' && auth.token !== undefined) {
    const secure = url.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
    for (const cookie of opsSetCookies(auth.token, secure)) headers.append('set-cookie', cookie);
  }
  return new Response(null, { status: 303, headers });
}
