#!/usr/bin/env node
// `npm test`: bootstrap, type check, lint, then every Vitest project (unit, integration against a
// real Kafka broker and Redis). Prints how long each stage took, then the test totals as the last
// line. Node built-ins only: it starts before dependencies are installed.
import { spawn } from 'node:child_process';
import { createLog, handleHelp, runMain, ScriptError } from './lib.mjs';

const log = createLog('test');

const usage = `Usage: npm test
       node scripts/test.mjs [--help]

Stages, in order (the first failure stops the run):
  bootstrap  node scripts/bootstrap.mjs (installs what is missing)
  typecheck  npm run typecheck
  lint       npm run lint
  vitest     npx vitest run (every workspace's project)
Then a table of stage durations and the "N passed, N failed" totals.`;

const TOTALS = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

/**
 * Runs a command, echoing its output, and resolves with the last line matching the totals pattern.
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {Promise<string | null>}
 */
function stage(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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
      }
    });
    child.on('error', (error) => reject(new ScriptError(`could not run \`${command}\`: ${error.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve(totals);
      else reject(new ScriptError(`\`${[command, ...args].join(' ')}\` failed (exit code ${code})`));
    });
  });
}

async function main() {
  if (handleHelp(usage)) return;
  const stages = [
    ['bootstrap', 'node', ['scripts/bootstrap.mjs']],
    ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
    ['lint', 'npm', ['run', '--silent', 'lint']],
    ['vitest', 'npx', ['--no-install', 'vitest', 'run']],
  ];
  const timings = [];
  let totals = null;
  try {
    for (const [name, command, args] of stages) {
      log.info(`${name}: ${[command, ...args].join(' ')}`);
      const started = Date.now();
      try {
        totals = (await stage(command, args)) ?? totals;
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
