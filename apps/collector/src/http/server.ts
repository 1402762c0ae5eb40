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
 * - Rate limiting (a token bucket per client: the remote address, or the first `X-Forwarded-For` entry when
 *   `trustForwardedFor`) answers 200 too, since the tracker retries 429 forever: the body is read but not
 *   parsed, and `process` gets problem `rate_limited` (with at most `RATE_LIMITED_RAW_CHARS` of the body).
 * - Events past `maxEventsPerPayload`, and entries of `data` that are not objects of strings, are not
 *   dropped silently: they go to `rejected` with a reason, so the pipeline writes one bad row each while the
 *   payload's other events go on (a payload of 10 with 1 bad gives 9 good and 1 bad).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
export const PIXEL_PATH = '/i';
export const HEALTH_PATH = '/health';
export const ANONYMOUS_NETWORK_USER_ID = '00000000-0000-0000-0000-000000000000';
export const COOKIE_NAME = 'sp';
export const COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;
/** A 1×1 transparent GIF (42 bytes: header, screen, 2-colour table, transparency, image, trailer). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
/** How much of an oversized body is kept in `rawBody` (the bad row keeps the start of the body). */
export const OVERSIZED_RAW_BYTES = 16 * 1024;
/** How much of a rate-limited body is kept in `rawBody`. */
export const RATE_LIMITED_RAW_CHARS = 1024;
const PAYLOAD_DATA_PREFIX = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CollectorProblemType = 'size_violation' | 'cpformat_violation' | 'rate_limited';

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
  /** The body as received (POST; bounded for oversized and rate-limited requests), or the query string (GET /i). */
  rawBody: string;
  /** When the request arrived (epoch ms). */
  collectorTimeMs: number;
  /** The client IP (the remote address, without an IPv4-mapped prefix); null for anonymous tracking. */
  ip: string | null;
  /** The socket's remote address, always (for rate limiting and proxies). */
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
  rateLimit?: { perClientPerSecond: number; burst: number } | null;
  /** Origins that get CORS headers in production; default `'any'` (outside production) or none (production). */
  allowedOrigins?: readonly string[] | 'any';
  /** `Domain=` of the `sp` cookie; none (host-only) when absent. */
  cookieDomain?: string;
  production?: boolean;
  /** Rate-limit clients by the first `X-Forwarded-For` entry (behind a trusted proxy). Default false. */
  trustForwardedFor?: boolean;
  now?: () => number;
  /** Receives unexpected errors (handler failures); default: ignored. */
  onError?: (error: unknown) => void;
}

export interface CollectorServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A token bucket per client key, refilled lazily; idle buckets are swept. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`; false when the client is over its rate. */
  take(key: string): boolean {
    const t = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: this.burst - 1, at: t });
      return this.burst >= 1;
    }
    const elapsed = Math.max(0, t - bucket.at) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.perSecond);
    bucket.at = t;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets buckets that are full again. */
  sweep(): void {
    const t = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
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

  const collect = async (req: IncomingMessage, res: ServerResponse, path: 'tp2' | 'i', query: string) => {
    const collectorTimeMs = now();
    const remoteAddress = normaliseIp(req.socket.remoteAddress);
    const anonymous = header(req, 'sp-anonymous')?.trim() === '*';
    const xForwardedFor = header(req, 'x-forwarded-for');
    const clientKey =
      (options.trustForwardedFor ? xForwardedFor?.split(',')[0]?.trim() : undefined) || remoteAddress || 'unknown';
    const limited = limiter ? !limiter.take(clientKey) : false;

    let rawBody = '';
    let events: Record<string, string>[] | null = null;
    let rejected: RejectedEvent[] = [];
    let problem: CollectorProblem | null = null;
    let closeConnection = false;

    if (path === 'tp2') {
      const read = await readBody(
        req,
        limited ? Math.min(maxBodyBytes, RATE_LIMITED_RAW_CHARS * 4) : maxBodyBytes,
        hardCap,
      );
      if (read.aborted && !read.oversized && req.destroyed) return; // the client went away mid-body
      closeConnection = read.aborted;
      if (limited) {
        rawBody = read.body.toString('utf8').slice(0, RATE_LIMITED_RAW_CHARS);
      } else if (read.oversized) {
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
      if (!limited) {
        if (query.length === 0) problem = { type: 'cpformat_violation', detail: 'GET /i without a query string' };
        else {
          const event: Record<string, string> = {};
          for (const [k, v] of new URLSearchParams(query)) if (!(k in event)) event[k] = v;
          events = [event];
        }
      }
    }
    if (limited) {
      events = null;
      rejected = [];
      problem = { type: 'rate_limited', detail: `client ${clientKey.slice(0, 64)} is over its rate limit` };
    }

    const existing = readSpCookie(header(req, 'cookie'));
    const networkUserId = anonymous ? ANONYMOUS_NETWORK_USER_ID : (existing ?? randomUUID());
    const request: CollectorRequest = {
      events,
      rejected,
      problem,
      rawBody,
      collectorTimeMs,
      ip: anonymous ? null : remoteAddress,
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

  const sweeper = limiter ? setInterval(() => limiter.sweep(), 10_000) : null;
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
    close: () =>
      new Promise<void>((resolve) => {
        if (sweeper) clearInterval(sweeper);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
