/**
 * An Upstash-compatible REST endpoint in front of a real Redis, for the local stack: what
 * `@upstash/redis` talks to when `UPSTASH_REDIS_REST_URL` points at this machine. Upstash's own local
 * answer (SRH) needs Docker; this is Node's http module and one ioredis connection.
 *
 * Protocol (as @upstash/redis 1.39 speaks it):
 * - `POST /` with a command array → 200 `{"result":…}`, or 400 `{"error":"…"}` when Redis refuses it;
 * - `POST /pipeline` with an array of commands → 200 with one `{"result"}`/`{"error"}` per command, run
 *   in order (other requests' commands may run in between, as on Upstash);
 * - `POST /multi-exec` likewise, run atomically as MULTI/EXEC; a command Redis refuses while queueing
 *   aborts the whole transaction (400, nothing ran), like Redis's EXECABORT;
 * - `Authorization: Bearer <token>` on every request, else 401 `{"error":"Unauthorized"}`;
 * - `Upstash-Encoding: base64`: every string in a result is base64 of its raw bytes (protocol.ts).
 *
 * `upstash-sync-token` is deliberately left out (a decision, not a gap). Upstash uses it for
 * read-your-writes across its replicas: the client echoes the last token it saw and a replica waits until it caught up. Here
 * one endpoint talks to one Redis over one connection, so a request that starts after another one's
 * response already sees its writes. Sending no header is valid: the client then keeps an empty token.
 * (Neither setup orders requests that are in flight at the same time, e.g. the client's separate
 * auto-pipelined read and write batches; the token does not either, as both carry the same one.)
 *
 * Bad input never reaches Redis: not JSON, not an array, empty, bad elements → 400; bodies over
 * `maxBodyBytes` → 413; other paths → 404; other methods → 405. Redis down → 503 until it is back
 * (the connection reconnects by itself). Logs one line on start and stop and one per Redis outage
 * and recovery, nothing per request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChainableCommander, Command, type Pipeline, Redis, ReplyError } from 'ioredis';
import { redactUrl } from '../redis.js';
import {
  errorJson,
  parseBatch,
  parseCommand,
  type RedisCommand,
  type RespReply,
  RestRequestError,
  refusalOf,
  resultJson,
} from './protocol.js';

/** Default TCP port (the contract address is http://127.0.0.1:8079). */
export const DEFAULT_REST_PORT = 8079;
/** Default request body limit: 1 MiB, the request size limit of Upstash's free plan. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Why the endpoint could not start. */
export class RestEndpointError extends Error {
  override name = 'RestEndpointError';
  constructor(
    readonly code: 'invalid_options' | 'port_in_use' | 'listen_failed',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

export interface RestEndpointOptions {
  /** The Redis to serve, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN`); non-empty. */
  token: string;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** TCP port; default 8079, `0` for one the OS picks. */
  port?: number;
  /** Largest accepted request body in bytes; default 1 MiB. Larger bodies get 413. */
  maxBodyBytes?: number;
  /** How long one request waits for Redis before answering 503, in ms; default 10,000. */
  commandTimeoutMs?: number;
  /** Start/stop and Redis outage lines; default `console.log` with a `[rest]` prefix. */
  log?: (line: string) => void;
}

export interface RestEndpoint {
  /** Base URL for clients (`UPSTASH_REDIS_REST_URL`), e.g. `http://127.0.0.1:8079`. */
  readonly url: string;
  /** The port listened on (useful with `port: 0`). */
  readonly port: number;
  /** Stops accepting requests, lets running ones finish (up to 2 s), closes the Redis connection. */
  close(): Promise<void>;
}

/** A Redis failure that is not Redis refusing a command: the connection is down or too slow. */
class RedisUnavailableError extends Error {}

/**
 * A command whose reply ioredis hands over untouched: raw bytes, and no reply transformer (ioredis
 * turns HGETALL into an object, while the endpoint must answer Redis's own RESP2 shape). The name
 * goes to Redis as the client spelled it, so error messages quote it the same way.
 */
class RawCommand extends Command {
  constructor(command: RedisCommand) {
    super(command[0], command.slice(1), { replyEncoding: null });
  }

  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/** What `redis.pipeline()` and `redis.multi()` return: Pipeline objects, whose `sendCommand` queues a Command. */
type CommandQueue = ChainableCommander & Pick<Pipeline, 'sendCommand'>;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Reads the whole body, refusing one over `maxBytes` (413) without buffering it. A client still
 * sending when refused has the rest of its body read and dropped (up to 16 MiB more), so it gets to
 * read the 413 instead of a reset connection.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new RestRequestError('body_too_large', 413, `the request body is larger than the limit of ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  return new Promise((resolve, reject) => {
    const drain = () => {
      let dropped = 0;
      req.removeAllListeners('data');
      req.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > 16 * 1024 * 1024) req.destroy();
      });
      req.resume();
    };
    if (declared > maxBytes) {
      drain();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        drain();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new RestRequestError('invalid_body', 400, 'the request body is not valid UTF-8');
  }
  if (text.trim() === '') {
    throw new RestRequestError('invalid_body', 400, 'the request body is empty; send a JSON array');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestRequestError('invalid_body', 400, `the request body is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Starts the endpoint and resolves once it listens. Redis need not be up yet: until it answers,
 * requests get 503.
 *
 * @throws RestEndpointError `port_in_use` when the port is taken, `invalid_options` for an empty token.
 */
export async function createRestEndpoint(options: RestEndpointOptions): Promise<RestEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? ((line: string) => console.log(`[rest] ${line}`));
  if (typeof options.token !== 'string' || options.token === '') {
    throw new RestEndpointError(
      'invalid_options',
      'the REST endpoint needs a non-empty token (UPSTASH_REDIS_REST_TOKEN)',
    );
  }
  if (!(maxBodyBytes > 0)) {
    throw new RestEndpointError('invalid_options', `maxBodyBytes must be positive, got ${maxBodyBytes}`);
  }
  // Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
  const tokenDigest = digest(options.token);
  const redisName = redactUrl(options.redisUrl);

  const redis = new Redis(options.redisUrl, {
    lazyConnect: true,
    connectionName: 'tandem-rest-endpoint',
    // Integers as decimal strings: exact past 2^53, and told apart from bulk strings (Buffers).
    stringNumbers: true,
    // While Redis is down, fail at once (503) instead of queueing requests behind the outage, and
    // never resend a command that may have run (an INCR must not count twice).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    commandTimeout: options.commandTimeoutMs ?? 10_000,
  });
  let redisAvailable: boolean | undefined;
  let closing: Promise<void> | undefined;
  redis.on('ready', () => {
    if (redisAvailable === false) log(`Redis at ${redisName} answers again`);
    redisAvailable = true;
  });
  const unavailable = (reason: string) => {
    if (redisAvailable !== false && !closing) {
      log(`Redis at ${redisName} is unavailable (${reason}); answering 503 until it is back`);
    }
    redisAvailable = false;
  };
  // A refused connection emits 'error'; a server that shuts down cleanly only closes the connection.
  redis.on('error', (error: Error) => unavailable(error.message));
  redis.on('close', () => unavailable('connection closed'));

  /** Runs one command; a Redis refusal comes back as an Error, an outage throws. */
  async function run(command: RedisCommand): Promise<RespReply> {
    const refusal = refusalOf(command);
    if (refusal !== undefined) return new ReplyError(refusal);
    const raw = new RawCommand(command);
    redis.sendCommand(raw);
    try {
      return (await raw.promise) as RespReply;
    } catch (error) {
      if (error instanceof ReplyError) return error as Error;
      throw new RedisUnavailableError((error as Error).message);
    }
  }

  /** The replies of a pipeline or transaction; a Redis refusal becomes that entry's Error, an outage throws. */
  function repliesOf(results: [Error | null, unknown][]): RespReply[] {
    return results.map(([error, value]) => {
      if (error !== null && !(error instanceof ReplyError)) throw new RedisUnavailableError(error.message);
      return (error ?? value) as RespReply;
    });
  }

  async function runPipeline(commands: readonly RedisCommand[]): Promise<RespReply[]> {
    const refusals = commands.map(refusalOf);
    const runnable = commands.filter((_, index) => refusals[index] === undefined);
    let replies: RespReply[] = [];
    if (runnable.length > 0) {
      // One ioredis pipeline: the commands go out in one write, in order, on the shared connection.
      const pipeline = redis.pipeline() as CommandQueue;
      for (const command of runnable) pipeline.sendCommand(new RawCommand(command));
      let results: [Error | null, unknown][] | null;
      try {
        results = await pipeline.exec();
      } catch (error) {
        throw new RedisUnavailableError((error as Error).message);
      }
      replies = repliesOf(results ?? []);
    }
    let next = 0;
    return refusals.map((refusal) => (refusal === undefined ? (replies[next++] ?? null) : new ReplyError(refusal)));
  }

  async function runTransaction(commands: readonly RedisCommand[]): Promise<RespReply[]> {
    commands.forEach((command, index) => {
      const refusal = refusalOf(command);
      if (refusal !== undefined) {
        throw new RestRequestError(
          'command_refused',
          400,
          `${refusal} (command ${index + 1}; the transaction did not run)`,
        );
      }
    });
    // ioredis writes MULTI, the commands and EXEC in one go on the shared connection, so nothing
    // else runs in between and Redis executes them atomically.
    const transaction = redis.multi() as CommandQueue;
    for (const command of commands) transaction.sendCommand(new RawCommand(command));
    let results: [Error | null, unknown][] | null;
    try {
      results = await transaction.exec();
    } catch (error) {
      if (error instanceof ReplyError) {
        // EXECABORT: Redis refused a command while queueing, so none ran. Name the cause.
        const causes = ((error as { previousErrors?: Error[] }).previousErrors ?? []).map((e) => e.message);
        throw new RestRequestError(
          'command_refused',
          400,
          `${(error as Error).message}${causes.length > 0 ? ` ${causes.join('; ')}` : ''}`,
        );
      }
      throw new RedisUnavailableError((error as Error).message);
    }
    // null would mean a WATCHed key changed; WATCH is refused, so it cannot happen.
    if (results === null) throw new RedisUnavailableError('the transaction was aborted');
    return repliesOf(results);
  }

  function isAuthorized(req: IncomingMessage): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest((match[1] as string).trim()), tokenDigest);
  }

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]?.replace(/(.)\/+$/, '$1') ?? '/';
    if (!isAuthorized(req)) throw new RestRequestError('unauthorized', 401, 'Unauthorized');
    if (path !== '/' && path !== '/pipeline' && path !== '/multi-exec') {
      throw new RestRequestError('not_found', 404, `no such path: ${path} (use POST /, /pipeline or /multi-exec)`);
    }
    if (req.method !== 'POST') {
      throw new RestRequestError('method_not_allowed', 405, `${req.method} is not supported; send POST ${path}`);
    }
    const body = parseJsonBody(await readBody(req, maxBodyBytes));
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    if (path === '/') {
      const reply = await run(parseCommand(body));
      if (reply instanceof Error) send(res, 400, errorJson(reply.message));
      else send(res, 200, resultJson(reply, base64));
      return;
    }
    const commands = parseBatch(body);
    const replies = path === '/pipeline' ? await runPipeline(commands) : await runTransaction(commands);
    const entries = replies.map((reply) =>
      reply instanceof Error ? errorJson(reply.message) : resultJson(reply, base64),
    );
    send(res, 200, `[${entries.join(',')}]`);
  }

  // A request must arrive within 30 s (headers within 10 s), so a stalled client cannot hold a socket.
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    handle(req, res).catch((error: unknown) => {
      if (error instanceof RestRequestError) {
        const headers: Record<string, string> = {};
        if (error.status === 401) headers['www-authenticate'] = 'Bearer';
        if (error.status === 405) headers.allow = 'POST';
        // The rest of an oversized body is not worth keeping the connection for.
        if (error.status === 413) headers.connection = 'close';
        send(res, error.status, errorJson(error.message), headers);
      } else if (error instanceof RedisUnavailableError) {
        send(res, 503, errorJson(`Redis at ${redisName} is unavailable: ${error.message}`), { 'retry-after': '1' });
      } else {
        // A bug, not a bad request: say so once in the log, and keep serving.
        log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
        send(res, 500, errorJson('internal error'));
      }
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_REST_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new RestEndpointError(
        'port_in_use',
        `port ${options.port ?? DEFAULT_REST_PORT} on ${host} is in use (is the stack already running?); set UPSTASH_REDIS_REST_URL to another port`,
        true,
      );
    }
    throw new RestEndpointError(
      'listen_failed',
      `could not listen on ${host}:${options.port}: ${(error as Error).message}`,
    );
  }

  // Connect now so the first request finds Redis ready; a Redis that is down is not fatal (503s
  // until the connection, which keeps retrying, gets through).
  await redis.connect().catch(() => {});

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`Upstash-compatible REST endpoint on ${url} → ${redisName}${redisAvailable ? '' : ' (Redis not answering yet)'}`);

  return {
    url,
    port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), 2_000);
        await closed;
        clearTimeout(timer);
        redis.disconnect();
        log(`REST endpoint on ${url} stopped`);
      })();
      return closing;
    },
  };
}
