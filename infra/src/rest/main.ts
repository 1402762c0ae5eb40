/**
 * The local Upstash-compatible REST endpoint as a command, for `npm start` and for running it alone:
 *
 *   npx tsx infra/src/rest/main.ts [--help]
 *
 * Configuration is parsed once here, from the environment and the repository's `.env.local`.
 */
import { ensureLocalSecrets, loadEnvLocalIntoProcess } from '../env-local.js';
import { DEFAULT_REDIS_URL } from '../redis.js';
import { createRestEndpoint, DEFAULT_REST_PORT, type RestEndpoint } from './endpoint.js';

const DEFAULT_REST_URL = `http://127.0.0.1:${DEFAULT_REST_PORT}`;

const USAGE = `Usage: npx tsx infra/src/rest/main.ts [--help]

Serves the Upstash REST protocol (what @upstash/redis speaks) in front of a Redis server.

Environment (a value in the environment wins over .env.local at the repository root):
  UPSTASH_REDIS_REST_URL    where to listen, on this machine (default ${DEFAULT_REST_URL})
  UPSTASH_REDIS_REST_TOKEN  bearer token clients must send; generated into .env.local on the first
                            run when missing (never with NODE_ENV=production: set a real one)
  REDIS_URL                 the Redis to serve (default ${DEFAULT_REDIS_URL}); not started here
                            (npm start does that): until it answers, requests get 503

Stops on Ctrl-C (SIGINT) or SIGTERM.`;

const LOOPBACK_BIND: Record<string, string> = { '127.0.0.1': '127.0.0.1', localhost: '127.0.0.1', '[::1]': '::1' };

class UsageError extends Error {}

function log(line: string): void {
  console.log(`[rest] ${line}`);
}

/** Host and port to listen on, from UPSTASH_REDIS_REST_URL, which must name this machine over http. */
function listenAddress(restUrl: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(restUrl);
  } catch {
    throw new UsageError(`UPSTASH_REDIS_REST_URL is not a URL: ${JSON.stringify(restUrl)}`);
  }
  const host = LOOPBACK_BIND[parsed.hostname];
  if (parsed.protocol !== 'http:' || host === undefined) {
    throw new UsageError(
      `UPSTASH_REDIS_REST_URL=${restUrl} does not name this machine over http, so there is nothing to serve locally ` +
        `(apps talk to that endpoint directly); unset it or use e.g. ${DEFAULT_REST_URL}`,
    );
  }
  return { host, port: parsed.port === '' ? 80 : Number(parsed.port) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (args.length > 0) throw new UsageError(`unknown argument(s): ${args.join(' ')}\n\n${USAGE}`);

  const secrets = ensureLocalSecrets();
  if (secrets.generated.length > 0) log(`generated ${secrets.generated.join(', ')} into ${secrets.path}`);
  loadEnvLocalIntoProcess();
  const token = process.env.UPSTASH_REDIS_REST_TOKEN as string;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const { host, port } = listenAddress(process.env.UPSTASH_REDIS_REST_URL || DEFAULT_REST_URL);

  const endpoint: RestEndpoint = await createRestEndpoint({ redisUrl, token, host, port, log });
  log(`UPSTASH_REDIS_REST_URL=${endpoint.url} (token: UPSTASH_REDIS_REST_TOKEN)`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now".
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    endpoint.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        log(`stopping failed: ${(error as Error).message}`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof UsageError || (error as { code?: unknown })?.code !== undefined;
  console.error(`[rest] ${message ? (error as Error).message : ((error as Error)?.stack ?? String(error))}`);
  process.exitCode = 1;
});
