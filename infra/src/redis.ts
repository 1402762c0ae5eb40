/**
 * Redis for the local stack and the integration tests: reuse a server that already answers at the
 * given URL (machines of this project run one on 6379), otherwise start Debian's `redis-server` with
 * no persistence in a temporary directory and stop it again.
 *
 * This module and the REST endpoint (rest/endpoint.ts) are the only places in infra that use ioredis.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { freePort, isListening } from './ports.js';
import { stopChild } from './processes.js';
import { ensureSystemPackage } from './system-packages.js';

/** Where Redis is looked for when neither `url` nor `REDIS_URL` says otherwise. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Why Redis could not be provided; `retryable` says whether trying again can help. */
export class RedisLauncherError extends Error {
  override name = 'RedisLauncherError';
  constructor(
    readonly code:
      | 'invalid_url'
      | 'invalid_options'
      | 'not_redis'
      | 'remote_unreachable'
      | 'start_failed'
      | 'start_timeout',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

type Log = (line: string) => void;

export interface RedisOptions {
  /** Where to look for a running server; default `REDIS_URL`, else redis://127.0.0.1:6379. */
  url?: string;
  /**
   * Port for a server started here (always on 127.0.0.1); default the port of `url`, `0` for a free
   * one. Only used when nothing answers at `url`.
   */
  port?: number;
  /** Working directory of a started server; a temporary one (removed on stop) when absent. */
  dataDir?: string;
  /** Receives the started server's output lines and progress; default `console.log` with a `[redis]` prefix. */
  log?: Log;
  /** How long to wait for a started server to answer PING; default 10,000 ms. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10,000 ms. */
  stopTimeoutMs?: number;
}

export interface EnsuredRedis {
  /** The URL to connect to: `url` itself when reused, `redis://127.0.0.1:<port>` when started here. */
  readonly url: string;
  /** Whether `ensureRedis` started the server (and `stop()` will stop it). */
  readonly startedByUs: boolean;
  /** Process id of the server started here; undefined when an existing server is reused. */
  readonly pid: number | undefined;
  /** Working directory of the server started here; undefined when reused. */
  readonly dataDir: string | undefined;
  /**
   * Stops a server started here: SIGTERM, SIGKILL after `stopTimeoutMs`, then removes a temporary
   * working directory. A no-op for a reused server. Safe to call more than once.
   */
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Whether a Redis server answers PING at `url` within `timeoutMs` (default 1,000 ms). Resolves to the
 * failure's message when it does not (connection refused, authentication required, not Redis, ...).
 */
export async function pingRedis(url: string, timeoutMs = 1_000): Promise<true | string> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // One attempt: the caller decides whether to poll.
    retryStrategy: () => null,
  });
  // Failures are reported through the promise below; without a listener ioredis prints them.
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  // connectTimeout covers only the TCP connect; something that accepts and never answers needs this.
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const attempt = (async (): Promise<true | string> => {
    try {
      await client.connect();
      const reply = await client.ping();
      return reply === 'PONG' ? true : `unexpected PING reply ${JSON.stringify(reply)}`;
    } catch (error) {
      return (error as Error).message || String(error);
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function parseRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisLauncherError('invalid_url', `not a Redis URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisLauncherError('invalid_url', `a Redis URL starts with redis:// or rediss://, got ${redactUrl(url)}`);
  }
  return parsed;
}

/** `url` with any password replaced by `***`, for log lines and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * A Redis server to use: the one answering PING at `url`, or a `redis-server` started here on
 * 127.0.0.1 without persistence (`--save '' --appendonly no`) when nothing listens there. Installs
 * Debian's redis-server first when it is missing and the process runs as root (see
 * ensureSystemPackage).
 *
 * @throws RedisLauncherError `not_redis` when something other than a usable Redis listens at `url`,
 *   `remote_unreachable` when `url` names another machine that does not answer, `start_failed` /
 *   `start_timeout` (with the server's last output) when the started server exits or does not answer.
 */
export async function ensureRedis(options: RedisOptions = {}): Promise<EnsuredRedis> {
  const url = options.url ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const log = options.log ?? ((line: string) => console.log(`[redis] ${line}`));
  const parsed = parseRedisUrl(url);
  const urlPort = parsed.port === '' ? 6379 : Number(parsed.port);

  const answer = await pingRedis(url);
  if (answer === true) {
    return { url, startedByUs: false, pid: undefined, dataDir: undefined, stop: async () => {} };
  }
  if (!LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new RedisLauncherError(
      'remote_unreachable',
      `Redis at ${redactUrl(url)} does not answer (${answer}); a server is only started here for a URL on this machine`,
      true,
    );
  }
  const host = parsed.hostname === 'localhost' ? '127.0.0.1' : parsed.hostname.replace(/^\[|\]$/g, '');
  if (await isListening(urlPort, host)) {
    throw new RedisLauncherError(
      'not_redis',
      `something listens at ${redactUrl(url)} but does not answer PING as a usable Redis (${answer}); stop it or set REDIS_URL to another server`,
    );
  }

  const binary = await ensureSystemPackage(
    {
      binary: 'redis-server',
      debianPackage: 'redis-server',
      why: 'to run Redis locally when none answers at REDIS_URL',
    },
    { log },
  );
  const port = options.port === 0 ? await freePort() : (options.port ?? urlPort);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RedisLauncherError('invalid_options', `not a TCP port: ${port}`);
  }
  // Another server on the chosen port would answer the readiness PING in place of ours.
  if (port !== urlPort && (await isListening(port))) {
    throw new RedisLauncherError('start_failed', `cannot start redis-server on 127.0.0.1:${port}: the port is in use`);
  }
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-redis-'));
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new RedisLauncherError(
      'start_failed',
      `cannot use ${dataDir} as working directory: ${(error as Error).message}`,
    );
  }
  const cleanup = () => {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };

  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir];
  log(`starting ${binary} on 127.0.0.1:${port} (no persistence, working directory ${dataDir})`);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lastLines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > 30) lastLines.shift();
      log(line);
    });
  }
  let exited = false;
  let spawnError: Error | undefined;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', (error) => {
    spawnError = error;
    exited = true;
  });
  // A server left behind by a process that exits without calling stop() would hold the port: kill it
  // on the way out ('exit' handlers run synchronously, so only a signal is possible here).
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await stopChild(child, options.stopTimeoutMs ?? 10_000, () =>
        log('redis-server did not stop within the timeout: SIGKILL'),
      );
      process.removeListener('exit', killOnExit);
      cleanup();
    })();
    return stopping;
  };

  const startedUrl = `redis://127.0.0.1:${port}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastAnswer: true | string = 'not started';
  while (!exited && Date.now() < deadline) {
    lastAnswer = await pingRedis(startedUrl, 500);
    if (lastAnswer === true) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (lastAnswer !== true || exited) {
    const output = lastLines.length > 0 ? `; its last output:\n${lastLines.join('\n')}` : '';
    if (exited) {
      await stop();
      const reason = spawnError
        ? `could not run ${binary}: ${spawnError.message}`
        : 'redis-server exited while starting';
      throw new RedisLauncherError('start_failed', `${reason}${output}`);
    }
    await stop();
    throw new RedisLauncherError(
      'start_timeout',
      `redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms (${lastAnswer})${output}`,
      true,
    );
  }
  log(`redis-server ready at ${startedUrl} (pid ${child.pid})`);
  return { url: startedUrl, startedByUs: true, pid: child.pid, dataDir, stop };
}
