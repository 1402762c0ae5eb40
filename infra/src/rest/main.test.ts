/**
 * The endpoint's command as `npm start` and people run it: help, configuration from the environment,
 * a request served in front of a real Redis, and a clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../env-local.js';
import { freePort } from '../ports.js';
import { type EnsuredRedis, ensureRedis } from '../redis.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

let redis: EnsuredRedis;

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
});

afterAll(async () => {
  await redis?.stop();
});

function start(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitFor(output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npx tsx infra/src/rest/main.ts', () => {
  it('prints its usage with --help', async () => {
    const { child, output } = start(['--help'], {});
    expect(await exitOf(child)).toBe(0);
    expect(output()).toMatch(/Usage: npx tsx infra\/src\/rest\/main.ts/);
    expect(output()).toMatch(/UPSTASH_REDIS_REST_TOKEN/);
  });

  it('serves UPSTASH_REDIS_REST_URL in front of REDIS_URL and stops cleanly on SIGTERM', async () => {
    const token = randomBytes(32).toString('base64url');
    const port = await freePort();
    const { child, output } = start([], {
      REDIS_URL: redis.url,
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${port}`,
      UPSTASH_REDIS_REST_TOKEN: token,
    });
    try {
      await waitFor(output, new RegExp(`UPSTASH_REDIS_REST_URL=http://127.0.0.1:${port}`));
      const response = await fetch(`http://127.0.0.1:${port}/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify([
          ['set', 'cli', 'ok'],
          ['get', 'cli'],
        ]),
      });
      expect(await response.json()).toEqual([{ result: 'OK' }, { result: 'ok' }]);
      expect(output()).not.toContain(token);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      expect(output()).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a REST URL that is not on this machine', async () => {
    const { child, output } = start([], {
      REDIS_URL: redis.url,
      UPSTASH_REDIS_REST_URL: 'https://example.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'x',
    });
    expect(await exitOf(child)).toBe(1);
    expect(output()).toMatch(/does not name this machine over http/);
  });
});
