#!/usr/bin/env node
// What `npm start` runs after the bootstrap: the local stack (infra/src/cli/stack.ts: Kafka, Redis,
// the Upstash-compatible REST endpoint, the collector, the edge-aggregator and the store). It runs in the
// foreground; Ctrl-C reaches it and it stops everything it started.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createLog, handleHelp, repoRoot, runMain, ScriptError } from './lib.mjs';

const log = createLog('start');

const usage = `Usage: npm start            (bootstrap, then this script)
       node scripts/start.mjs [--help]

Starts the local stack in the foreground and prints where to look:
  Kafka 127.0.0.1:9092, Redis redis://127.0.0.1:6379 (an existing server is reused),
  the Upstash-compatible REST endpoint http://127.0.0.1:8079 (token in .env.local),
  the collector http://127.0.0.1:9090, the edge-aggregator http://127.0.0.1:9464/metrics
  and the shop http://127.0.0.1:3000 (built on the first start), with the drift dashboard's URL.
Ctrl-C stops everything it started. Environment variables override every address
(docs/architecture.md). \`npm run demo\` replays a shopper journey through feature-core.`;

async function main() {
  if (handleHelp(usage)) return;
  // Node with tsx's loader (not `npx tsx`, which adds a process between us and the stack).
  const child = spawn(process.execPath, ['--import', 'tsx', join('infra', 'src', 'cli', 'stack.ts')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  // The terminal sends Ctrl-C to the whole process group, so the stack sees it too; a SIGTERM to this
  // process is passed on. Either way the stack stops what it started before it exits.
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
    child.kill('SIGTERM');
  });
  process.on('SIGINT', () => {
    stopping = true;
  });
  const code = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(signal ? 1 : exitCode)));
  if (code !== 0 && !stopping) throw new ScriptError(`the stack exited with code ${code}`);
  log.info(stopping ? 'stopped' : 'the stack exited');
}

runMain(log, main);
