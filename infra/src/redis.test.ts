/**
 * ensureRedis with a real redis-server: reuse when one answers, start one (on the URL's port or a
 * free one) when nothing does, stop it without leaving a process or a directory behind, and clear
 * errors when the URL names something else.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, isListening } from './ports.js';
import { ensureRedis, pingRedis, RedisLauncherError, redactUrl } from './redis.js';

const quiet = () => {};

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ensureRedis', () => {
  it('starts redis-server on the URL port when nothing answers there, and stops it without a trace', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const lines: string[] = [];
    const redis = await ensureRedis({ url, log: (line) => lines.push(line) });
    expect(redis.startedByUs).toBe(true);
    expect(redis.url).toBe(url);
    expect(redis.pid).toBeGreaterThan(0);
    expect(await pingRedis(url)).toBe(true);
    expect(existsSync(redis.dataDir as string)).toBe(true);
    // The server's own output reaches the log.
    expect(lines.some((line) => /Ready to accept connections/.test(line))).toBe(true);

    // A second caller finds it answering and reuses it; its stop() leaves the server alone.
    const reused = await ensureRedis({ url, log: quiet });
    expect(reused).toMatchObject({ url, startedByUs: false, pid: undefined });
    await reused.stop();
    expect(await pingRedis(url)).toBe(true);

    await redis.stop();
    expect(isRunning(redis.pid as number)).toBe(false);
    expect(existsSync(redis.dataDir as string)).toBe(false);
    expect(await isListening(port)).toBe(false);
    // stop() is idempotent.
    await redis.stop();
  });

  it('starts on a free port with port: 0, without persistence', async () => {
    const taken = await freePort();
    const redis = await ensureRedis({ url: `redis://127.0.0.1:${taken}/2`, port: 0, log: quiet });
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/2$/);
      expect(redis.url).not.toBe(`redis://127.0.0.1:${taken}/2`);
      expect(await pingRedis(redis.url)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(isRunning(redis.pid as number)).toBe(false);
  });

  it("reports the server's last output when it exits while starting, or does not answer in time", async () => {
    // Stand-ins for redis-server, first on PATH: one that fails at once, one that never answers.
    const bin = mkdtempSync(join(tmpdir(), 'tandem-fake-redis-'));
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${savedPath}`;
    try {
      writeFileSync(join(bin, 'redis-server'), '#!/bin/sh\necho "# Fatal error: cannot open the config"\nexit 1\n');
      chmodSync(join(bin, 'redis-server'), 0o755);
      const failed = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: quiet }).catch(
        (e: unknown) => e,
      );
      expect(failed).toMatchObject({ code: 'start_failed' });
      expect((failed as Error).message).toMatch(/exited while starting; its last output:\n# Fatal error: cannot open/);

      writeFileSync(join(bin, 'redis-server'), '#!/bin/sh\necho "# pretending"\nexec sleep 30\n');
      const slow = await ensureRedis({
        url: `redis://127.0.0.1:${await freePort()}`,
        startTimeoutMs: 300,
        log: quiet,
      }).catch((e: unknown) => e);
      expect(slow).toMatchObject({ code: 'start_timeout', retryable: true });
      expect((slow as Error).message).toMatch(/did not answer PING within 300 ms .*; its last output:\n# pretending/);
    } finally {
      process.env.PATH = savedPath;
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('refuses a port where something other than Redis listens', async () => {
    const server = createServer((_req, res) => res.end('not redis'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await ensureRedis({ url: `redis://127.0.0.1:${port}`, log: quiet }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisLauncherError);
      expect(error).toMatchObject({ code: 'not_redis' });
      expect((error as Error).message).toMatch(new RegExp(`something listens at redis://127.0.0.1:${port}`));
    } finally {
      server.close();
    }
  });

  it('does not start a local server for a URL on another machine', async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing answers there.
    const error = await ensureRedis({ url: 'redis://:secret@192.0.2.1:6379', log: quiet }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'remote_unreachable' });
    expect((error as Error).message).not.toMatch(/secret/);
  });

  it('rejects what is not a Redis URL', async () => {
    await expect(ensureRedis({ url: 'http://127.0.0.1:6379', log: quiet })).rejects.toMatchObject({
      code: 'invalid_url',
    });
    await expect(ensureRedis({ url: 'not a url', log: quiet })).rejects.toMatchObject({ code: 'invalid_url' });
  });

  it('redacts passwords in URLs it prints', () => {
    expect(redactUrl('redis://user:hunter2@127.0.0.1:6379/0')).toBe('redis://user:***@127.0.0.1:6379/0');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
