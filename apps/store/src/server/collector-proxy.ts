/**
 * The first-party collector path: `/t/*` on the store's origin, forwarded to COLLECTOR_URL, so the
 * tracker talks to its own origin (no CORS, no third-party cookie, left alone by ad blockers).
 *
 * Forwarded as is: method, path below `/t`, query, body, the tracker's headers (Content-Type,
 * SP-Anonymous, User-Agent, ...) and the collector's answer, including its `sp` Set-Cookie. Only the
 * `sp` cookie goes upstream: the shop's own cookies (cart, session) are none of the collector's
 * business. X-Forwarded-For names the shopper (see `forwardedFor`), so the collector, which trusts the
 * store (TRUSTED_PROXIES), rate-limits and geolocates each shopper rather than the store. Works on
 * standard `Request`/`Response`, so it is tested without Next.
 */

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus ones fetch sets. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * The collector paths a browser tracker uses (SNOWPLOW.md §2): POST tp2 and the GET pixel. Nothing
 * else is forwarded: the collector's /metrics and /health are for operators, not for the shop's origin.
 */
export const TRACKER_PATHS: ReadonlySet<string> = new Set(['com.snowplowanalytics.snowplow/tp2', 'i']);

/** The collector's network user id cookie (SNOWPLOW.md §2). */
export const COLLECTOR_COOKIE = 'sp';

/** At most this many X-Forwarded-For hops go upstream (the rightmost: the collector reads from the right). */
export const MAX_FORWARDED_HOPS = 16;

export interface CollectorProxyOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:9090`. */
  readonly collectorUrl: string;
  /** Give up on the collector after this long (ms); the tracker retries. */
  readonly timeoutMs?: number;
  /** For tests. */
  readonly fetch?: typeof fetch;
}

/**
 * The collector URL for a path below `/t` and the request's query string (`?a=1` or empty). Dot
 * segments are refused (null) so a request cannot climb above the collector's base path.
 */
export function upstreamUrl(collectorUrl: string, pathSegments: readonly string[], search: string): string | null {
  if (pathSegments.some((segment) => segment === '.' || segment === '..' || segment === '')) return null;
  const base = collectorUrl.replace(/\/+$/, '');
  return `${base}/${pathSegments.map(encodeURIComponent).join('/')}${search}`;
}

/** Only the `sp` cookie of a Cookie header (null when there is none). */
export function collectorCookie(cookieHeader: string | null): string | null {
  if (cookieHeader === null) return null;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.split('=');
    if (name?.trim() === COLLECTOR_COOKIE) return `${COLLECTOR_COOKIE}=${value.join('=').trim()}`;
  }
  return null;
}

/**
 * The X-Forwarded-For the collector gets: the chain the store received, whose last hop is the address
 * the store saw the request come from; null when there is none.
 *
 * Next.js gives a route handler no socket address. Its server records the peer itself, as
 * X-Forwarded-For, when a request comes without one (Next.js 16, `base-server.js`:
 * `req.headers['x-forwarded-for'] ??= socket.remoteAddress`), and a reverse proxy in front of the store
 * appends its own peer. Either way the chain already ends with the store's view of the shopper, so it
 * goes on as received (hops trimmed, empty ones dropped, the rightmost `MAX_FORWARDED_HOPS` kept). The
 * collector believes it from the store only and takes the rightmost hop that is not a trusted proxy, so
 * hops a client writes in front of it change nothing. What no route handler can undo: a client that
 * reaches `next start` itself and sends its own X-Forwarded-For, which Next.js keeps (`??=`), picks
 * its address. Hence the store runs behind a proxy that sets the header, or on loopback (`npm start`).
 */
export function forwardedFor(received: string | null): string | null {
  if (received === null) return null;
  const hops = received
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  return hops.length === 0 ? null : hops.slice(-MAX_FORWARDED_HOPS).join(', ');
}

/**
 * Request headers for the collector: the browser's, without hop-by-hop ones, without compression
 * (the answer is passed on decoded), with only the `sp` cookie, X-Forwarded-For ending with the
 * shopper's address (`forwardedFor`), and X-Forwarded-Host/-Proto naming the store as the browser
 * saw it.
 */
export function upstreamRequestHeaders(incoming: Headers, storeUrl: URL): Headers {
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP.has(name) || name === 'cookie' || name === 'accept-encoding' || name === 'x-forwarded-for') {
      continue;
    }
    headers.set(name, value);
  }
  const cookie = collectorCookie(incoming.get('cookie'));
  if (cookie !== null) headers.set('cookie', cookie);
  const chain = forwardedFor(incoming.get('x-forwarded-for'));
  if (chain !== null) headers.set('x-forwarded-for', chain);
  if (!headers.has('x-forwarded-host')) headers.set('x-forwarded-host', incoming.get('host') ?? storeUrl.host);
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', storeUrl.protocol.replace(':', ''));
  return headers;
}

/** Removes a `Domain=` attribute so the cookie belongs to the store's origin, where the browser sent it. */
export function rewriteSetCookie(setCookie: string): string {
  return setCookie
    .split(';')
    .filter((attribute) => !/^\s*domain\s*=/i.test(attribute))
    .join(';');
}

/**
 * Response headers for the browser: the collector's, without hop-by-hop ones and without
 * Content-Encoding (fetch already decoded the body), each Set-Cookie kept (rewritten to the store's
 * origin).
 */
export function downstreamResponseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || name === 'content-encoding' || name === 'set-cookie') continue;
    headers.set(name, value);
  }
  for (const setCookie of upstream.getSetCookie()) headers.append('set-cookie', rewriteSetCookie(setCookie));
  return headers;
}

/** Forwards one request to the collector and its answer back; 502/504 when the collector fails. */
export async function proxyToCollector(
  request: Request,
  pathSegments: readonly string[],
  options: CollectorProxyOptions,
): Promise<Response> {
  if (!TRACKER_PATHS.has(pathSegments.join('/')))
    return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  const storeUrl = new URL(request.url);
  const target = upstreamUrl(options.collectorUrl, pathSegments, storeUrl.search);
  if (target === null) return new Response('bad path', { status: 400, headers: { 'content-type': 'text/plain' } });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  try {
    const upstream = await (options.fetch ?? fetch)(target, {
      method: request.method,
      headers: upstreamRequestHeaders(request.headers, storeUrl),
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    return new Response(request.method === 'HEAD' ? null : upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: downstreamResponseHeaders(upstream.headers),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return new Response(timedOut ? 'collector timed out' : 'collector unavailable', {
      status: timedOut ? 504 : 502,
      headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
    });
  }
}
