/**
 * The aggregator as its own process (main.ts through tsx), as `npm start` runs it: for tests that
 * kill it with SIGKILL, run several in one group, or stop it with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface AggregatorProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Everything it printed, for a failing test's message. */
  output(): string;
  /** SIGKILL: no shutdown hook, no final checkpoint, no leaving the group. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
}

export async function startAggregatorProcess(
  env: Record<string, string>,
  name = 'aggregator',
  readyTimeoutMs = 60_000,
): Promise<AggregatorProcess> {
  const child = spawn(process.execPath, ['--conditions=tandem-source', '--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  // DRILL_LOG_DIR=/some/dir keeps each process's whole output, for a drill that failed.
  const logFile = process.env.DRILL_LOG_DIR ? join(process.env.DRILL_LOG_DIR, `${name}-${child.pid}.log`) : null;
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in ${readyTimeoutMs} ms:\n${text}`)),
      readyTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (logFile !== null) appendFileSync(logFile, chunk);
      if (text.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${text}`));
    });
  });
  await ready;
  return {
    child,
    name,
    output: () => text,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
