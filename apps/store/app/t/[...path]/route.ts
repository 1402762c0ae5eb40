/**
 * The first-party collector path: the tracker's paths under `/t/` go to COLLECTOR_URL (see
 * src/server/collector-proxy.ts): `/t/com.snowplowanalytics.snowplow/tp2` and `/t/i?...`; any other
 * path is 404, so the collector's operator endpoints (/metrics, /health) are not on the shop's origin.
 * The request carries no socket address here; Next.js has put the peer's address in X-Forwarded-For
 * when the request came without one, and the proxy passes that chain on (`forwardedFor`).
 */
import { STORE_ENV_DEFAULTS } from '../../../src/config';
import { proxyToCollector } from '../../../src/server/collector-proxy';

interface Context {
  readonly params: Promise<{ path: string[] }>;
}

async function handle(request: Request, { params }: Context): Promise<Response> {
  const collectorUrl = process.env.COLLECTOR_URL?.trim() || STORE_ENV_DEFAULTS.COLLECTOR_URL;
  return proxyToCollector(request, (await params).path, { collectorUrl });
}

export const GET = handle;
export const POST = handle;
export const OPTIONS = handle;
export const HEAD = handle;
