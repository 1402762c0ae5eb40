#!/usr/bin/env node
// `npm run drill`: the fault drills of issue 8 at full size, one after another, each in its own
// Vitest run against its own Kafka broker and redis-server on free ports (never the machine's Redis
// nor `npm start`'s ports). `npm test` runs the same files at their short size; DRILL_SCALE=full,
// which this script sets, is the one switch the drills read. Node built-ins only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog, repoRoot, runMain, ScriptError } from './lib.mjs';

const log = createLog('drill');

/**
 * The drills: a Vitest project, its file(s), optionally a test name pattern, and what it proves.
 * @type {readonly { name: string; project: string; files: string[]; filter?: string; what: string }[]}
 */
const DRILLS = [
  {
    name: 'aggregator-crash',
    project: 'edge-aggregator',
    files: ['src/crash.test.ts'],
    what: 'kill -9 of the aggregator 5 times during 200,000 events; Redis wiped mid-stream; 3 group members, one killed; REST endpoint and broker restarts: each ends with exactly the clean run',
  },
  {
    name: 'collector-restart',
    project: 'edge-aggregator',
    files: ['src/collector-restart.drill.test.ts'],
    what: 'collector killed -9 and restarted 5 times during 40,000 tracker events from resending browsers: every event on the topic, Redis equal to the clean run of the topic (duplicates counted once)',
  },
  {
    name: 'collector-garbage',
    project: 'collector',
    files: ['src/collector.fuzz.test.ts'],
    what: '10,000 fuzzed tracker payloads through the HTTP server and pipeline: no crash, every event a good event or a bad row',
  },
  {
    name: 'enriched-garbage',
    project: 'edge-aggregator',
    files: ['src/aggregator.test.ts', 'src/input-decoder.test.ts'],
    filter: 'undecodable|never throws|decodeInput',
    what: 'bad lines and poison messages on the enriched topic: dead-lettered with reason and offset, the stream goes on; 10,000 fuzzed lines (and lane messages) decode or are rejected with a known reason',
  },
  {
    name: 'rest-garbage',
    project: 'infra',
    files: ['src/rest/rest-endpoint.fuzz.test.ts'],
    what: '5,000 malformed bodies, refused commands, wrong tokens, paths and methods, huge bodies at the REST endpoint: the protocol 4xx each time, nothing reaches Redis',
  },
  {
    name: 'store-garbage',
    project: 'store',
    files: ['src/server/api.fuzz.test.ts'],
    what: '3,000 fuzzed requests per store API route: a 4xx JSON error with a code, never a 5xx; garbage counted against the redemption limit, never as an offer event',
  },
];

const usage = `Usage: npm run drill [-- --only NAME[,NAME...]] [-- --short] [-- --list] [-- --help]
       node scripts/drill.mjs [options]

Runs the fault drills at full size (DRILL_SCALE=full), one after another; \`npm test\` runs the same
files at their short size. Each drill starts its own Kafka broker and redis-server on free ports.

Drills, in order:
${DRILLS.map((drill) => `  ${drill.name.padEnd(18)} ${drill.what}`).join('\n')}

Options:
  --only NAMES  run just these drills (comma-separated)
  --short       run them at the short size npm test uses (a quick check of the drills themselves)
  --list        print the drill names and stop
  --help, -h    this text

Prints each drill's output prefixed with its name, then a table (drill, result, tests, duration) and,
as the last line, one JSON object: {"scale","passed","durationS","drills":[{"name","passed","tests":
{"passed","failed"},"durationS"}]}. Exit code 1 when any drill failed. Every process's log is kept in
a temporary directory (DRILL_LOG_DIR), deleted when all drills pass and named when one fails.
A full run took about 10 minutes on a shared 2-core machine (583 s), three quarters of it aggregator-crash.`;

/** @returns {{ names: string[]; scale: 'full' | 'short' } | null} null when only help or the list was printed */
function parseArgs(argv = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return null;
  }
  if (argv.includes('--list')) {
    for (const drill of DRILLS) console.log(drill.name);
    return null;
  }
  let names = DRILLS.map((drill) => drill.name);
  let scale = /** @type {'full' | 'short'} */ ('full');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--short') scale = 'short';
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const wanted = (value ?? '').split(',').map((name) => name.trim());
      const unknown = wanted.filter((name) => !DRILLS.some((d) => d.name === name));
      if (value === undefined || wanted.length === 0 || unknown.length > 0)
        throw new ScriptError(`--only takes drill names (${DRILLS.map((d) => d.name).join(', ')}), got ${value}`);
      names = wanted;
    } else throw new ScriptError(`unknown argument: ${arg}\n\n${usage}`);
  }
  return { names, scale };
}

const TOTALS = /^(\d+) passed, (\d+) failed/;

/**
 * Runs one drill's Vitest files, echoing its output prefixed with its name.
 * @returns {Promise<{ passed: boolean; tests: { passed: number; failed: number } }>}
 */
function runDrill(drill, env) {
  const args = ['--no-install', 'vitest', 'run', '--project', drill.project, ...drill.files];
  if (drill.filter !== undefined) args.push('-t', drill.filter);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tests = { passed: 0, failed: 0 };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.on('data', (chunk) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          process.stdout.write(`[${drill.name}] ${line}\n`);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes
          const match = TOTALS.exec(line.replace(/\u001b\[[0-9;]*m/g, '').trim());
          if (match) Object.assign(tests, { passed: Number(match[1]), failed: Number(match[2]) });
        }
      });
    }
    child.on('error', (error) => reject(new ScriptError(`could not run vitest: ${error.message}`)));
    child.on('exit', (code) => resolve({ passed: code === 0 && tests.failed === 0 && tests.passed > 0, tests }));
  });
}

async function main() {
  const options = parseArgs();
  if (options === null) return;
  const logDir = mkdtempSync(join(tmpdir(), 'tandem-drill-'));
  // Plain lines (no colours, no redrawn progress) read well behind the drill's prefix.
  const { FORCE_COLOR: _colour, ...inherited } = process.env;
  const env = { ...inherited, DRILL_SCALE: options.scale, DRILL_LOG_DIR: logDir, CI: '1', NO_COLOR: '1' };
  const selected = DRILLS.filter((drill) => options.names.includes(drill.name));
  const started = Date.now();
  /** @type {{ name: string; passed: boolean; tests: { passed: number; failed: number }; durationS: number }[]} */
  const results = [];
  for (const [index, drill] of selected.entries()) {
    log.info(`${index + 1}/${selected.length} ${drill.name} (${options.scale}): ${drill.what}`);
    const t0 = Date.now();
    const outcome = await runDrill(drill, env);
    const durationS = Math.round((Date.now() - t0) / 100) / 10;
    results.push({ name: drill.name, ...outcome, durationS });
    log.info(`${drill.name}: ${outcome.passed ? 'passed' : 'FAILED'} in ${durationS} s`);
  }
  const passed = results.every((result) => result.passed);
  const durationS = Math.round((Date.now() - started) / 100) / 10;
  console.log('');
  console.log(`${'drill'.padEnd(20)}${'result'.padEnd(8)}${'tests'.padEnd(12)}duration`);
  for (const r of results) {
    const tests = `${r.tests.passed}/${r.tests.passed + r.tests.failed}`;
    console.log(`${r.name.padEnd(20)}${(r.passed ? 'pass' : 'FAIL').padEnd(8)}${tests.padEnd(12)}${r.durationS} s`);
  }
  console.log(`${'all'.padEnd(20)}${(passed ? 'pass' : 'FAIL').padEnd(8)}${''.padEnd(12)}${durationS} s`);
  if (passed) rmSync(logDir, { recursive: true, force: true });
  else log.fail(`every process's log is in ${logDir}`);
  console.log(JSON.stringify({ scale: options.scale, passed, durationS, drills: results }));
  if (!passed) process.exitCode = 1;
}

runMain(log, main);
