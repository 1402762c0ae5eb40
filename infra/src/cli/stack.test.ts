/**
 * `npm start`'s launcher as a user meets it: started as its own process on free ports (so this test
 * runs beside a real `npm start`), it prints the table of addresses, serves, and Ctrl-C (SIGINT)
 * stops everything it started: no broker, no redis-server left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readEnvLocal } from '../env-local.js';
import { freePort, isListening } from '../ports.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let stack: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-stack-test-'));

afterAll(() => {
  if (stack?.exitCode === null) stack.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (infra/src/cli/stack.ts)', () => {
  it('brings up Kafka, Redis, the REST endpoint and the apps, and Ctrl-C leaves no process behind', async () => {
    const [kafkaPort, controllerPort, redisPort, restPort, collectorPort, metricsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // Node with tsx's loader, not `npx tsx`: the signal must reach the stack itself, as Ctrl-C does.
    stack = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/stack.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_PORT: String(controllerPort),
        KAFKA_DATA_DIR: dataDir,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${restPort}`,
        COLLECTOR_URL: `http://127.0.0.1:${collectorPort}`,
        METRICS_PORT: String(metricsPort),
        // The store's build takes a minute and npm test's end-to-end stage covers it.
        STACK_SKIP_APPS: 'store',
      },
    });
    let output = '';
    stack.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    stack.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 120_000;
    while (!output.includes('stack is up') && Date.now() < deadline && stack.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output, output).toContain('stack is up');
    expect(output).toMatch(new RegExp(`kafka +127\\.0\\.0\\.1:${kafkaPort}`));
    expect(output).toMatch(new RegExp(`redis +redis://127\\.0\\.0\\.1:${redisPort} +started by npm start`));
    expect(output).toMatch(new RegExp(`rest +http://127\\.0\\.0\\.1:${restPort}`));

    // It serves: the REST endpoint answers with the token from .env.local, in front of the Redis it started.
    const token = process.env.UPSTASH_REDIS_REST_TOKEN || readEnvLocal().UPSTASH_REDIS_REST_TOKEN;
    const response = await fetch(`http://127.0.0.1:${restPort}/`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(['PING']),
    });
    expect(await response.json()).toEqual({ result: 'PONG' });

    // The aggregator is up, and ready once it restored its partitions.
    expect(output).toMatch(new RegExp(`aggregator +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
    let health = 0;
    for (let i = 0; i < 100 && health !== 200; i++) {
      health = (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status;
      if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(health, output).toBe(200);

    const pids = [...output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    const exited = new Promise<number | null>((resolve) => stack?.once('exit', (code) => resolve(code)));
    stack.kill('SIGINT');
    expect(await exited, output).toBe(0);
    expect(output).toMatch(/stopped rest[\s\S]*stopped redis[\s\S]*stopped kafka/);
    for (const port of [kafkaPort, controllerPort, redisPort, restPort, collectorPort, metricsPort])
      expect(await isListening(port)).toBe(false);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 180_000);
});
