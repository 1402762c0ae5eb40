/**
 * The offers holdout behind the page: a second store on the end-to-end stack with a holdout share
 * (the stack's own store runs with the holdout off, OFFER_HOLDOUT_SHARE=0, so the other specs'
 * random browsers always see their offers), browsers pinned to an arm, and readers of what the
 * store counted in Redis (apps/store/src/server/offer-stats-model.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { BrowserContext } from '@playwright/test';
import { DEFAULT_HOLDOUT_SALT, type HoldoutArm, holdoutArm } from '@tandem/feature-core';
import { Redis } from 'ioredis';
import type { E2eStack } from './stack.js';

/** Playwright runs from the repository root (as the other specs assume for docs/images). */
const REPO_ROOT = resolve('.');

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

export interface SecondStore {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the stack's store build again (`next start`, NEXT_DIST_DIR from the stack) on a free port,
 * on the same collector and Redis, with `env` on top; resolves once it serves.
 */
export async function startSecondStore(env: Readonly<Record<string, string>>): Promise<SecondStore> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'start', '-H', '127.0.0.1', '-p', String(port)],
    {
      cwd: join(REPO_ROOT, 'apps', 'store'),
      stdio: ['ignore', 'pipe', 'pipe'],
      // The store is built: it needs no source conditions (and Next.js dislikes unknown NODE_OPTIONS).
      env: { ...process.env, NODE_OPTIONS: '', NEXT_TELEMETRY_DISABLED: '1', ...env },
    },
  );
  const output: string[] = [];
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`the second store did not start in 60 s:\n${output.join('\n')}`)),
      60_000,
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (/Ready in/.test(line)) {
          clearTimeout(timer);
          ready();
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the second store exited (${code}):\n${output.join('\n')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** A fresh random domain_userid that `holdoutArm` puts in `arm` for this share and salt. */
export function browserIdIn(arm: HoldoutArm, share: number, salt = DEFAULT_HOLDOUT_SALT): string {
  for (;;) {
    const id = randomUUID();
    if (holdoutArm(id, share, salt) === arm) return id;
  }
}

/**
 * Gives the browser `browserId` before its first page: the tracker's `_sp_id.<hash>` cookie (hash =
 * the first 4 hex digits of sha1(host + "/"), as the Snowplow tracker names it), with no session yet,
 * so the tracker keeps the id and starts a session of its own.
 */
export async function pinBrowserId(context: BrowserContext, url: string, browserId: string): Promise<void> {
  const host = new URL(url).hostname.replace(/^www\./, '');
  const name = `_sp_id.${createHash('sha1').update(`${host}/`).digest('hex').slice(0, 4)}`;
  const nowS = Math.round(Date.now() / 1000);
  await context.addCookies([{ name, value: `${browserId}.${nowS}.0.${nowS}.`, url, sameSite: 'Lax' }]);
}

/** The store's once-only marks of a browser (all its sessions): `<ruleId>|<outcome>` → arm. */
export async function offerMarks(stack: E2eStack, browserId: string): Promise<Record<string, string>> {
  const tag = createHash('sha256').update(`tandem-offers:${browserId}`).digest('hex').slice(0, 32);
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  try {
    const keys = await redis.keys(`tandem:offers:session:${tag}:*`);
    const marks: Record<string, string> = {};
    for (const key of keys) Object.assign(marks, await redis.hgetall(key));
    return marks;
  } finally {
    redis.disconnect();
  }
}
