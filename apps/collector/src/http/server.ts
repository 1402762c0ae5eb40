/**
 * The collector's HTTP front: the routes and answers of a Snowplow collector (SNOWPLOW.md §2), with
 * Node's `http` module. It reads and frames requests only; everything else (validation, enrichment,
 * Kafka) is the injected `process` pipeline.
 *
 * Decisions (see the module's tests for each):
 * - The answer is sent after `process` resolves, so a 200 means the events were handed to Kafka. When
 *   `process` rejects the answer is 503, which the tracker retries (it keeps unsent events).
 * - Requests the collector cannot use but a tracker sent (body over `maxBodyBytes`, unreadable JSON, not
 *   `payload_data`, empty `/i` query) are answered 200, as Snowplow does, and handed to `process` with a
 *   `problem` so they become bad rows; only requests no tracker sends get an error status (unknown path
 *   404, wrong method 405).
 * - The client is the address `trustedProxyClientIp` decides (enrich/geo.ts: `X-Forwarded-For` believed only
 *   from `trustedProxies`, rightmost hop that is not a trusted proxy), once per request: the rate limit keys
 *   on it and `ip` hands it to enrichment, so both follow one rule.
 * - Rate limiting (a token bucket per client, http/rate-limit.ts): a request over the limit is answered 429
 *   with `Retry-After` (whole seconds until a token is back) and CORS headers, its body discarded unread,
 *   and never reaches `process`: no Kafka write, no bad row, so a flood costs the collector little and
 *   Kafka nothing. Refusals are counted on `GET /metrics` and logged per client at most once per
 *   `logIntervalMs`. The browser tracker 4.10.x (`@snowplow/tracker-core` emitter) retries every status
 *   but 400, 401, 403, 410 and 422: after a 429 the batch stays at the head of its queue (localStorage, up
 *   to 1,000 events, the oldest dropped beyond) and is sent again at the next flush (the next tracked
 *   event, the page being hidden, the next page load); it has no retry timer and ignores `Retry-After`.
 *   So a refused shopper's events arrive late, not never, and a client that keeps sending keeps getting
 *   cheap 429s.
 * - Events past `maxEventsPerPayload`, and entries of `data` that are not objects of strings, are not
 *   dropped silently: they go to `rejected` with a reason, so the pipeline writes one bad row each while the
 *   payload's other events go on (a payload of 10 with 1 bad gives 9 good and 1 bad).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { trustedProxyClientIp } from '../enrich/geo.js';
import { RateLimiter, type RateLimitStats, RefusalLog, rateLimitMetrics, retryAfterSeconds } from './rate-limit.js';

export const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
export const PIXEL_PATH = '/i';
export const HEALTH_PATH = '/health';
/** The collector's counters in the Prometheus text format (`/health` stays a bare `ok`, SNOWPLOW.md §2). */
export const METRICS_PATH = '/metrics';
export const ANONYMOUS_NETWORK_USER_ID = '00000000-0000-0000-0000-000000000000';
export const COOKIE_NAME = 'sp';
export const COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;
/** A 1×1 transparent GIF (42 bytes: header, screen, 2-colour table, transparency, image, trailer). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
/** How much of an oversized body is kept in `rawBody` (the bad row keeps the start of the body). */
export const OVERSIZED_RAW_BYTES = 16 * 1024;
/** How often, at most, one refused client gets a log line (default `rateLimit.logIntervalMs`). */
export const RATE_LIMIT_LOG_INTERVAL_MS = 60_000;
const PAYLOAD_DATA_PREFIX = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CollectorProblemType = 'size_violation' | 'cpformat_violation';

export interface CollectorProblem {
  type: CollectorProblemType;
  detail: string;
  /** Bytes received, for `size_violation`. */
  actualSizeBytes?: number;
}

/** One entry of the payload's `data` that is not handed on as an event. */
export interface RejectedEvent {
  /** Its position in `data` (or 0 for `/i`). */
  index: number;
  reason: 'over_events_limit' | 'not_an_object' | 'non_string_value';
  detail: string;
  /** The entry as received (JSON value). */
  event: unknown;
}

export interface CollectorRequest {
  /** The usable events; null when `problem` is set. */
  events: Record<string, string>[] | null;
  /** Entries of `data` set aside (see `RejectedEvent`); empty when `problem` is set. */
  rejected: RejectedEvent[];
  /** Why the whole request is unusable; null for a readable payload. */
  problem: CollectorProblem | null;
  /** The body as received (POST; bounded for oversized requests), or the query string (GET /i). */
  rawBody: string;
  /** When the request arrived (epoch ms). */
  collectorTimeMs: number;
  /**
   * The client's IP, without an IPv4-mapped prefix: the remote address, or the one `trustedProxyClientIp`
   * takes from `X-Forwarded-For` when the remote address is a trusted proxy; null for anonymous tracking.
   */
  ip: string | null;
  /** The socket's remote address, always (the proxy's, behind one). */
  remoteAddress: string | null;
  headers: {
    userAgent: string | null;
    xForwardedFor: string | null;
    referer: string | null;
    origin: string | null;
    contentType: string | null;
  };
  /** The `sp` cookie's UUID (reused or new), or the all-zero id for anonymous tracking. */
  networkUserId: string;
  /** `SP-Anonymous: *` was sent. */
  anonymous: boolean;
  path: 'tp2' | 'i';
}

export interface CollectorServerOptions {
  host?: string;
  port?: number;
  process: (request: CollectorRequest) => Promise<void>;
  maxBodyBytes?: number;
  maxEventsPerPayload?: number;
  /**
   * A token bucket per client address: `perClientPerSecond` sustained, `burst` at once; a refused
   * client is logged at most once per `logIntervalMs` (default `RATE_LIMIT_LOG_INTERVAL_MS`). Null: none.
   */
  rateLimit?: { perClientPerSecond: number; burst: number; logIntervalMs?: number } | null;
  /** Origins that get CORS headers in production; default `'any'` (outside production) or none (production). */
  allowedOrigins?: readonly string[] | 'any';
  /** `Domain=` of the `sp` cookie; none (host-only) when absent. */
  cookieDomain?: string;
  production?: boolean;
  /**
   * Proxies (IPs or IPv4 CIDRs) whose `X-Forwarded-For` is believed, for the rate limit and enrichment
   * alike (`trustedProxyClientIp`); default none (every client is its socket address).
   */
  trustedProxies?: readonly string[];
  now?: () => number;
  /** Receives unexpected errors (handler failures); default: ignored. */
  onError?: (error: unknown) => void;
  /** Receives operator log lines (rate-limit summaries); default: ignored. */
  log?: (line: string) => void;
}

export interface CollectorServer {
  readonly url: string;
  readonly port: number;
  /** The rate limit's counters (also on `GET /metrics`). */
  rateLimitStats(): RateLimitStats;
  close(): Promise<void>;
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function normaliseIp(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The `sp` cookie's value when it is a UUID. */
export function readSpCookie(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== COOKIE_NAME) continue;
    const value = part.slice(eq + 1).trim();
    if (UUID_RE.test(value)) return value.toLowerCase();
  }
  return null;
}

/** Parses a tp2 body into events, rejected entries, or a problem. */
export function parsePayloadData(
  body: string,
  maxEvents: number,
): { events: Record<string, string>[]; rejected: RejectedEvent[] } | { problem: CollectorProblem } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { problem: { type: 'cpformat_violation', detail: `body is not JSON: ${(error as Error).message}` } };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { problem: { type: 'cpformat_violation', detail: 'body is not a JSON object' } };
  }
  const { schema, data } = json as { schema?: unknown; data?: unknown };
  if (typeof schema !== 'string' || !schema.startsWith(PAYLOAD_DATA_PREFIX)) {
    return {
      problem: {
        type: 'cpformat_violation',
        detail: `schema must be ${PAYLOAD_DATA_PREFIX}x, was ${typeof schema === 'string' ? schema.slice(0, 200) : typeof schema}`,
      },
    };
  }
  if (!Array.isArray(data)) return { problem: { type: 'cpformat_violation', detail: 'data is not an array' } };
  if (data.length === 0) return { problem: { type: 'cpformat_violation', detail: 'data is empty' } };
  const events: Record<string, string>[] = [];
  const rejected: RejectedEvent[] = [];
  data.forEach((entry: unknown, index) => {
    if (index >= maxEvents) {
      rejected.push({
        index,
        reason: 'over_events_limit',
        detail: `payload has ${data.length} events, at most ${maxEvents} are accepted`,
        event: entry,
      });
      return;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      rejected.push({ index, reason: 'not_an_object', detail: 'event is not a JSON object', event: entry });
      return;
    }
    const bad = Object.entries(entry).find(([, v]) => typeof v !== 'string');
    if (bad) {
      rejected.push({
        index,
        reason: 'non_string_value',
        detail: `field ${bad[0].slice(0, 100)} is ${bad[1] === null ? 'null' : typeof bad[1]}, not a string`,
        event: entry,
      });
      return;
    }
    events.push(entry as Record<string, string>);
  });
  return { events, rejected };
}

/** Reads a body, keeping at most `keepBytes` of it once it passes `maxBytes`; stops reading past `hardCap`. */
function readBody(
  req: IncomingMessage,
  maxBytes: number,
  hardCap: number,
): Promise<{ body: Buffer; size: number; oversized: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let kept = 0;
    let oversized = false;
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      resolve({ body: Buffer.concat(chunks), size, oversized, aborted });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!oversized && size > maxBytes) {
        oversized = true;
        // Keep only the start of the body.
        const all = Buffer.concat(chunks);
        chunks.length = 0;
        chunks.push(all.subarray(0, OVERSIZED_RAW_BYTES));
        kept = chunks[0]?.length ?? 0;
      }
      if (!oversized) {
        chunks.push(chunk);
        kept += chunk.length;
      } else if (kept < OVERSIZED_RAW_BYTES) {
        const part = chunk.subarray(0, OVERSIZED_RAW_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (size > hardCap) {
        req.pause();
        finish(true);
      }
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(true));
    req.on('close', () => finish(true));
  });
}

/**
 * Reads and discards a body before a non-collecting answer (answering first would leave the rest of the
 * body on a keep-alive connection); past `hardCap` bytes the connection is closed after the answer.
 */
function drain(req: IncomingMessage, hardCap: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (req.complete) {
      resolve(true);
      return;
    }
    let size = 0;
    let done = false;
    const finish = (complete: boolean) => {
      if (done) return;
      done = true;
      resolve(complete);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > hardCap) {
        req.pause();
        finish(false);
      }
    });
    req.on('end', () => finish(true));
    req.on('error', () => finish(false));
    req.on('close', () => finish(req.complete));
  });
}

/** Starts the collector; resolves once it listens. */
export async function createCollectorServer(options: CollectorServerOptions): Promise<CollectorServer> {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
  const hardCap = Math.max(maxBodyBytes * 8, 64 * 1024 * 1024);
  const maxEvents = options.maxEventsPerPayload ?? 1000;
  const production = options.production ?? false;
  const allowedOrigins = options.allowedOrigins ?? (production ? [] : 'any');
  const limiter = options.rateLimit
    ? new RateLimiter(options.rateLimit.perClientPerSecond, options.rateLimit.burst, now)
    : null;
  const refusals = new RefusalLog(
    options.rateLimit?.logIntervalMs ?? RATE_LIMIT_LOG_INTERVAL_MS,
    now,
    options.log ?? (() => {}),
  );
  const trustedProxies = [...(options.trustedProxies ?? [])];
  const onError = options.onError ?? (() => {});

  const originAllowed = (origin: string | null): origin is string =>
    origin !== null &&
    origin !== '' &&
    (!production || allowedOrigins === 'any' || (allowedOrigins as readonly string[]).includes(origin));

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = header(req, 'origin');
    if (!originAllowed(origin)) return { Vary: 'Origin' };
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
  };

  const cookie = (networkUserId: string, anonymous: boolean): string => {
    const domain = options.cookieDomain ? `; Domain=${options.cookieDomain}` : '';
    if (anonymous) {
      return `${COOKIE_NAME}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/${domain}; SameSite=None; Secure; HttpOnly`;
    }
    const expires = new Date(now() + COOKIE_MAX_AGE_SECONDS * 1000).toUTCString();
    return `${COOKIE_NAME}=${networkUserId}; Max-Age=${COOKIE_MAX_AGE_SECONDS}; Expires=${expires}; Path=/${domain}; SameSite=None; Secure; HttpOnly`;
  };

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) => {
    if (res.headersSent || res.destroyed) return;
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'Content-Length': String(buffer.length) });
    res.end(buffer);
  };
  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
    send(res, status, { 'Content-Type': 'text/plain; charset=UTF-8', ...headers }, body);

  /**
   * Answers 429 to a client over its rate, after discarding the body (answering first would leave it on a
   * keep-alive connection); past `maxBodyBytes` the connection is closed instead of read on.
   */
  const refuse = async (req: IncomingMessage, res: ServerResponse, client: string, waitMs: number) => {
    refusals.refused(client);
    const complete = await drain(req, maxBodyBytes);
    if (!complete) {
      if (req.destroyed) return;
      res.once('finish', () => req.socket.destroy());
      res.setHeader('Connection', 'close');
    }
    const cors = corsHeaders(req);
    // The tracker only needs the status (readable with Allow-Origin); a page's own code may want the wait.
    if ('Access-Control-Allow-Origin' in cors) cors['Access-Control-Expose-Headers'] = 'Retry-After';
    text(res, 429, 'too many requests', {
      ...cors,
      'Retry-After': String(retryAfterSeconds(waitMs)),
      'Cache-Control': 'no-store',
    });
  };

  const collect = async (req: IncomingMessage, res: ServerResponse, path: 'tp2' | 'i', query: string) => {
    const collectorTimeMs = now();
    const remoteAddress = normaliseIp(req.socket.remoteAddress);
    const anonymous = header(req, 'sp-anonymous')?.trim() === '*';
    const xForwardedFor = header(req, 'x-forwarded-for');
    const clientIp = trustedProxyClientIp(remoteAddress, xForwardedFor, trustedProxies);
    if (limiter) {
      const client = clientIp ?? 'unknown';
      const waitMs = limiter.take(client);
      if (waitMs > 0) return refuse(req, res, client, waitMs);
    }

    let rawBody = '';
    let events: Record<string, string>[] | null = null;
    let rejected: RejectedEvent[] = [];
    let problem: CollectorProblem | null = null;
    let closeConnection = false;

    if (path === 'tp2') {
      const read = await readBody(req, maxBodyBytes, hardCap);
      if (read.aborted && !read.oversized && req.destroyed) return; // the client went away mid-body
      closeConnection = read.aborted;
      if (read.oversized) {
        rawBody = read.body.toString('utf8');
        problem = {
          type: 'size_violation',
          detail: `body of ${read.size} bytes is over the limit of ${maxBodyBytes} bytes`,
          actualSizeBytes: read.size,
        };
      } else {
        rawBody = read.body.toString('utf8');
        const parsed = parsePayloadData(rawBody, maxEvents);
        if ('problem' in parsed) problem = parsed.problem;
        else ({ events, rejected } = parsed);
      }
    } else {
      rawBody = query;
      if (query.length === 0) problem = { type: 'cpformat_violation', detail: 'GET /i without a query string' };
      else {
        const event: Record<string, string> = {};
        for (const [k, v] of new URLSearchParams(query)) if (!(k in event)) event[k] = v;
        events = [event];
      }
    }

    const existing = readSpCookie(header(req, 'cookie'));
    const networkUserId = anonymous ? ANONYMOUS_NETWORK_USER_ID : (existing ?? randomUUID());
    const request: CollectorRequest = {
      events,
      rejected,
      problem,
      rawBody,
      collectorTimeMs,
      ip: anonymous ? null : clientIp,
      remoteAddress,
      headers: {
        userAgent: header(req, 'user-agent'),
        xForwardedFor,
        referer: header(req, 'referer'),
        origin: header(req, 'origin'),
        contentType: header(req, 'content-type'),
      },
      networkUserId,
      anonymous,
      path,
    };

    try {
      await options.process(request);
    } catch (error) {
      onError(error);
      text(res, 503, 'unavailable', { ...corsHeaders(req), 'Retry-After': '1' });
      return;
    }
    const common = {
      ...corsHeaders(req),
      'Set-Cookie': cookie(networkUserId, anonymous),
      ...(closeConnection ? { Connection: 'close' } : {}),
    };
    if (path === 'tp2') text(res, 200, 'ok', common);
    else {
      send(
        res,
        200,
        {
          ...common,
          'Content-Type': 'image/gif',
          'Cache-Control': 'no-cache, no-store, must-revalidate',
          Pragma: 'no-cache',
          Expires: '0',
        },
        PIXEL_GIF,
      );
    }
    if (closeConnection) res.once('finish', () => req.socket.destroy());
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const method = req.method ?? 'GET';
    // Only a tp2 POST reads its body itself; every other answer waits for the body to be discarded.
    if (!(pathname === TP2_PATH && method === 'POST')) {
      const complete = await drain(req, hardCap);
      if (!complete) {
        if (!req.destroyed) res.once('finish', () => req.socket.destroy());
        res.setHeader('Connection', 'close');
      }
    }

    if (method === 'OPTIONS') {
      const origin = header(req, 'origin');
      if (production && !originAllowed(origin)) {
        text(res, 403, 'origin not allowed', { Vary: 'Origin' });
        return;
      }
      const headers: Record<string, string> = {
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Headers': 'Content-Type, SP-Anonymous',
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Max-Age': '3600',
        Vary: 'Origin',
      };
      if (originAllowed(origin)) headers['Access-Control-Allow-Origin'] = origin;
      send(res, 200, headers, '');
      return;
    }
    if (pathname === HEALTH_PATH) {
      if (method === 'GET' || method === 'HEAD') text(res, 200, 'ok');
      else text(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathname === METRICS_PATH) {
      if (method === 'GET' || method === 'HEAD') {
        send(
          res,
          200,
          { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
          rateLimitMetrics(refusals.stats()),
        );
      } else text(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathname === TP2_PATH) {
      if (method === 'POST') return collect(req, res, 'tp2', query);
      text(res, 405, 'method not allowed', { Allow: 'POST, OPTIONS' });
      return;
    }
    if (pathname === PIXEL_PATH) {
      if (method === 'GET' || method === 'HEAD') return collect(req, res, 'i', query);
      text(res, 405, 'method not allowed', { Allow: 'GET, OPTIONS' });
      return;
    }
    text(res, 404, 'not found');
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    handle(req, res).catch((error: unknown) => {
      onError(error);
      try {
        text(res, 500, 'error');
      } catch {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const sweeper = limiter
    ? setInterval(() => {
        limiter.sweep();
        refusals.sweep();
      }, 10_000)
    : null;
  sweeper?.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    rateLimitStats: () => refusals.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        if (sweeper) clearInterval(sweeper);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
