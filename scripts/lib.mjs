// Helpers shared by the repository scripts. Node built-ins only: bootstrap runs before any
// dependency is installed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in `<root>/scripts/`). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Parsed root package.json. */
export function readRootPackageJson() {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
}

/**
 * Progress output with a fixed prefix: `info` to stdout, `fail` to stderr.
 * @param {string} prefix e.g. `bootstrap`
 */
export function createLog(prefix) {
  const tag = `[${prefix}]`;
  return {
    /** @param {string} message */
    info: (message) => console.log(`${tag} ${message}`),
    /** @param {string} message */
    fail: (message) => console.error(`${tag} ${message}`),
  };
}

/** An error whose message is meant for the person at the terminal; scripts print it and exit 1. */
export class ScriptError extends Error {
  name = 'ScriptError';
}

/**
 * Runs a command with inherited stdio and resolves when it exits 0.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ cwd?: string }} [options]
 * @returns {Promise<void>} rejects with ScriptError on a non-zero exit or a spawn failure
 */
export function run(command, args, options = {}) {
  const line = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    // Windows resolves npm to npm.cmd only through a shell.
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('error', (error) => reject(new ScriptError(`could not run \`${line}\`: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ScriptError(`\`${line}\` failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

/**
 * Handles a script's arguments, which are only `--help`/`-h`: prints `usage` and answers true when
 * asked for help, throws a ScriptError naming anything else.
 * @param {string} usage
 * @returns {boolean} true when the script should stop after printing help
 */
export function handleHelp(usage) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return true;
  }
  if (args.length > 0) throw new ScriptError(`unknown argument(s): ${args.join(' ')}\n\n${usage}`);
  return false;
}

/**
 * Runs a script's main function: a ScriptError prints its message, anything else its stack; both exit 1.
 * @param {ReturnType<typeof createLog>} log
 * @param {() => Promise<void>} main
 */
export function runMain(log, main) {
  main().catch((error) => {
    log.fail(error instanceof ScriptError ? error.message : (error?.stack ?? String(error)));
    process.exitCode = 1;
  });
}
