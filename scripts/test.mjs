#!/usr/bin/env node
// `npm test`: bootstrap, type check, lint, then every Vitest project (unit, integration against a
// real Kafka broker and Redis), then the end-to-end suite (Playwright in Debian chromium against the
// whole local stack, tracking on, on free ports). Prints how long each stage took, then the test
// totals as the last line. Node built-ins only: it starts before dependencies are installed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLog, repoRoot, runMain, ScriptError } from './lib.mjs';

const log = createLog('test');

const usage = `Usage: npm test
       node scripts/test.mjs [--only STAGE[,STAGE...]] [--help] [-- PLAYWRIGHT ARGS]

Stages, in order (the first failure stops the run):
  bootstrap  node scripts/bootstrap.mjs (installs what is missing)
  typecheck  npm run typecheck
  lint       npm run lint
  vitest     npx vitest run (every workspace's project)
  e2e        builds the store into apps/store/.next-e2e (never the .next that \`npm start\` serves),
             then runs the whole stack as \`npm start\` does (infra/src/cli/stack.ts: Kafka with a
             temporary data dir, a fresh redis-server, the REST endpoint, the collector, the
             edge-aggregator and that store build, tracking on) on free ports, never the default
             ones nor the machine's Redis on 6379; runs Playwright (e2e/) against it,
             then stops the stack with SIGTERM (its log is printed when anything fails)
Arguments after -- go to \`playwright test\`, e.g. \`node scripts/test.mjs --only e2e -- e2e/rebase.spec.ts\`.
--only e2e (or a comma-separated list) runs just those stages, e.g. the end-to-end stage alone on a
machine that is already bootstrapped.
Then a table of stage durations (the e2e stage's parts too: build, stack start, playwright, stack stop)
and the "N passed, N failed" totals (Vitest and Playwright together).`;

const STAGE_NAMES = ['bootstrap', 'typecheck', 'lint', 'vitest', 'e2e'];

/** Arguments after `--`, passed to `playwright test` (spec files, `-g title`). */
/** @type {string[]} */
const playwrightArgs = [];

/**
 * The stages to run, from the command line: all of them, or those named by `--only`.
 * @returns {Set<string> | null} null when help was printed
 */
function parseArgs(argv = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return null;
  }
  const selected = new Set(STAGE_NAMES);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      playwrightArgs.push(...argv.slice(i + 1));
      break;
    }
    const value = arg === '--only' ? argv[++i] : arg.startsWith('--only=') ? arg.slice('--only='.length) : undefined;
    if (value === undefined) throw new ScriptError(`unknown argument: ${arg}\n\n${usage}`);
    const names = value.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !STAGE_NAMES.includes(name));
    if (names.length === 0 || unknown.length > 0) {
      throw new ScriptError(`--only takes stage names (${STAGE_NAMES.join(', ')}), got ${value}`);
    }
    selected.clear();
    for (const name of names) selected.add(name);
  }
  return selected;
}

const TOTALS = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;
/** Playwright's list reporter summary lines: "  5 passed (37.2s)", "  1 failed", "  2 skipped". */
const PLAYWRIGHT_COUNT = /^(\d+) (passed|failed|flaky|skipped|did not run)\b/;

/** The store's end-to-end build directory, beside (never instead of) the `.next` that `npm start` serves. */
const E2E_DIST_DIR = '.next-e2e';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The command a stage runs right now (stopped with the stack when a signal ends the run). */
/** @type {import('node:child_process').ChildProcess | null} */
let activeStage = null;

/**
 * Runs a command, echoing its output, and resolves with the last line matching the totals pattern.
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {Promise<string | null>}
 */
function stage(command, args, { env = process.env, onLine = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    activeStage = child;
    let totals = null;
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
        const plain = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
        if (TOTALS.test(plain)) totals = plain;
        onLine(plain);
      }
    });
    child.on('error', (error) => reject(new ScriptError(`could not run \`${command}\`: ${error.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve(totals);
      else reject(new ScriptError(`\`${[command, ...args].join(' ')}\` failed (exit code ${code})`));
    });
  });
}

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released before the part that uses it binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * The ports of `npm start` (docs/architecture.md) and the machine's Redis: the end-to-end stack never
 * uses one of them, so it runs beside `npm start` and never reaches the machine's Redis on 6379.
 */
const DEFAULT_PORTS = new Set([3000, 6379, 8079, 9090, 9092, 9093, 9464]);

/** `count` distinct free ports, none of them a default port. */
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) {
    const port = await freePort();
    if (!DEFAULT_PORTS.has(port)) ports.add(port);
  }
  return [...ports];
}

/** The port of a port number, `host:port` or URL string (null when it names none). */
function portOf(address) {
  const match = /(?:^|:)(\d+)(?:\/|$)/.exec(address);
  return match === null ? null : Number(match[1]);
}

/**
 * Resolves once `url` answers with a status `ok` accepts; rejects if `child` exits first or after `timeoutMs`.
 * @param {string} url
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 */
async function waitForHttp(url, child, timeoutMs, ok = (/** @type {number} */ status) => status < 500) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new ScriptError(`the stack exited while starting`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (ok(response.status)) return;
      last = `HTTP ${response.status}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new ScriptError(`${url} did not answer within ${timeoutMs / 1000} s (${last})`);
}

/**
 * Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves true when it stopped on SIGTERM.
 * @param {import('node:child_process').ChildProcess} child
 */
async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
  return !killed;
}

/**
 * The environment of the end-to-end stack: every address on a free port (never a default one), Kafka
 * in `kafkaDataDir`, the store serving the prebuilt E2E_DIST_DIR, tracking on.
 */
async function e2eStackEnv(kafkaDataDir) {
  const [kafka, controller, redis, rest, collector, metrics, store] = await freePorts(7);
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    KAFKA_BROKERS: `127.0.0.1:${kafka}`,
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_DATA_DIR: kafkaDataDir,
    // Nothing listens there, so infra's ensureRedis starts a fresh redis-server (no persistence).
    REDIS_URL: `redis://127.0.0.1:${redis}`,
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${rest}`,
    COLLECTOR_URL: `http://127.0.0.1:${collector}`,
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metrics),
    STORE_HOST: '127.0.0.1',
    STORE_PORT: String(store),
    NEXT_DIST_DIR: E2E_DIST_DIR,
    STACK_STORE_BUILD: 'never',
    // The aggregator writes over TCP to REDIS_URL (its default), whatever a shell or .env.local says.
    FEATURE_STORE: 'tcp',
    // Reconciliation at test speed: digests after 2 s without an event (default 5 s), compared 6 s
    // after they arrive (default 10 s; the lane checkpoints are every 5 s), and the browser rebasing
    // every 20 s (default 60 s), so e2e/drift.spec.ts sees a gap close within a test's time, while a
    // shopper's first steps (sign-in included) still come before the first rebase after start.
    FEATURE_DIGEST_QUIET_MS: '2000',
    RECONCILE_SETTLE_MS: '6000',
    FEATURE_REBASE_INTERVAL_MS: '20000',
    // The offers holdout off: the specs' random browsers always see their offers. e2e/holdout.spec.ts
    // starts a second store with OFFER_HOLDOUT_SHARE=0.5 and browsers pinned to an arm.
    OFFER_HOLDOUT_SHARE: '0',
  };
  // Tracking on, every app in; nothing of a developer's shell changes what the stage tests.
  for (const name of ['TRACKING', 'STACK_SKIP_APPS', 'PORT']) delete env[name];
  for (const name of [
    'KAFKA_BROKERS',
    'REDIS_URL',
    'UPSTASH_REDIS_REST_URL',
    'COLLECTOR_URL',
    'METRICS_PORT',
    'STORE_PORT',
  ]) {
    const port = portOf(/** @type {string} */ (env[name]));
    if (port === null || DEFAULT_PORTS.has(port)) {
      throw new ScriptError(`e2e: ${name}=${env[name]} names ${port === null ? 'no port' : 'a default port'}`);
    }
  }
  return env;
}

/**
 * Starts infra/src/cli/stack.ts (what `npm start` runs) with `env`, and resolves once every part
 * serves: the stack printed its table, the aggregator's /healthz answers 200, the store answers.
 * Its output goes to `output` (printed when anything fails), not to the terminal.
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} output
 */
function startE2eStack(env, output) {
  // Node with tsx's loader, not `npx tsx`: SIGTERM must reach the stack itself, which stops its parts.
  const stack = spawn(process.execPath, ['--import', 'tsx', join('infra', 'src', 'cli', 'stack.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let up = false;
  const table = [];
  const ready = new Promise((resolve, reject) => {
    for (const stream of [stack.stdout, stack.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (line.includes('stack is up')) up = true;
        else if (up && table.length < 10 && line.startsWith('  ')) table.push(line);
        if (up && line.trim() === '' && table.length > 0) resolve(undefined);
      });
    }
    stack.once('exit', (code, signal) =>
      reject(new ScriptError(`the stack exited while starting (${signal ?? `code ${code}`})`)),
    );
    setTimeout(() => reject(new ScriptError('the stack did not come up within 300 s')), 300_000).unref();
  });
  ready.catch(() => {});
  return {
    stack,
    /** Resolves with the stack's table of addresses once every part serves. */
    async ready() {
      await ready;
      await waitForHttp(`http://127.0.0.1:${env.METRICS_PORT}/healthz`, stack, 60_000, (status) => status === 200);
      await waitForHttp(`http://127.0.0.1:${env.STORE_PORT}/`, stack, 60_000);
      return table;
    },
  };
}

/** How long the end-to-end stage's parts took (name, seconds), for the table of stage durations. */
/** @type {[string, number][]} */
const e2eParts = [];

/**
 * The end-to-end stage: one build of the store into E2E_DIST_DIR; the whole stack on free ports with
 * tracking on (stack.ts serving that build); Playwright against it; the stack stopped with SIGTERM.
 * @returns {Promise<{ passed: number, failed: number, skipped: number }>}
 */
async function endToEnd() {
  if (!existsSync(CHROMIUM)) {
    throw new ScriptError(
      `no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  const parts = e2eParts;
  const timed = async (name, run) => {
    const started = Date.now();
    try {
      return await run();
    } finally {
      parts.push([name, (Date.now() - started) / 1000]);
    }
  };
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const kafkaDataDir = mkdtempSync(join(tmpdir(), 'tandem-e2e-kafka-'));
  /** @type {string[]} */
  const stackOutput = [];
  /** @type {import('node:child_process').ChildProcess | null} */
  let stack = null;
  try {
    const buildEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: E2E_DIST_DIR };
    log.info(`e2e: building the store into apps/store/${E2E_DIST_DIR}`);
    await timed('build', () => stage('npm', ['run', '--silent', 'build', '-w', '@tandem/store'], { env: buildEnv }));

    const env = await e2eStackEnv(kafkaDataDir);
    log.info('e2e: starting the stack (infra/src/cli/stack.ts) on free ports, tracking on');
    const started = startE2eStack(env, stackOutput);
    stack = started.stack;
    // Stopped by a signal (Ctrl-C, a CI timeout): stop the stack first, so no broker or redis-server
    // outlives the run (the stack stops its parts on SIGTERM; a second one is ignored).
    const running = stack;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.once(signal, () => {
        log.fail(`e2e: ${signal}: stopping Playwright and the stack`);
        if (activeStage !== null && activeStage.exitCode === null) activeStage.kill('SIGTERM');
        void stopChild(running, 60_000).finally(() => {
          rmSync(kafkaDataDir, { recursive: true, force: true });
          process.exit(signal === 'SIGINT' ? 130 : 143);
        });
      });
    }
    const table = await timed('stack start', () => started.ready());
    for (const line of table) log.info(`e2e: ${line.trim()}`);

    const storeUrl = `http://127.0.0.1:${env.STORE_PORT}`;
    log.info(`e2e: playwright test against ${storeUrl}`);
    await timed('playwright', () =>
      // Node with Playwright's CLI, not `npx playwright` (npm and a shell between): a SIGTERM reaches
      // Playwright's runner itself, which closes its browsers.
      stage(
        process.execPath,
        [join(repoRoot, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', ...playwrightArgs],
        {
          env: {
            ...env,
            STORE_E2E_URL: storeUrl,
            CHROMIUM_PATH: CHROMIUM,
            // What the specs need to look behind the page (e2e/support/stack.ts reads them).
            ENRICHED_TOPIC: process.env.ENRICHED_TOPIC || 'snowplow-enriched-good',
            CONSUMER_GROUP: process.env.CONSUMER_GROUP || 'tandem-features',
            AGGREGATOR_METRICS_URL: `http://127.0.0.1:${env.METRICS_PORT}`,
            TANDEM_E2E_STACK: '1',
            // Specs import workspace packages from source, as tsc, Vitest and the apps do (see e2e/support/stack.ts).
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=tandem-source`.trim(),
          },
          onLine: (line) => {
            const match = PLAYWRIGHT_COUNT.exec(line);
            if (match === null) return;
            const kind =
              match[2] === 'passed' || match[2] === 'flaky' ? 'passed' : match[2] === 'failed' ? 'failed' : 'skipped';
            counts[kind] += Number(match[1]);
          },
        },
      ),
    );
  } catch (error) {
    if (stackOutput.length > 0) log.fail(`e2e: the stack's output:\n${stackOutput.join('\n')}`);
    throw error;
  } finally {
    if (stack !== null) {
      const running = stack;
      const clean = await timed('stack stop', () => stopChild(running, 60_000));
      if (!clean) log.fail('e2e: the stack did not stop within 60 s of SIGTERM: killed; its parts may be left running');
    }
    rmSync(kafkaDataDir, { recursive: true, force: true });
    log.info(`e2e: ${parts.map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ')}`);
  }
  return counts;
}

/**
 * Adds Playwright's counts to Vitest's "N passed, N failed[, N skipped]" line.
 * @param {string | null} totals
 * @param {{ passed: number, failed: number, skipped: number }} counts
 */
function addCounts(totals, counts) {
  const [passed = 0, failed = 0, skipped = 0] = (totals?.match(/\d+/g) ?? []).map(Number);
  const sum = { passed: passed + counts.passed, failed: failed + counts.failed, skipped: skipped + counts.skipped };
  return `${sum.passed} passed, ${sum.failed} failed${sum.skipped > 0 ? `, ${sum.skipped} skipped` : ''}`;
}

async function main() {
  const selected = parseArgs();
  if (selected === null) return;
  /** @type {string | null} */
  let totals = null;
  /** @type {[string, () => Promise<void>][]} */
  const stages = [
    ['bootstrap', 'node', ['scripts/bootstrap.mjs']],
    ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
    ['lint', 'npm', ['run', '--silent', 'lint']],
    ['vitest', 'npx', ['--no-install', 'vitest', 'run']],
  ].map(([name, command, args]) => [
    name,
    async () => {
      log.info(`${name}: ${[command, ...args].join(' ')}`);
      totals = (await stage(command, args)) ?? totals;
    },
  ]);
  stages.push([
    'e2e',
    async () => {
      totals = addCounts(totals, await endToEnd());
    },
  ]);
  /** @type {[string, number][]} */
  const timings = [];
  try {
    for (const [name, run] of stages) {
      if (!selected.has(name)) continue;
      const started = Date.now();
      try {
        await run();
      } finally {
        timings.push([name, (Date.now() - started) / 1000]);
        // The end-to-end stage's parts, indented below it.
        if (name === 'e2e') for (const [part, seconds] of e2eParts) timings.push([`  ${part}`, seconds]);
      }
    }
  } finally {
    log.info('stage durations:');
    for (const [name, seconds] of timings) log.info(`  ${name.padEnd(13)} ${seconds.toFixed(1).padStart(7)} s`);
    const total = timings.filter(([name]) => !name.startsWith(' ')).reduce((sum, [, seconds]) => sum + seconds, 0);
    log.info(`  ${'total'.padEnd(13)} ${total.toFixed(1).padStart(7)} s`);
  }
  if (totals !== null) console.log(totals);
}

runMain(log, main);
