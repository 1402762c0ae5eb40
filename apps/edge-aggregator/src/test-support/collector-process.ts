/**
 * The collector as its own process (apps/collector/src/main.ts through tsx, as `npm start` runs it),
 * for the drill that kills it with SIGKILL under load. Started by path, like the REST endpoint: the
 * apps never import each other.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COLLECTOR_MAIN = fileURLToPath(new URL('../../../collector/src/main.ts', import.meta.url));

export interface CollectorProcess {
  readonly child: ChildProcess;
  /** Everything it printed, for a failing test's message. */
  output(): string;
  /** SIGKILL: requests in flight get no answer, Kafka sends not yet acknowledged are lost. */
  kill(): Promise<void>;
}

/**
 * Starts the collector with `env` (COLLECTOR_URL, KAFKA_BROKERS, ENRICHED_TOPIC, BAD_TOPIC, ...) and
 * resolves once it listens. DRILL_LOG_DIR keeps each process's whole output, as for the aggregator.
 */
export async function startCollectorProcess(
  env: Record<string, string>,
  name = 'collector',
  readyTimeoutMs = 60_000,
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, ['--conditions=tandem-source', '--import', 'tsx', COLLECTOR_MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const logFile = process.env.DRILL_LOG_DIR ? join(process.env.DRILL_LOG_DIR, `${name}-${child.pid}.log`) : null;
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
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
  return {
    child,
    output: () => text,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
