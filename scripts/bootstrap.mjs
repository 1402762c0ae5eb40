#!/usr/bin/env node
// Prepares a checkout for `npm start` and `npm test`, which both run this first. Node built-ins only:
// it runs before any dependency is installed. Each step checks first and acts only when something is
// missing, saying what it installs and why.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLog, handleHelp, readRootPackageJson, repoRoot, run, runMain, ScriptError } from './lib.mjs';

const log = createLog('bootstrap');

/**
 * @typedef {object} Step
 * @property {string} name short label used in progress lines and --help
 * @property {string} summary what the step ensures, for --help
 * @property {() => Promise<string>} run ensures its part, resolves with a one-line outcome
 */

/** @type {readonly Step[]} Run in order; a failing step stops the bootstrap. */
const steps = [
  {
    name: 'node',
    summary: 'Node.js satisfies package.json "engines" (stops with a clear message if too old)',
    run: checkNodeVersion,
  },
  {
    name: 'npm',
    summary: 'npm dependencies installed with `npm ci` when node_modules is missing or older than package-lock.json',
    run: ensureNpmDependencies,
  },
  {
    name: 'infra',
    summary: 'Java present; Kafka broker jars from Maven Central (infra/src/cli/prepare.ts, needs the npm step)',
    run: prepareInfrastructure,
  },
];

const usage = `Usage: node scripts/bootstrap.mjs [--help]

Prepares this checkout for \`npm start\` and \`npm test\` (both run it first).
Installs only what is missing, and says why. Steps, in order:
${steps.map((step) => `  ${step.name.padEnd(6)} ${step.summary}`).join('\n')}`;

async function main() {
  if (handleHelp(usage)) return;

  const startedMs = Date.now();
  for (const step of steps) {
    log.info(`${step.name}: ${await step.run()}`);
  }
  log.info(`ready in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}

async function checkNodeVersion() {
  const range = readRootPackageJson().engines?.node;
  if (typeof range !== 'string') throw new ScriptError('package.json has no "engines.node" range to check against');
  const current = process.versions.node;
  if (!satisfiesMinimum(current, range)) {
    throw new ScriptError(
      `Node ${current} is too old: this repository needs Node ${range} (package.json "engines"). ` +
        'Install Node 22 or 24 (current LTS lines) and run again.',
    );
  }
  return `${current} satisfies ${range}`;
}

/**
 * Whether `version` satisfies `range`, for the only range form this repository uses: one or more
 * `>=MAJOR[.MINOR[.PATCH]]` alternatives joined by `||`. Anything else is rejected loudly rather than
 * guessed at.
 * @param {string} version e.g. `20.20.2`
 * @param {string} range e.g. `>=20.19`
 */
function satisfiesMinimum(version, range) {
  const have = parseVersion(version);
  return range.split('||').some((alternative) => {
    const match = /^>=\s*v?(\d+(?:\.\d+){0,2})$/.exec(alternative.trim());
    if (!match?.[1]) throw new ScriptError(`unsupported "engines.node" range in package.json: ${range} (use >=X.Y.Z)`);
    return compareVersions(have, parseVersion(match[1])) >= 0;
  });
}

/** @param {string} text `MAJOR[.MINOR[.PATCH]]`; missing parts count as 0 */
function parseVersion(text) {
  const [major = 0, minor = 0, patch = 0] = text.split('.').map((part) => Number.parseInt(part, 10));
  return [major, minor, patch];
}

/** @param {number[]} a @param {number[]} b */
function compareVersions(a, b) {
  for (let i = 0; i < 3; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

async function ensureNpmDependencies() {
  const lockfile = join(repoRoot, 'package-lock.json');
  if (!existsSync(lockfile)) {
    throw new ScriptError('package-lock.json is missing: run `npm install` once to create it, then commit it');
  }
  const reason = npmInstallReason(lockfile);
  if (reason === null) return 'node_modules is up to date with package-lock.json';

  log.info(`npm: installing dependencies because ${reason}: npm ci --no-audit --no-fund`);
  await run('npm', ['ci', '--no-audit', '--no-fund']);
  return 'dependencies installed';
}

/**
 * Why node_modules needs a fresh `npm ci`, or null when it is current. npm writes
 * node_modules/.package-lock.json at the end of every install, so its modification time marks the
 * last complete install.
 * @param {string} lockfile path of package-lock.json
 * @returns {string | null}
 */
function npmInstallReason(lockfile) {
  const nodeModules = join(repoRoot, 'node_modules');
  if (!existsSync(nodeModules)) return 'node_modules is missing';
  const installedLock = join(nodeModules, '.package-lock.json');
  if (!existsSync(installedLock)) {
    return 'node_modules/.package-lock.json is missing (an interrupted or non-npm install)';
  }
  if (statSync(lockfile).mtimeMs > statSync(installedLock).mtimeMs) {
    return 'package-lock.json is newer than the last install (node_modules/.package-lock.json)';
  }
  return null;
}

/** Runs the infrastructure preparation, written in TypeScript (it needs the npm dependencies). */
async function prepareInfrastructure() {
  await run('npx', ['--no-install', 'tsx', join('infra', 'src', 'cli', 'prepare.ts')]);
  return 'ready';
}

runMain(log, main);
