/**
 * `npm start`: the local stack. Starts Kafka, Redis (unless one already answers at REDIS_URL) and the
 * Upstash-compatible REST endpoint, then every app that exists (later issues add theirs to SERVICES),
 * prints where to look, streams each part's log lines with its name, and on Ctrl-C (or SIGTERM) stops
 * everything it started, newest first.
 *
 *   npx tsx infra/src/cli/stack.ts [--help]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureLocalSecrets, loadEnvLocalIntoProcess } from '../env-local.js';
import { startKafka } from '../kafka.js';
import { isListening } from '../ports.js';
import { stopChild } from '../processes.js';
import { ensureRedis } from '../redis.js';
import { createRestEndpoint } from '../rest/endpoint.js';
import { decideStoreBuild, storeBuildSettings } from './store-build.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const USAGE = `Usage: npm start
       npx tsx infra/src/cli/stack.ts [--help]

Starts the local stack and keeps it running until Ctrl-C:
  kafka   Apache Kafka (KRaft, single node) on KAFKA_BROKERS (default 127.0.0.1:9092), controller on the
          next port (KAFKA_CONTROLLER_PORT), data in KAFKA_DATA_DIR (default .cache/kafka/data)
  redis   the server at REDIS_URL (default redis://127.0.0.1:6379), or a redis-server started on that port
  rest    the Upstash-compatible REST endpoint on UPSTASH_REDIS_REST_URL (default http://127.0.0.1:8079)
  apps    the collector (COLLECTOR_URL, default http://127.0.0.1:9090), the edge-aggregator (health and
          metrics on METRICS_PORT, default 9464) and the store (http://127.0.0.1:$STORE_PORT, default
          3000), serving apps/store/$NEXT_DIST_DIR (default .next), built first when it is missing or
          older than its sources
STACK_SKIP_APPS=store,... leaves apps out (the stack test does: the store's build takes a minute).
STACK_STORE_BUILD=never serves the store's existing build as is and fails without one (\`npm test\`'s
end-to-end stage builds apps/store/.next-e2e first, then runs this stack on free ports).
Secrets (UPSTASH_REDIS_REST_TOKEN, ...) are generated on the first run into .env.local.`;

/** A part of the stack that is running. */
interface Running {
  readonly name: string;
  readonly url: string;
  readonly note: string;
  stop(): Promise<void>;
}

function logger(name: string): (line: string) => void {
  const tag = `[${name}]`.padEnd(8);
  return (line) => {
    if (line.trim() !== '') console.log(`${tag} ${line}`);
  };
}

function portOf(address: string, fallback: number): number {
  const port = Number(/:(\d+)(?:\/|$)/.exec(address)?.[1]);
  return Number.isInteger(port) && port > 0 ? port : fallback;
}

/** An app of the repository, run as its own Node process (TypeScript source through tsx's loader). */
interface AppSpec {
  readonly name: string;
  /** Entry point, relative to the repository root; the app is skipped while it does not exist. */
  readonly entry: string;
  readonly url: string;
  readonly note: string;
  /** A line the app prints once it serves. */
  readonly readyLine: RegExp;
  /** Arguments to `node` when the app is not a TypeScript entry run through tsx (the default). */
  readonly nodeArgs?: readonly string[];
  /** Working directory relative to the repository root (default: the root). */
  readonly cwd?: string;
  /** Extra environment for the app. */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs before the app starts, e.g. a build that is missing or stale. */
  readonly prepare?: (log: (line: string) => void) => Promise<void>;
}

const STORE_DIR = join(REPO_ROOT, 'apps', 'store');
const STORE_HOST = process.env.STORE_HOST ?? '127.0.0.1';
const STORE_PORT = process.env.STORE_PORT ?? process.env.PORT ?? '3000';

const STORE_BUILD = (() => {
  try {
    return storeBuildSettings();
  } catch (error) {
    console.error(`[stack]  ${(error as Error).message}`);
    process.exit(2);
  }
})();

/**
 * `next start` serves the last `next build` of its dist dir (NEXT_DIST_DIR, default `.next`): build
 * when there is none, or when the store's sources (or feature-core's, which it bundles) changed since;
 * with STACK_STORE_BUILD=never serve what is there (see store-build.ts). The end-to-end stage of
 * `npm test` builds `.next-e2e` itself and serves it this way, so it never replaces `.next`.
 */
async function buildStoreIfStale(log: (line: string) => void): Promise<void> {
  const sources = [
    ...['app', 'src', 'public', 'next.config.ts', 'package.json', 'tsconfig.json'].map((name) => join(STORE_DIR, name)),
    join(REPO_ROOT, 'packages', 'feature-core', 'src'),
  ];
  const decision = decideStoreBuild(STORE_DIR, sources, STORE_BUILD);
  if (decision.action === 'serve') {
    if (STORE_BUILD.mode !== 'auto') log(decision.reason);
    return;
  }
  log(decision.reason);
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: STORE_BUILD.distDir };
  const child = spawn('npm', ['run', '--silent', 'build', '-w', '@tandem/store'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', log);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the store failed (exit code ${code})`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The apps `npm start` runs after the infrastructure, in order (later issues add theirs). */
const APPS: readonly AppSpec[] = [
  {
    name: 'collector',
    entry: 'apps/collector/src/main.ts',
    url: process.env.COLLECTOR_URL ?? 'http://127.0.0.1:9090',
    note: 'Snowplow-compatible collector + enrich',
    readyLine: /listening on/,
    // The store's /t proxy reaches the collector from loopback and names the shopper in X-Forwarded-For:
    // trusting it gives each shopper their own rate-limit bucket and geo (apps/collector/README.md).
    env: { TRUSTED_PROXIES: process.env.TRUSTED_PROXIES ?? '127.0.0.1' },
  },
  {
    name: 'aggregator',
    entry: 'apps/edge-aggregator/src/main.ts',
    url: `http://${process.env.METRICS_HOST ?? '127.0.0.1'}:${process.env.METRICS_PORT ?? '9464'}/metrics`,
    note: 'edge-aggregator: features to Redis (/healthz, /metrics)',
    readyLine: /listening on/,
    // The demo shop prices in EUR, and the browser's features count money in it
    // (apps/store/src/features/engine-config.ts): the server's must too, or their versions differ.
    env: { BASE_CURRENCY: process.env.BASE_CURRENCY ?? 'EUR' },
  },
  {
    name: 'store',
    entry: 'apps/store/app/layout.tsx',
    url: `http://${STORE_HOST}:${STORE_PORT}`,
    note: `the shop (Next.js); collector proxied at /t${STORE_BUILD.distDir === '.next' ? '' : `; build ${STORE_BUILD.distDir}`}`,
    readyLine: /Ready in/,
    nodeArgs: [
      join(REPO_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '-H',
      STORE_HOST,
      '-p',
      STORE_PORT,
    ],
    cwd: 'apps/store',
    env: { NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: STORE_BUILD.distDir },
    prepare: buildStoreIfStale,
  },
];

/** Apps left out: STACK_SKIP_APPS (comma-separated names). */
function skippedApps(): Set<string> {
  const list = process.env.STACK_SKIP_APPS ?? '';
  return new Set(
    list
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
}

/** Starts an app process, streams its output with its name, and resolves once it says it serves. */
async function startApp(app: AppSpec): Promise<Running> {
  const log = logger(app.name);
  await app.prepare?.(log);
  const args = app.nodeArgs ?? ['--conditions=tandem-source', '--import', 'tsx', app.entry];
  const child = spawn(process.execPath, args, {
    cwd: join(REPO_ROOT, app.cwd ?? ''),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...app.env },
  });
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        log(line);
        if (app.readyLine.test(line)) resolve();
      });
    }
    child.once('exit', (code, signal) =>
      reject(new Error(`${app.name} exited while starting (${signal ?? `code ${code}`})`)),
    );
  });
  const stop = () => stopChild(child, 10_000, () => log('did not stop within 10 s: SIGKILL'));
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: app.name, url: app.url, note: app.note, stop };
}

async function startStack(): Promise<Running[]> {
  const running: Running[] = [];
  try {
    const secrets = ensureLocalSecrets();
    loadEnvLocalIntoProcess();
    if (secrets.generated.length > 0) logger('stack')(`generated ${secrets.generated.join(', ')} into .env.local`);

    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    const kafkaPort = portOf(brokers, 9092);
    if (await isListening(kafkaPort)) {
      throw new Error(
        `port ${kafkaPort} is already in use: is another \`npm start\` running? Stop it, or set KAFKA_BROKERS to a free port`,
      );
    }
    const kafka = await startKafka({
      port: kafkaPort,
      controllerPort: Number(process.env.KAFKA_CONTROLLER_PORT ?? kafkaPort + 1),
      dataDir: process.env.KAFKA_DATA_DIR ?? join(REPO_ROOT, '.cache', 'kafka', 'data'),
      log: logger('kafka'),
    });
    running.push({
      name: 'kafka',
      url: kafka.brokers,
      note: `started in ${(kafka.startMs / 1000).toFixed(1)} s`,
      stop: kafka.stop,
    });

    const redis = await ensureRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', log: logger('redis') });
    running.push({
      name: 'redis',
      url: redis.url,
      note: redis.startedByUs ? 'started by npm start' : 'already running, reused',
      stop: redis.stop,
    });

    const restUrl = process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079';
    const rest = await createRestEndpoint({
      redisUrl: redis.url,
      token: process.env.UPSTASH_REDIS_REST_TOKEN as string,
      port: portOf(restUrl, 8079),
    });
    running.push({ name: 'rest', url: rest.url, note: 'Upstash-compatible; token in .env.local', stop: rest.close });

    // The apps read the same addresses from the environment.
    process.env.KAFKA_BROKERS = kafka.brokers;
    process.env.REDIS_URL = redis.url;
    process.env.UPSTASH_REDIS_REST_URL = rest.url;
    const skipped = skippedApps();
    for (const app of APPS) {
      if (skipped.has(app.name)) logger('stack')(`${app.name}: left out (STACK_SKIP_APPS)`);
      else if (existsSync(join(REPO_ROOT, app.entry))) running.push(await startApp(app));
    }
    return running;
  } catch (error) {
    await stopAll(running);
    throw error;
  }
}

async function stopAll(running: Running[]): Promise<void> {
  for (const part of [...running].reverse()) {
    try {
      await part.stop();
      logger('stack')(`stopped ${part.name}`);
    } catch (error) {
      logger('stack')(`stopping ${part.name} failed: ${(error as Error).message}`);
    }
  }
  running.length = 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (args.length > 0) throw new Error(`unknown argument(s): ${args.join(' ')}\n\n${USAGE}`);
  const running = await startStack();
  const nameWidth = Math.max(...running.map((p) => p.name.length));
  const width = Math.max(...running.map((p) => p.url.length));
  console.log('\nTandem local stack is up (Ctrl-C stops it):');
  for (const part of running) console.log(`  ${part.name.padEnd(nameWidth)}  ${part.url.padEnd(width)}  ${part.note}`);
  const store = running.find((part) => part.name === 'store');
  if (store !== undefined) {
    const token = process.env.OPS_TOKEN?.trim();
    console.log(`  drift dashboard: ${store.url}/ops/drift${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  }
  console.log('');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger('stack')(`${signal}: stopping everything this started`);
    void stopAll(running).then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[stack]  ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
