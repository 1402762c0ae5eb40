#!/usr/bin/env node
// What `npm start` runs after the bootstrap. The local stack is being built issue by issue; this runs
// what exists today and says where the rest will come from.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLog, handleHelp, repoRoot, run, runMain } from './lib.mjs';

const log = createLog('start');

const REPLAY_EXAMPLE = 'packages/feature-core/examples/replay.mjs';

/** What runs where once the stack is complete; `status` says what exists today. */
const COMPONENTS = [
  { component: 'feature-core', where: 'packages/feature-core', address: '(library)', status: 'built now' },
  { component: 'Kafka (KRaft)', where: 'infra/', address: '127.0.0.1:9092', status: 'issue 3' },
  { component: 'Redis', where: 'infra/', address: 'redis://127.0.0.1:6379', status: 'issue 3' },
  { component: 'Upstash-compatible REST', where: 'infra/', address: 'http://127.0.0.1:8079', status: 'issue 3' },
  { component: 'collector + enrich', where: '(issue 4 decides)', address: 'http://127.0.0.1:9090', status: 'issue 4' },
  {
    component: 'edge-aggregator',
    where: 'apps/edge-aggregator',
    address: 'http://127.0.0.1:9464 (/healthz, /metrics)',
    status: 'issue 5',
  },
  { component: 'store (Next.js)', where: 'apps/store', address: 'http://127.0.0.1:3000', status: 'issue 6' },
];

const usage = `Usage: npm start            (bootstrap, then this script)
       node scripts/start.mjs [--help]

Today: builds packages/feature-core (npm run build -w @tandem/feature-core), runs the demo
replay ${REPLAY_EXAMPLE} when it exists, and prints which component runs where
and which issue brings it. Contracts: docs/architecture.md.`;

async function main() {
  if (handleHelp(usage)) return;

  log.info('building @tandem/feature-core');
  await run('npm', ['run', 'build', '-w', '@tandem/feature-core']);

  if (existsSync(join(repoRoot, REPLAY_EXAMPLE))) {
    log.info(`replaying the demo journey: node ${REPLAY_EXAMPLE}`);
    await run(process.execPath, [REPLAY_EXAMPLE]);
  } else {
    log.info(`no ${REPLAY_EXAMPLE} yet: skipping the demo replay`);
  }

  log.info('what runs where (the services arrive with the issues listed):');
  console.log(formatTable(COMPONENTS));
}

/**
 * Plain-text table with a header row, columns padded to their widest cell.
 * @param {readonly Record<string, string>[]} rows all with the same keys
 */
function formatTable(rows) {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  /** @param {readonly string[]} cells */
  const line = (cells) => `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [
    line(columns),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(columns.map((c) => row[c] ?? ''))),
  ].join('\n');
}

runMain(log, main);
