/**
 * The REST endpoint against a real redis-server (its own, on a free port) and the real
 * `@upstash/redis` client, as the store's API routes will use it: defaults (auto-pipelining and
 * base64 responses on) and `automaticDeserialization: false` (how Tandem's readers create it, since
 * feature values are canonical strings). Raw fetch covers what the client never sends.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Redis as UpstashRedis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.js';
import { type EnsuredRedis, ensureRedis } from '../redis.js';
import { createRestEndpoint, type RestEndpoint } from './endpoint.js';

const TOKEN = randomBytes(32).toString('base64url');
const MAX_BODY_BYTES = 64 * 1024;

let redis: EnsuredRedis;
let endpoint: RestEndpoint;
/** Client defaults: auto-pipelining, base64 responses, JSON-parsed results. */
let client: UpstashRedis;
/** As Tandem's readers create it: results stay the strings Redis holds. */
let reader: UpstashRedis;

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  endpoint = await createRestEndpoint({
    redisUrl: redis.url,
    token: TOKEN,
    port: await freePort(),
    maxBodyBytes: MAX_BODY_BYTES,
    log: () => {},
  });
  client = new UpstashRedis({ url: endpoint.url, token: TOKEN, enableTelemetry: false });
  reader = new UpstashRedis({
    url: endpoint.url,
    token: TOKEN,
    enableTelemetry: false,
    automaticDeserialization: false,
  });
});

afterAll(async () => {
  await endpoint?.close();
  await redis?.stop();
});

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body whose shape each test asserts
  json: any;
}

/** A request as any HTTP client could send it; `body` is sent as is when a string, else as JSON. */
async function raw(
  path: string,
  body?: unknown,
  options: { method?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${endpoint.url}${path}`, {
    method: options.method ?? 'POST',
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const BASE64 = { 'upstash-encoding': 'base64' };

describe('REST endpoint with the @upstash/redis client', () => {
  it('returns a string that looks like base64 as it was stored (every result string is encoded)', async () => {
    await client.set('b64', 'aGVsbG8=');
    expect(await client.get('b64')).toBe('aGVsbG8=');
    expect(await reader.get('b64')).toBe('aGVsbG8=');
    // On the wire: base64 of the stored bytes, status replies (OK) included.
    expect((await raw('/', ['get', 'b64'], { headers: BASE64 })).json).toEqual({
      result: Buffer.from('aGVsbG8=').toString('base64'),
    });
    expect((await raw('/', ['set', 'b64-2', 'x'], { headers: BASE64 })).json).toEqual({ result: 'T0s=' });
  });

  it('keeps numbers-as-strings exact only with automaticDeserialization: false', async () => {
    await reader.set('price', '12.50');
    expect(await reader.get('price')).toBe('12.50');
    // The default client JSON-parses results and keeps a number only when it prints back the same:
    // "12.50" survives, but "12.5" and "3" come back as numbers.
    expect(await client.get('price')).toBe('12.50');
    await reader.set('price', '12.5');
    expect(await client.get('price')).toBe(12.5);
    expect(await reader.get('price')).toBe('12.5');
    await reader.set('nullish', 'null');
    expect(await reader.get('nullish')).toBe('null');
    expect(await client.get('nullish')).toBeNull();
    // Integer replies are JSON numbers, written digit for digit past 2^53.
    expect(await reader.incr('counter')).toBe(1);
    const big = await raw('/', ['incrby', 'big', '9007199254740993']);
    expect(big.text).toBe('{"result":9007199254740993}');
  });

  it('round-trips unicode text', async () => {
    const text = 'héllo wörld · 日本語 · 🛒💸 · "quotes" \\ \n tab\t';
    await reader.set('unicode', text);
    expect(await reader.get('unicode')).toBe(text);
    expect(await client.get('unicode')).toBe(text);
    expect((await raw('/', ['get', 'unicode'])).json).toEqual({ result: text });
  });

  it('sends non-UTF-8 bytes exactly as base64, but the client decodes them to U+FFFD: store text', async () => {
    // JSON cannot carry bytes that are not UTF-8, so make them in Redis: 0xFF 0xFE.
    expect((await raw('/', ['bitfield', 'binary', 'SET', 'u8', '0', '255', 'SET', 'u8', '8', '254'])).json).toEqual({
      result: [0, 0],
    });
    expect((await raw('/', ['strlen', 'binary'])).json).toEqual({ result: 2 });
    const encoded = await raw('/', ['get', 'binary'], { headers: BASE64 });
    expect([...Buffer.from(encoded.json.result, 'base64')]).toEqual([0xff, 0xfe]);
    // Without base64 the JSON text can only hold replacement characters.
    expect((await raw('/', ['get', 'binary'])).json).toEqual({ result: '\uFFFD\uFFFD' });
    // The client base64-decodes with TextDecoder: the bytes do not survive.
    expect(await reader.get('binary')).toBe('\uFFFD\uFFFD');
  });

  it('answers HGETALL RESP2-shaped (a flat array), which the client turns into an object', async () => {
    expect(await reader.hset('hash', { views: '3', price: '12.50', name: 'ünï' })).toBe(3);
    const wire = await raw('/', ['hgetall', 'hash']);
    expect(wire.json).toEqual({ result: ['views', '3', 'price', '12.50', 'name', 'ünï'] });
    // Default client: an object with JSON-parsed values (but "12.50", not a safe integer, stays a string).
    expect(await client.hgetall('hash')).toEqual({ views: 3, price: '12.50', name: 'ünï' });
    // automaticDeserialization: false skips the client's object conversion too: the flat array.
    expect(await reader.hgetall('hash')).toEqual(['views', '3', 'price', '12.50', 'name', 'ünï']);
    expect(await reader.hget('hash', 'price')).toBe('12.50');
    expect(await client.hgetall('missing-hash')).toBeNull();
  });

  it('runs client.pipeline() in order, with errors per command', async () => {
    const results = await reader.pipeline().set('p:a', '1').incr('p:a').get('p:a').hset('p:h', { f: 'v' }).exec();
    expect(results).toEqual(['OK', 2, '2', 1]);
    const pipeline = client.pipeline().set('p:s', 'text').incr('p:s').get('p:s');
    await expect(pipeline.exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
    const kept = await client.pipeline().set('p:s', 'text').incr('p:s').get('p:s').exec({ keepErrors: true });
    expect(kept.map((entry) => entry.error)).toEqual([
      undefined,
      'ERR value is not an integer or out of range',
      undefined,
    ]);
    expect(kept[2]?.result).toBe('text');

    const wire = await raw('/pipeline', [['set', 'p:w', 'text'], ['incr', 'p:w'], ['nosuchcommand'], ['get', 'p:w']]);
    expect(wire.status).toBe(200);
    expect(wire.json).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { error: expect.stringMatching(/^ERR unknown command 'nosuchcommand'/) },
      { result: 'text' },
    ]);
  });

  it('runs client.multi() as one transaction', async () => {
    expect(await reader.multi().set('tx:a', '10').incrby('tx:a', 5).get('tx:a').exec()).toEqual(['OK', 15, '15']);
    // Each transaction's GET sees its own INCR even while other requests increment the same key.
    const transactions = Array.from({ length: 20 }, () => reader.multi().incr('tx:n').get('tx:n').exec());
    const noise = Array.from({ length: 20 }, () => raw('/', ['incr', 'tx:n']));
    const [results] = await Promise.all([Promise.all(transactions), Promise.all(noise)]);
    for (const [incremented, read] of results) expect(read).toBe(String(incremented));
    expect(await reader.get('tx:n')).toBe('40');

    // A runtime error stays in its entry; the other commands ran.
    const wire = await raw('/multi-exec', [
      ['set', 'tx:s', 'text'],
      ['incr', 'tx:s'],
      ['get', 'tx:s'],
    ]);
    expect(wire.status).toBe(200);
    expect(wire.json).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 'text' },
    ]);
  });

  it('aborts a whole transaction when Redis refuses a command while queueing (nothing runs)', async () => {
    const wire = await raw('/multi-exec', [
      ['set', 'tx:aborted', '1'],
      ['set', 'only-a-key'],
    ]);
    expect(wire.status).toBe(400);
    expect(wire.json.error).toMatch(/^EXECABORT .*wrong number of arguments for 'set' command/);
    expect(await reader.exists('tx:aborted')).toBe(0);
  });

  it('auto-pipelines concurrent calls into a few HTTP requests', async () => {
    const batching = new UpstashRedis({
      url: endpoint.url,
      token: TOKEN,
      enableTelemetry: false,
      automaticDeserialization: false,
    });
    const keys = Array.from({ length: 50 }, (_, i) => `auto:${i}`);
    expect(await Promise.all(keys.map((key, i) => batching.set(key, `v${i}`)))).toEqual(keys.map(() => 'OK'));
    expect(await Promise.all(keys.map((key) => batching.get(key)))).toEqual(keys.map((_, i) => `v${i}`));
    const counter = (batching as unknown as { pipelineCounter: number }).pipelineCounter;
    // 100 commands; one batch per burst (the client caps a batch at 1,000 commands).
    expect(counter).toBe(2);
  });

  it('answers a failed single command with 400, which the client throws', async () => {
    const single = new UpstashRedis({
      url: endpoint.url,
      token: TOKEN,
      enableTelemetry: false,
      enableAutoPipelining: false,
    });
    await single.set('str', 'not a number');
    await expect(single.incr('str')).rejects.toThrow(/ERR value is not an integer or out of range/);
    // Auto-pipelined, the same command fails inside a /pipeline batch and the client still throws.
    await expect(client.incr('str')).rejects.toThrow(/ERR value is not an integer or out of range/);
    const wire = await raw('/', ['incr', 'str']);
    expect(wire.status).toBe(400);
    expect(wire.json).toEqual({ error: 'ERR value is not an integer or out of range' });
  });

  it('refuses a wrong or missing token with 401, which the client throws', async () => {
    const intruder = new UpstashRedis({ url: endpoint.url, token: `${TOKEN}x`, enableTelemetry: false });
    await expect(intruder.get('b64')).rejects.toThrow(/Unauthorized/);
    for (const token of [null, '', 'wrong', TOKEN.slice(0, -1)]) {
      const response = await raw('/', ['get', 'b64'], { token });
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ error: 'Unauthorized' });
    }
    const pipeline = await raw('/pipeline', [['get', 'b64']], { token: 'wrong' });
    expect(pipeline.status).toBe(401);
    // A lower-case scheme is still a bearer token.
    expect((await raw('/', ['ping'], { token: null, headers: { authorization: `bearer ${TOKEN}` } })).json).toEqual({
      result: 'PONG',
    });
  });

  it('does not send upstash-sync-token (one endpoint, one Redis: read-your-writes without it)', async () => {
    const response = await raw('/', ['ping'], { headers: { 'upstash-sync-token': 'abc' } });
    expect(response.headers.get('upstash-sync-token')).toBeNull();
    await reader.set('ryw', 'written');
    expect(await reader.get('ryw')).toBe('written');
  });
});

describe('REST endpoint with bad requests', () => {
  it('answers 4xx with a JSON error and keeps serving', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/', 'not json', 400, /not valid JSON/],
      ['/', '', 400, /empty/],
      ['/', { command: 'get' }, 400, /must be a JSON array/],
      ['/', '"GET"', 400, /must be a JSON array/],
      ['/', [], 400, /empty array/],
      ['/', [42, 'key'], 400, /command name must be a non-empty string/],
      ['/', ['set', 'k', { nested: true }], 400, /argument 2 is object/],
      ['/', ['set', 'k', null], 400, /argument 2 is null/],
      ['/pipeline', [], 400, /no commands/],
      ['/pipeline', ['get', 'k'], 400, /command 1 must be a JSON array/],
      ['/pipeline', { get: 'k' }, 400, /must be a JSON array of commands/],
      ['/multi-exec', [['get', 'k'], []], 400, /command 2 is an empty array/],
      ['/', ['subscribe', 'channel'], 400, /'subscribe' is not supported by this REST endpoint/],
      ['/', ['multi'], 400, /send transactions to \/multi-exec/],
      ['/', ['blpop', 'list', '0'], 400, /blocks/],
      [
        '/multi-exec',
        [
          ['set', 'k', 'v'],
          ['select', '1'],
        ],
        400,
        /'select' is not supported.*the transaction did not run/,
      ],
    ];
    for (const [path, body, status, message] of cases) {
      const response = await raw(path, body);
      expect({ path, body, status: response.status }).toEqual({ path, body, status });
      expect(response.json?.error).toMatch(message);
    }
    expect((await raw('/', ['ping'])).json).toEqual({ result: 'PONG' });
  });

  it('refuses a body that is not UTF-8', async () => {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the request body is not valid UTF-8' });
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const unknown = await raw('/get/key', undefined, { method: 'GET' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/no such path: \/get\/key/);
    expect((await raw('/nope', ['ping'])).status).toBe(404);
    const get = await raw('/', undefined, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await raw('/pipeline', undefined, { method: 'PUT' })).status).toBe(405);
    // Without the token nothing is revealed, not even whether the path exists.
    expect((await raw('/nope', undefined, { method: 'GET', token: null })).status).toBe(401);
  });

  it('refuses a body over the limit with 413, whether its length is declared or streamed', async () => {
    const huge = JSON.stringify(['set', 'huge', 'x'.repeat(MAX_BODY_BYTES)]);
    const declared = await raw('/', huge);
    expect(declared.status).toBe(413);
    expect(declared.json.error).toMatch(new RegExp(`larger than the limit of ${MAX_BODY_BYTES} bytes`));

    // Chunked, without Content-Length: refused while it streams in.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        endpoint.url,
        { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(16 * 1024);
      req.write('["set","huge","');
      for (let i = 0; i < (4 * MAX_BODY_BYTES) / chunk.length; i++) req.write(chunk);
      req.end('"]');
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).error).toMatch(/larger than the limit/);

    // Just under the limit is fine, and nothing was stored by the refused requests.
    const fits = JSON.stringify(['set', 'fits', 'y'.repeat(MAX_BODY_BYTES - 100)]);
    expect((await raw('/', fits)).json).toEqual({ result: 'OK' });
    expect((await raw('/', ['exists', 'huge'])).json).toEqual({ result: 0 });
  });
});

describe('REST endpoint when Redis goes away', () => {
  it('answers 503 while Redis is down and recovers by itself when it is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const lines: string[] = [];
    // Started before its Redis exists.
    const lonely = await createRestEndpoint({ redisUrl: url, token: TOKEN, port: 0, log: (line) => lines.push(line) });
    const ask = async () => {
      const response = await fetch(lonely.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['incr', 'outage']),
      });
      return { status: response.status, body: (await response.json()) as { result?: unknown; error?: string } };
    };
    const untilAnswered = async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await ask();
        if (answer.status === 200 || Date.now() > deadline) return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      const down = await ask();
      expect(down.status).toBe(503);
      expect(down.body.error).toMatch(new RegExp(`Redis at ${url}/? is unavailable`));

      let server = await ensureRedis({ url, log: () => {} });
      expect(server.startedByUs).toBe(true);
      expect(await untilAnswered()).toEqual({ status: 200, body: { result: 1 } });

      await server.stop();
      const again = await ask();
      expect(again.status).toBe(503);
      const pipeline = await fetch(`${lonely.url}/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify([['get', 'outage']]),
      });
      expect(pipeline.status).toBe(503);

      // A fresh server without persistence: the counter starts over.
      server = await ensureRedis({ url, log: () => {} });
      try {
        expect(await untilAnswered()).toEqual({ status: 200, body: { result: 1 } });
      } finally {
        await server.stop();
      }
    } finally {
      await lonely.close();
    }
    expect(lines.filter((line) => /unavailable/.test(line)).length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((line) => /answers again/.test(line)).length).toBeGreaterThanOrEqual(2);
  });
});
