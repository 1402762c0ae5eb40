import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANONYMOUS_NETWORK_USER_ID,
  type CollectorRequest,
  type CollectorServer,
  type CollectorServerOptions,
  createCollectorServer,
  PIXEL_GIF,
  parsePayloadData,
  readSpCookie,
  TP2_PATH,
} from './server.js';

const PAYLOAD_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORIGIN = 'https://shop.example';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const framed = body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const req = httpRequest(`${url}${path}`, { method, headers: framed, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const event = (i = 0) => ({
  e: 'pv',
  eid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  tv: 'js-4.6.0',
  p: 'web',
});
const payload = (events: unknown[]) => JSON.stringify({ schema: PAYLOAD_SCHEMA, data: events });
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=UTF-8', Origin: ORIGIN };

let server: CollectorServer | null = null;
let seen: CollectorRequest[] = [];

async function start(options: Partial<CollectorServerOptions> = {}): Promise<string> {
  seen = [];
  server = await createCollectorServer({
    process: async (r) => {
      seen.push(r);
    },
    ...options,
  });
  return server.url;
}

afterEach(async () => {
  await server?.close();
  server = null;
});

const cookieOf = (a: Answer) => {
  const set = a.headers['set-cookie'];
  expect(set).toHaveLength(1);
  return set?.[0] ?? '';
};

describe('collector HTTP server', () => {
  it('answers a CORS preflight with the request origin, credentials, headers and max age', async () => {
    const url = await start();
    const a = await send(url, 'OPTIONS', TP2_PATH, {
      Origin: ORIGIN,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    });
    expect(a.status).toBe(200);
    expect(a.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(a.headers['access-control-allow-credentials']).toBe('true');
    expect(a.headers['access-control-allow-headers']).toBe('Content-Type, SP-Anonymous');
    expect(a.headers['access-control-max-age']).toBe('3600');
    expect(seen).toHaveLength(0);
  });

  it('in production only allowed origins pass the preflight, and never as *', async () => {
    const url = await start({ production: true, allowedOrigins: [ORIGIN] });
    const ok = await send(url, 'OPTIONS', TP2_PATH, { Origin: ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    const refused = await send(url, 'OPTIONS', TP2_PATH, { Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const post = await send(
      url,
      'POST',
      TP2_PATH,
      { ...JSON_HEADERS, Origin: 'https://evil.example' },
      payload([event()]),
    );
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('POST tp2: 200 text/plain ok, a new sp cookie, CORS headers, and the request handed to process', async () => {
    const url = await start({ cookieDomain: 'shop.example', now: () => Date.UTC(2026, 0, 1) });
    const a = await send(
      url,
      'POST',
      TP2_PATH,
      { ...JSON_HEADERS, 'User-Agent': 'UA/1', Referer: 'https://shop.example/p', 'X-Forwarded-For': '9.9.9.9' },
      payload([event(1), event(2)]),
    );
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(a.body.toString()).toBe('ok');
    expect(a.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(a.headers['access-control-allow-credentials']).toBe('true');
    const cookie = cookieOf(a);
    const id = /^sp=([^;]+);/.exec(cookie)?.[1] ?? '';
    expect(id).toMatch(UUID_RE);
    for (const attr of [
      'Max-Age=31536000',
      'Expires=Fri, 01 Jan 2027 00:00:00 GMT',
      'Path=/',
      'Domain=shop.example',
      'SameSite=None',
      'Secure',
      'HttpOnly',
    ]) {
      expect(cookie.split('; ')).toContain(attr);
    }
    expect(seen).toHaveLength(1);
    const r = seen[0] as CollectorRequest;
    expect(r).toMatchObject({
      events: [event(1), event(2)],
      rejected: [],
      problem: null,
      collectorTimeMs: Date.UTC(2026, 0, 1),
      ip: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      headers: {
        userAgent: 'UA/1',
        xForwardedFor: '9.9.9.9',
        referer: 'https://shop.example/p',
        origin: ORIGIN,
        contentType: 'application/json; charset=UTF-8',
      },
      networkUserId: id,
      anonymous: false,
      path: 'tp2',
    });
    expect(r.rawBody).toBe(payload([event(1), event(2)]));
  });

  it('reuses the incoming sp cookie', async () => {
    const url = await start();
    const id = '3f2a4c1e-1111-4222-8333-444455556666';
    const a = await send(
      url,
      'POST',
      TP2_PATH,
      { ...JSON_HEADERS, Cookie: `other=1; sp=${id}; x=y` },
      payload([event()]),
    );
    expect(cookieOf(a).startsWith(`sp=${id};`)).toBe(true);
    expect(seen[0]?.networkUserId).toBe(id);
    // A cookie that is not a UUID is replaced.
    const b = await send(url, 'POST', TP2_PATH, { ...JSON_HEADERS, Cookie: 'sp=garbage' }, payload([event()]));
    expect(seen[1]?.networkUserId).toMatch(UUID_RE);
    expect(cookieOf(b)).toContain(`sp=${seen[1]?.networkUserId};`);
    expect(readSpCookie(null)).toBeNull();
  });

  it('SP-Anonymous: * gives the all-zero network user id, no IP, and an expired cookie', async () => {
    const url = await start();
    const a = await send(
      url,
      'POST',
      TP2_PATH,
      { ...JSON_HEADERS, 'SP-Anonymous': '*', Cookie: 'sp=3f2a4c1e-1111-4222-8333-444455556666' },
      payload([event()]),
    );
    expect(a.status).toBe(200);
    const cookie = cookieOf(a);
    expect(cookie.startsWith('sp=;')).toBe(true);
    expect(cookie).toContain('Max-Age=0');
    expect(cookie).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(seen[0]).toMatchObject({
      networkUserId: ANONYMOUS_NETWORK_USER_ID,
      ip: null,
      anonymous: true,
      remoteAddress: '127.0.0.1',
    });
  });

  it('GET /i: one event from the query string, a 1×1 GIF with no-cache headers', async () => {
    const url = await start();
    const a = await send(
      url,
      'GET',
      '/i?e=pv&eid=abc&tv=js-4.6.0&p=web&url=https%3A%2F%2Fshop.example%2F%3Fq%3D1&cx=eyJhIjoxfQ',
      {
        Origin: ORIGIN,
      },
    );
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('image/gif');
    expect(a.body.equals(PIXEL_GIF)).toBe(true);
    expect(a.body.length).toBe(42);
    expect(a.body.subarray(0, 6).toString()).toBe('GIF89a');
    expect(a.body.readUInt16LE(6)).toBe(1);
    expect(a.body.readUInt16LE(8)).toBe(1);
    expect(a.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(a.headers.pragma).toBe('no-cache');
    expect(a.headers.expires).toBe('0');
    expect(cookieOf(a)).toMatch(/^sp=[0-9a-f-]{36};/);
    expect(seen[0]).toMatchObject({
      path: 'i',
      problem: null,
      events: [{ e: 'pv', eid: 'abc', tv: 'js-4.6.0', p: 'web', url: 'https://shop.example/?q=1', cx: 'eyJhIjoxfQ' }],
    });
    // Without a query string: still the pixel, and a cpformat_violation.
    const empty = await send(url, 'GET', '/i');
    expect(empty.status).toBe(200);
    expect(seen[1]).toMatchObject({ events: null, problem: { type: 'cpformat_violation' } });
  });

  it('GET /health answers ok without calling process', async () => {
    const url = await start();
    const a = await send(url, 'GET', '/health');
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe('ok');
    expect(seen).toHaveLength(0);
  });

  it('a body over the limit is answered 200 and handed on as a size_violation with the start of the body', async () => {
    const url = await start({ maxBodyBytes: 1000 });
    const body = payload([{ ...event(), big: 'z'.repeat(5000) }]);
    const a = await send(url, 'POST', TP2_PATH, JSON_HEADERS, body);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe('ok');
    expect(seen[0]).toMatchObject({
      events: null,
      problem: { type: 'size_violation', actualSizeBytes: Buffer.byteLength(body) },
    });
    expect(body.startsWith(seen[0]?.rawBody ?? 'no')).toBe(true);
    // The default limit is 1 MB.
    await server?.close();
    const url2 = await start();
    const exact = payload([{ ...event(), big: 'z'.repeat(900_000) }]);
    await send(url2, 'POST', TP2_PATH, JSON_HEADERS, exact);
    expect(seen[0]?.problem).toBeNull();
    await send(url2, 'POST', TP2_PATH, JSON_HEADERS, payload([{ ...event(), big: 'z'.repeat(1_000_000) }]));
    expect(seen[1]?.problem?.type).toBe('size_violation');
  });

  it('unreadable payloads are answered 200 and handed on as cpformat_violation', async () => {
    const url = await start();
    const bodies = [
      '{"schema":',
      '',
      '[]',
      '"x"',
      JSON.stringify({ schema: 'iglu:com.acme/other/jsonschema/1-0-0', data: [event()] }),
      JSON.stringify({ schema: PAYLOAD_SCHEMA, data: {} }),
      JSON.stringify({ schema: PAYLOAD_SCHEMA, data: [] }),
      JSON.stringify({ data: [event()] }),
    ];
    for (const body of bodies) {
      const a = await send(url, 'POST', TP2_PATH, JSON_HEADERS, body);
      expect(a.status).toBe(200);
    }
    expect(seen.map((r) => r.problem?.type)).toEqual(bodies.map(() => 'cpformat_violation'));
    expect(seen.every((r) => r.events === null)).toBe(true);
  });

  it('sets aside entries that are not objects of strings, keeping the others', async () => {
    const url = await start();
    await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event(1), 'x', { ...event(2), vid: 3 }, null, event(3)]));
    const r = seen[0] as CollectorRequest;
    expect(r.events).toEqual([event(1), event(3)]);
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [1, 'not_an_object'],
      [2, 'non_string_value'],
      [3, 'not_an_object'],
    ]);
    expect(r.rejected[1]?.detail).toContain('vid');
  });

  it('events past maxEventsPerPayload are set aside as over_events_limit', async () => {
    const url = await start({ maxEventsPerPayload: 3 });
    await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([0, 1, 2, 3, 4].map(event)));
    const r = seen[0] as CollectorRequest;
    expect(r.events).toEqual([0, 1, 2].map(event));
    expect(r.rejected.map((x) => [x.index, x.reason, x.event])).toEqual([
      [3, 'over_events_limit', event(3)],
      [4, 'over_events_limit', event(4)],
    ]);
    expect(parsePayloadData(payload([event()]), 0)).toMatchObject({
      events: [],
      rejected: [{ reason: 'over_events_limit' }],
    });
  });

  it('over the rate limit: 429 with Retry-After and CORS, nothing handed to process; under it unaffected', async () => {
    let t = 1_000_000;
    const url = await start({ rateLimit: { perClientPerSecond: 2, burst: 3 }, now: () => t });
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event(i)])));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    // Only the three accepted requests reached the pipeline: a refused one is never a Kafka write.
    expect(seen.map((r) => r.events)).toEqual([[event(0)], [event(1)], [event(2)]]);
    const refused = answers[3] as Answer;
    expect(refused.headers['retry-after']).toBe('1'); // half a second until a token is back, rounded up
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(refused.headers['access-control-allow-credentials']).toBe('true');
    expect(refused.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.body.toString()).toBe('too many requests');
    const pixel = await send(url, 'GET', '/i?e=pv');
    expect(pixel.status).toBe(429);
    t += 1000; // two tokens back
    const later: number[] = [];
    for (let i = 0; i < 3; i++)
      later.push((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event(10 + i)]))).status);
    expect(later).toEqual([200, 200, 429]);
    expect((await send(url, 'GET', '/health')).status).toBe(200);
    expect(seen.map((r) => r.events?.[0]?.eid)).toEqual([0, 1, 2, 10, 11].map((i) => event(i).eid));
  });

  it('Retry-After is the whole seconds until a token is back', async () => {
    let t = 5_000_000;
    const url = await start({ rateLimit: { perClientPerSecond: 0.25, burst: 1 }, now: () => t });
    expect((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]))).status).toBe(200);
    expect((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]))).headers['retry-after']).toBe('4');
    t += 2500;
    expect((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]))).headers['retry-after']).toBe('2');
    t += 1500;
    expect((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]))).status).toBe(200);
  });

  it('a refused body is discarded and the keep-alive connection still serves the next request', async () => {
    const url = await start({ rateLimit: { perClientPerSecond: 0.001, burst: 1 } });
    const { port } = new URL(url);
    const body = payload([event()]);
    const post = `POST ${TP2_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(post + post + post));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 3) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 429', 'HTTP/1.1 429']);
    expect(seen).toHaveLength(1);
  });

  it('two clients behind a trusted proxy get a bucket each, keyed on the address trustedProxyClientIp decides', async () => {
    const url = await start({
      rateLimit: { perClientPerSecond: 0.001, burst: 1 },
      trustedProxies: ['127.0.0.1'],
      now: () => 1_000,
    });
    const from = (xff: string) =>
      send(url, 'POST', TP2_PATH, { ...JSON_HEADERS, 'X-Forwarded-For': xff }, payload([event()]));
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.2')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(429);
    // A client cannot leave its bucket by sending its own X-Forwarded-For: the proxy appends what it saw,
    // and the rightmost hop that is not a trusted proxy is the client.
    expect((await from('198.51.100.7, 203.0.113.1')).status).toBe(429);
    expect((await from('198.51.100.7, 203.0.113.2')).status).toBe(429);
    // Enrichment gets the same address.
    expect(seen.map((r) => [r.ip, r.remoteAddress])).toEqual([
      ['203.0.113.1', '127.0.0.1'],
      ['203.0.113.2', '127.0.0.1'],
    ]);
  });

  it('X-Forwarded-For from a sender that is not a trusted proxy is ignored', async () => {
    const url = await start({
      rateLimit: { perClientPerSecond: 0.001, burst: 2 },
      trustedProxies: ['10.0.0.1'],
      now: () => 1_000,
    });
    const from = (xff: string) =>
      send(url, 'POST', TP2_PATH, { ...JSON_HEADERS, 'X-Forwarded-For': xff }, payload([event()]));
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.2')).status).toBe(200);
    expect((await from('203.0.113.3')).status).toBe(429); // one bucket: the socket's 127.0.0.1
    expect(seen.map((r) => r.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('counts refusals on GET /metrics and logs a client at most once per interval, not per request', async () => {
    let t = 1_000_000;
    const lines: string[] = [];
    const url = await start({
      rateLimit: { perClientPerSecond: 0.001, burst: 1, logIntervalMs: 60_000 },
      trustedProxies: ['127.0.0.1'],
      now: () => t,
      log: (line) => lines.push(line),
    });
    const from = (xff: string) =>
      send(url, 'POST', TP2_PATH, { ...JSON_HEADERS, 'X-Forwarded-For': xff }, payload([event()]));
    for (let i = 0; i < 6; i++) await from('203.0.113.1');
    expect(lines).toEqual([expect.stringContaining('client 203.0.113.1 is over its rate')]);
    t += 30_000;
    await from('203.0.113.1');
    expect(lines).toHaveLength(1);
    await from('203.0.113.2');
    await from('203.0.113.2');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('client 203.0.113.2 is over its rate');
    t += 30_000;
    await from('203.0.113.1');
    expect(lines[2]).toBe('rate limit: client 203.0.113.1: 6 more requests answered 429 in the last 60 s');
    const metrics = await send(url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const value = (name: string) => new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics.body.toString())?.[1];
    expect(value('tandem_collector_rate_limited_requests_total')).toBe('8');
    expect(value('tandem_collector_rate_limited_clients_total')).toBe('2');
    expect(value('tandem_collector_rate_limited_clients')).toBe('2');
    expect(server?.rateLimitStats()).toEqual({ refusedRequests: 8, refusedClients: 2, refusingClients: 2 });
    expect(seen).toHaveLength(2);
  });

  it('unknown paths are 404 and wrong methods 405', async () => {
    const url = await start();
    expect((await send(url, 'GET', '/nope')).status).toBe(404);
    expect((await send(url, 'POST', '/com.snowplowanalytics.snowplow/tp1', JSON_HEADERS, '{}')).status).toBe(404);
    const get = await send(url, 'GET', TP2_PATH);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    expect((await send(url, 'POST', '/i', {}, 'x')).status).toBe(405);
    expect((await send(url, 'PUT', TP2_PATH, {}, 'x')).status).toBe(405);
    expect((await send(url, 'DELETE', '/health')).status).toBe(405);
    expect(seen).toHaveLength(0);
  });

  it('answers 503 (retried by the tracker) when process fails, and keeps serving', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const url = await start({
      process: async () => {
        if (fail) throw new Error('kafka down');
      },
      onError: (e) => errors.push(e),
    });
    const a = await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]));
    expect(a.status).toBe(503);
    expect(a.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(errors).toHaveLength(1);
    fail = false;
    expect((await send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()]))).status).toBe(200);
  });

  it('answers only after process resolves', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const url = await start({ process: () => gate });
    let answered = false;
    const pending = send(url, 'POST', TP2_PATH, JSON_HEADERS, payload([event()])).then((a) => {
      answered = true;
      return a;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);
  });

  it('ignores a client that goes away mid-body, and serves keep-alive connections', async () => {
    await start();
    const port = server?.port ?? 0;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST ${TP2_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"schema":`);
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(0);
    // Two requests, one of them a 404 with a body, on one connection.
    const answers = await new Promise<string>((resolve) => {
      let text = '';
      const body = payload([event()]);
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`);
        socket.write(`POST ${TP2_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 2 && text.endsWith('ok')) socket.end();
      });
      socket.on('close', () => resolve(text));
    });
    expect(answers.startsWith('HTTP/1.1 404')).toBe(true);
    expect(answers).toContain('HTTP/1.1 200 OK');
    expect(seen).toHaveLength(1);
  });

  it('survives 1,000 random bodies, headers, paths and raw bytes', async () => {
    const url = await start({ maxBodyBytes: 4000 });
    const port = server?.port ?? 0;
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const randomString = (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(rand(3) === 0 ? rand(0x3000) : 32 + rand(95));
      return s;
    };
    const fragments = [
      () => payload([event(rand(100))]),
      () => payload([{ ...event(), ue_pr: randomString(rand(100)) }]).slice(0, rand(200)),
      () => JSON.stringify({ schema: PAYLOAD_SCHEMA, data: [randomString(5), rand(10), null, [], {}] }),
      () => randomString(rand(6000)),
      () => '{'.repeat(rand(5000)),
      () =>
        JSON.stringify({
          schema: PAYLOAD_SCHEMA,
          data: Array.from({ length: rand(50) }, () => ({ [randomString(3)]: randomString(4) })),
        }),
    ];
    const paths = [TP2_PATH, '/i', '/i?', `/i?${encodeURI(randomString(50))}`, '/i?%zz=%%', '/health', '/', '/x/../i'];
    const methods = ['POST', 'GET', 'OPTIONS', 'PUT', 'HEAD'];
    let answered = 0;
    for (let i = 0; i < 1000; i++) {
      if (i % 10 === 9) {
        // Raw, possibly malformed HTTP.
        const raw =
          rand(2) === 0
            ? randomString(rand(300))
            : `POST ${TP2_PATH} HTTP/1.1\r\nContent-Length: ${rand(100)}\r\n\r\n${randomString(rand(50))}`;
        await new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.end(raw);
          });
          socket.on('data', () => {});
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.setTimeout(500, () => socket.destroy());
        });
        continue;
      }
      const headers: Record<string, string> = {
        'Content-Type': rand(2) ? 'application/json' : randomString(10).replace(/[^\x20-\x7e]/g, ''),
      };
      if (rand(3) === 0) headers['SP-Anonymous'] = rand(2) ? '*' : 'no';
      if (rand(3) === 0)
        headers.Cookie = `sp=${rand(2) ? '3f2a4c1e-1111-4222-8333-444455556666' : randomString(20).replace(/[^\x21-\x7e]/g, '')}`;
      if (rand(3) === 0) headers.Origin = rand(2) ? ORIGIN : 'null';
      if (rand(4) === 0) headers['X-Forwarded-For'] = `${rand(256)}.${rand(256)}.0.1, 10.0.0.1`;
      const method = methods[rand(methods.length)] as string;
      const path = paths[rand(paths.length)] as string;
      const body =
        method === 'GET' || method === 'HEAD' ? undefined : (fragments[rand(fragments.length)] as () => string)();
      const a = await send(url, method, path.replace(/[^\x21-\x7e]/g, ''), headers, body).catch((e: Error) => {
        throw new Error(`${method} ${path} ${JSON.stringify(headers)} ${body?.length}: ${e.message}`);
      });
      expect([200, 403, 404, 405], `${method} ${path} ${JSON.stringify(headers)} ${body?.length}`).toContain(a.status);
      answered++;
    }
    expect(answered).toBeGreaterThan(850);
    expect((await send(url, 'GET', '/health')).status).toBe(200);
    for (const r of seen) {
      expect(r.problem === null ? Array.isArray(r.events) : r.events === null).toBe(true);
      expect(r.networkUserId).toMatch(UUID_RE);
    }
  }, 60_000);
});
