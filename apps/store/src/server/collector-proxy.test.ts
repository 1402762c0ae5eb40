import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectorCookie,
  downstreamResponseHeaders,
  forwardedFor,
  MAX_FORWARDED_HOPS,
  proxyToCollector,
  rewriteSetCookie,
  upstreamRequestHeaders,
  upstreamUrl,
} from './collector-proxy';

describe('collector proxy: pure parts', () => {
  it('maps the path below /t and the query onto the collector, refusing dot segments', () => {
    expect(upstreamUrl('http://127.0.0.1:9090', ['com.snowplowanalytics.snowplow', 'tp2'], '')).toBe(
      'http://127.0.0.1:9090/com.snowplowanalytics.snowplow/tp2',
    );
    expect(upstreamUrl('http://c.example/base/', ['i'], '?e=pv&aid=x')).toBe('http://c.example/base/i?e=pv&aid=x');
    expect(upstreamUrl('http://c.example', ['a b'], '')).toBe('http://c.example/a%20b');
    expect(upstreamUrl('http://c.example/base', ['..', 'admin'], '')).toBeNull();
    expect(upstreamUrl('http://c.example', ['.'], '')).toBeNull();
  });

  it('forwards only the sp cookie', () => {
    expect(collectorCookie('tandem_session=secret; sp=abc-123; tandem_cart=x')).toBe('sp=abc-123');
    expect(collectorCookie('spx=1; tandem_cart=x')).toBeNull();
    expect(collectorCookie(null)).toBeNull();
  });

  it('builds upstream headers without hop-by-hop headers, compression or the shop cookies', () => {
    const incoming = new Headers({
      host: 'shop.example',
      connection: 'keep-alive',
      'content-type': 'application/json; charset=UTF-8',
      'content-length': '12',
      'accept-encoding': 'gzip, br',
      'sp-anonymous': '*',
      'user-agent': 'UA/1.0',
      cookie: 'tandem_session=secret; sp=nuid-1',
      'x-forwarded-for': '203.0.113.9',
    });
    const headers = upstreamRequestHeaders(incoming, new URL('https://shop.example/t/i'));
    expect(Object.fromEntries(headers)).toEqual({
      'content-type': 'application/json; charset=UTF-8',
      'sp-anonymous': '*',
      'user-agent': 'UA/1.0',
      cookie: 'sp=nuid-1',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'shop.example',
      'x-forwarded-proto': 'https',
    });
  });

  it('passes X-Forwarded-For on with the address the store saw last, whatever a client wrote in front', () => {
    // What Next.js hands the route: the socket's peer when the request came without the header.
    expect(forwardedFor('127.0.0.1')).toBe('127.0.0.1');
    // A client's own hops stay in front of the peer the store (or its reverse proxy) appended.
    expect(forwardedFor(' 198.51.100.7 ,, 203.0.113.5 ')).toBe('198.51.100.7, 203.0.113.5');
    expect(forwardedFor(null)).toBeNull();
    expect(forwardedFor(' , ')).toBeNull();
    // A long forged chain cannot push the store's hop out: the rightmost hops are kept.
    const forged = Array.from({ length: 100 }, (_, i) => `10.0.${i}.1`);
    const kept = forwardedFor([...forged, '203.0.113.5'].join(','))?.split(', ') ?? [];
    expect(kept).toHaveLength(MAX_FORWARDED_HOPS);
    expect(kept.at(-1)).toBe('203.0.113.5');
  });

  it('passes every Set-Cookie back, rebound to the store origin, and drops Content-Encoding', () => {
    const upstream = new Headers({
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'transfer-encoding': 'chunked',
    });
    upstream.append(
      'set-cookie',
      'sp=nuid-1; Expires=Wed, 01 Dec 2027 00:00:00 GMT; Domain=collector.example; Path=/; SameSite=None; Secure; HttpOnly',
    );
    upstream.append('set-cookie', 'other=1; Path=/');
    const headers = downstreamResponseHeaders(upstream);
    expect(headers.get('content-encoding')).toBeNull();
    expect(headers.get('transfer-encoding')).toBeNull();
    expect(headers.getSetCookie()).toEqual([
      'sp=nuid-1; Expires=Wed, 01 Dec 2027 00:00:00 GMT; Path=/; SameSite=None; Secure; HttpOnly',
      'other=1; Path=/',
    ]);
    expect(rewriteSetCookie('a=b;domain=x.example;Path=/')).toBe('a=b;Path=/');
  });
});

describe('collector proxy: against a real HTTP server', () => {
  let server: Server;
  let collectorUrl: string;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        });
        if (request.url?.includes('slow')) return; // never answers
        response.setHeader('set-cookie', [
          'sp=11111111-2222-3333-4444-555555555555; Max-Age=31536000; Path=/; SameSite=None; Secure; HttpOnly',
        ]);
        response.setHeader('access-control-allow-origin', String(request.headers.origin ?? ''));
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('forwards method, path, query, body and the sp cookie, and returns status, body and Set-Cookie', async () => {
    const body = JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
      data: [{ e: 'pv' }],
    });
    const request = new Request('http://127.0.0.1:3000/t/com.snowplowanalytics.snowplow/tp2?x=1', {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        cookie: 'sp=nuid-1; tandem_session=secret',
        origin: 'http://127.0.0.1:3000',
      },
      body,
    });
    const response = await proxyToCollector(request, ['com.snowplowanalytics.snowplow', 'tp2'], { collectorUrl });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(response.headers.getSetCookie()).toEqual([
      'sp=11111111-2222-3333-4444-555555555555; Max-Age=31536000; Path=/; SameSite=None; Secure; HttpOnly',
    ]);
    const forwarded = seen.at(-1);
    expect(forwarded).toMatchObject({ method: 'POST', url: '/com.snowplowanalytics.snowplow/tp2?x=1', body });
    expect(forwarded?.headers.cookie).toBe('sp=nuid-1');
    expect(forwarded?.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(forwarded?.headers['x-forwarded-host']).toBe('127.0.0.1:3000');
    expect(forwarded?.headers['x-forwarded-for']).toBeUndefined();
  });

  it("sends the collector the shopper's address as the last X-Forwarded-For hop", async () => {
    const request = new Request('http://127.0.0.1:3000/t/i?e=pv', {
      headers: { 'x-forwarded-for': '198.51.100.7,  203.0.113.5' },
    });
    await proxyToCollector(request, ['i'], { collectorUrl });
    // The collector connection comes from the store (127.0.0.1, trusted), so this header decides the client.
    expect(seen.at(-1)?.headers['x-forwarded-for']).toBe('198.51.100.7, 203.0.113.5');
  });

  it('forwards GET /i with its query and no body', async () => {
    const response = await proxyToCollector(new Request('http://127.0.0.1:3000/t/i?e=pv&eid=abc'), ['i'], {
      collectorUrl,
    });
    expect(response.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/i?e=pv&eid=abc', body: '' });
  });

  it('answers 404 for anything but the tracker paths, 502 when the collector is down, 504 when it hangs', async () => {
    const before = seen.length;
    for (const path of [['..'], ['metrics'], ['health'], ['com.snowplowanalytics.snowplow', 'tp2', '..'], ['i', 'x']])
      expect((await proxyToCollector(new Request('http://s/t/x'), path, { collectorUrl })).status, path.join('/')).toBe(
        404,
      );
    expect(seen.length, 'nothing reached the collector').toBe(before);
    const down = await proxyToCollector(new Request('http://s/t/i'), ['i'], { collectorUrl: 'http://127.0.0.1:1' });
    expect(down.status).toBe(502);
    const slow = await proxyToCollector(new Request('http://s/t/i?slow=1'), ['i'], { collectorUrl, timeoutMs: 200 });
    expect(slow.status).toBe(504);
  });
});
