/**
 * Garbage at the REST endpoint (issue 8 drills): fuzzed requests (random bytes, malformed JSON, JSON
 * that is no command, refused commands, wrong or missing tokens, wrong paths and methods, bodies over
 * the limit) against a real redis-server of its own. Each answers the 4xx the protocol names, with
 * `{"error": "…"}` (Upstash's error shape); none reaches Redis (a sentinel key and the key count stay
 * as they were), nothing is logged as an internal error, and the endpoint answers PING afterwards.
 * `npm run drill` (DRILL_SCALE=full) runs 10x the cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.js';
import { type EnsuredRedis, ensureRedis } from '../redis.js';
import { createRestEndpoint, type RestEndpoint } from './endpoint.js';
import { refusalOf } from './protocol.js';

const RUNS = process.env.DRILL_SCALE === 'full' ? 5_000 : 500;
const TOKEN = 'fuzz-token-0123456789';
const MAX_BODY_BYTES = 16 * 1024;

let redis: EnsuredRedis;
let endpoint: RestEndpoint;
const logged: string[] = [];

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  endpoint = await createRestEndpoint({
    redisUrl: redis.url,
    token: TOKEN,
    port: await freePort(),
    maxBodyBytes: MAX_BODY_BYTES,
    log: (line) => logged.push(line),
  });
}, 60_000);
afterAll(async () => {
  await endpoint?.close();
  await redis?.stop();
});

async function post(path: string, body: string | Uint8Array, token: string | null = TOKEN, method = 'POST') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${endpoint.url}${path}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** The `error` of an `{"error": "…"}` body, or null when the body is not one. */
function errorOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' && body.error !== '' ? body.error : null;
  } catch {
    return null;
  }
}

const PATHS = ['/', '/pipeline', '/multi-exec'] as const;

/** A value that cannot be a command argument (a command takes strings, numbers and booleans). */
const notAnArgument = fc.oneof(fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));

/** Refused commands: connection state, blocking, transactions outside /multi-exec. */
const refusedCommand = fc
  .tuple(
    fc.constantFrom('MULTI', 'exec', 'SUBSCRIBE', 'blpop', 'SELECT', 'AUTH', 'WATCH', 'MONITOR', 'QUIT', 'HELLO'),
    fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  )
  .map(([name, args]) => [name, ...args] as [string, ...string[]]);

const asJson = (value: unknown): string | Uint8Array => JSON.stringify(value);

/** Bodies that are no command (or batch) for their path: random bytes and text, the wrong JSON shapes. */
const badBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', ' ', '[', '{"', '[["SET","k"', 'nul', '[]', '[[]]', '{}', '"GET"', '[1,"x"]', '[[1]]'),
  // JSON of the wrong shape: not an array, an empty name, an argument that is not a string.
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((value) => !Array.isArray(value))
    .map(asJson),
  fc.tuple(fc.string({ maxLength: 10 }), notAnArgument).map(([name, arg]) => asJson([name, 'k', arg])),
  fc.constant(asJson(['', 'k'])),
  // A batch with one such command among good ones.
  fc.tuple(fc.string({ maxLength: 10 }), notAnArgument).map(([name, arg]) =>
    asJson([
      ['GET', 'k'],
      [name, arg],
    ]),
  ),
);

/** Whether `body` happens to be a valid single command or batch (then Redis may run it: not garbage). */
function isCommandShaped(body: string | Uint8Array, path: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return false;
  }
  const isCommand = (v: unknown) =>
    Array.isArray(v) &&
    typeof v[0] === 'string' &&
    v[0] !== '' &&
    v.slice(1).every((a) => ['string', 'number', 'boolean'].includes(typeof a));
  return path === '/' ? isCommand(value) : Array.isArray(value) && value.length > 0 && value.every(isCommand);
}

describe('garbage at the REST endpoint', () => {
  beforeAll(async () => {
    const set = await post('/', JSON.stringify(['SET', 'sentinel', 'kept']));
    expect(set.status).toBe(200);
  });

  it(`answers ${RUNS} malformed bodies with 400 and an error, and runs none of them`, async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), badBody, async (path, body) => {
        if (isCommandShaped(body, path)) return;
        const answer = await post(path, body);
        expect(answer.status, `${path} ${String(body).slice(0, 100)} → ${answer.text}`).toBe(400);
        expect(errorOf(answer.text), answer.text).not.toBeNull();
        checked++;
      }),
      { numRuns: RUNS, seed: 8 },
    );
    expect(checked).toBeGreaterThan(RUNS * 0.9);
  }, 240_000);

  it('refuses commands that would block or change the shared connection, on every path', async () => {
    await fc.assert(
      fc.asyncProperty(refusedCommand, async (command) => {
        expect(refusalOf(command)).toBeDefined();
        const single = await post('/', JSON.stringify(command));
        expect(single.status).toBe(400);
        expect(errorOf(single.text)).toMatch(/not supported by this REST endpoint/);
        // In a pipeline, the one refused command gets its error; the others run.
        const pipeline = await post('/pipeline', JSON.stringify([['GET', 'sentinel'], command]));
        expect(pipeline.status).toBe(200);
        expect(JSON.parse(pipeline.text)).toEqual([
          { result: 'kept' },
          { error: expect.stringMatching(/not supported/) },
        ]);
        // In a transaction, nothing runs.
        const transaction = await post('/multi-exec', JSON.stringify([['SET', 'sentinel', 'lost'], command]));
        expect(transaction.status).toBe(400);
        expect(errorOf(transaction.text)).toMatch(/the transaction did not run/);
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: 9 },
    );
  }, 240_000);

  it('answers wrong tokens with 401, other paths with 404, other methods with 405, big bodies with 413', async () => {
    const token = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 40 }).filter((t) => /^[\x21-\x7e]*$/.test(t) && t !== TOKEN),
      fc.constant(`${TOKEN}x`),
      fc.constant(TOKEN.slice(1)),
    );
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom(...PATHS), async (wrong, path) => {
        // Even a command that would write is refused before it is read.
        const answer = await post(path, JSON.stringify(['SET', 'sentinel', 'forged']), wrong);
        expect(answer.status).toBe(401);
        expect(errorOf(answer.text)).toBe('Unauthorized');
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: 10 },
    );
    const path = fc
      .webPath()
      .filter((p) => !['', '/', '/pipeline', '/multi-exec'].includes(p.replace(/(.)\/+$/, '$1')));
    await fc.assert(
      fc.asyncProperty(path, async (p) => {
        const answer = await post(p.startsWith('/') ? p : `/${p}`, '["GET","sentinel"]');
        expect(answer.status, p).toBe(404);
        expect(errorOf(answer.text)).not.toBeNull();
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: 11 },
    );
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await post('/', '["GET","sentinel"]', TOKEN, method);
      expect(answer.status, method).toBe(405);
      expect(errorOf(answer.text)).not.toBeNull();
    }
    for (const size of [MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES, 4 * 1024 * 1024]) {
      const answer = await post('/', JSON.stringify(['SET', 'sentinel', 'x'.repeat(size)]));
      expect(answer.status, `${size} bytes`).toBe(413);
      expect(errorOf(answer.text)).not.toBeNull();
    }
  }, 240_000);

  afterAll(async () => {
    // Nothing above reached Redis: the sentinel is as it was and no key was added.
    const get = await post('/', JSON.stringify(['GET', 'sentinel']));
    expect(JSON.parse(get.text)).toEqual({ result: 'kept' });
    expect(JSON.parse((await post('/', JSON.stringify(['DBSIZE']))).text)).toEqual({ result: 1 });
    expect(JSON.parse((await post('/', JSON.stringify(['PING']))).text)).toEqual({ result: 'PONG' });
    expect(logged.filter((line) => line.includes('internal error'))).toEqual([]);
  });
});
