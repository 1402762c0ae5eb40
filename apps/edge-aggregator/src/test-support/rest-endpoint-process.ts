/**
 * The Upstash-compatible REST endpoint as its own process (infra/src/rest/main.ts, as `npm start`
 * runs it), for the drills that kill it and the benchmark's REST path.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const REST_MAIN = fileURLToPath(new URL('../../../../infra/src/rest/main.ts', import.meta.url));

export interface RestEndpointProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL: the endpoint vanishes mid-request, as in a crash. */
  kill(): Promise<void>;
}

/** Starts the REST endpoint in front of `redisUrl` on `port`, with `token`; resolves once it listens. */
export async function startRestEndpoint(redisUrl: string, port: number, token: string): Promise<RestEndpointProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', REST_MAIN], {
    env: { ...process.env, UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the REST endpoint did not start in 30 s:\n${text}`)), 30_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('UPSTASH_REDIS_REST_URL=')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the REST endpoint exited with ${code}:\n${text}`));
    });
  });
  return {
    url,
    pid: child.pid,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
