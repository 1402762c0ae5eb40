#!/usr/bin/env node
// `npm test`: bootstrap, type check, lint, then every Vitest project (unit, integration against a
// real Kafka broker and Redis), then the end-to-end suite (Playwright in Debian chromium against a
// test build of the store). Prints how long each stage took, then the test totals as the last line.
// Node built-ins only: it starts before dependencies are installed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createLog, handleHelp, repoRoot, runMain, ScriptError } from './lib.mjs';

const log = createLog('test');

const usage = `Usage: npm test
       node scripts/test.mjs [--help]

Stages, in order (the first failure stops the run):
  bootstrap  node scripts/bootstrap.mjs (installs what is missing)
  typecheck  npm run typecheck
  lint       npm run lint
  vitest     npx vitest run (every workspace's project)
  e2e        builds the store into apps/store/.next-e2e (never the .next that \`npm start\` serves),
             starts it on a free port with TRACKING=off, runs \`npx playwright test\`, stops it
Then a table of stage durations and the "N passed, N failed" totals (Vitest and Playwright together).`;

const TOTALS = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;
/** Playwright's list reporter summary lines: "  5 passed (37.2s)", "  1 failed", "  2 skipped". */
const PLAYWRIGHT_COUNT = /^(\d+) (passed|failed|flaky|skipped|did not run)\b/;

/** The store's end-to-end build directory, beside (never instead of) the `.next` that `npm start` serves. */
const E2E_DIST_DIR = '.next-e2e';
const STORE_DIR = join(repoRoot, 'apps', 'store');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Runs a command, echoing its output, and resolves with the last line matching the totals pattern.
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {Promise<string | null>}
 */
function stage(command, args, { env = process.env, onLine = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
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

/** A free TCP port on 127.0.0.1 (the OS picks one; it is released before the store binds it). */
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
 * Resolves once `url` answers over HTTP; rejects if `child` exits first or after `timeoutMs`.
 * @param {string} url
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 */
async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new ScriptError(`the store exited while starting`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new ScriptError(`the store did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Stops a child: SIGTERM, then SIGKILL after `graceMs`.
 * @param {import('node:child_process').ChildProcess} child
 */
async function stopChild(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The end-to-end stage: one build of the store into E2E_DIST_DIR, `next start` on a free port with
 * TRACKING=off (the shop alone needs no collector or Kafka), Playwright against it, then stop.
 * @returns {Promise<{ passed: number, failed: number, skipped: number }>}
 */
async function endToEnd() {
  if (!existsSync(CHROMIUM)) {
    throw new ScriptError(
      `no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: E2E_DIST_DIR, TRACKING: 'off' };
  log.info(`e2e: building the store into apps/store/${E2E_DIST_DIR}`);
  await stage('npm', ['run', '--silent', 'build', '-w', '@tandem/store'], { env });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nextBin = join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next');
  const server = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: STORE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverLog = '';
  for (const stream of [server.stdout, server.stderr]) stream.on('data', (chunk) => (serverLog += chunk.toString()));
  const counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    await waitForHttp(url, server, 60_000);
    log.info(`e2e: store (test build, TRACKING=off) at ${url}; npx playwright test`);
    await stage('npx', ['--no-install', 'playwright', 'test'], {
      env: { ...env, STORE_E2E_URL: url, CHROMIUM_PATH: CHROMIUM },
      onLine: (line) => {
        const match = PLAYWRIGHT_COUNT.exec(line);
        if (match === null) return;
        const kind =
          match[2] === 'passed' || match[2] === 'flaky' ? 'passed' : match[2] === 'failed' ? 'failed' : 'skipped';
        counts[kind] += Number(match[1]);
      },
    });
  } catch (error) {
    if (serverLog.trim() !== '') log.fail(`store output:\n${serverLog.trimEnd()}`);
    throw error;
  } finally {
    await stopChild(server);
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
  if (handleHelp(usage)) return;
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
  const timings = [];
  try {
    for (const [name, run] of stages) {
      const started = Date.now();
      try {
        await run();
      } finally {
        timings.push([name, (Date.now() - started) / 1000]);
      }
    }
  } finally {
    log.info('stage durations:');
    for (const [name, seconds] of timings) log.info(`  ${name.padEnd(10)} ${seconds.toFixed(1).padStart(7)} s`);
    const total = timings.reduce((sum, [, seconds]) => sum + seconds, 0);
    log.info(`  ${'total'.padEnd(10)} ${total.toFixed(1).padStart(7)} s`);
  }
  if (totals !== null) console.log(totals);
}

runMain(log, main);
