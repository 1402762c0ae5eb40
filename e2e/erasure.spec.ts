/**
 * Erasure as an operator and a shopper meet it (docs/decisions/0008-erasure.md): a shopper browses,
 * the operator erases them through `POST /api/ops/erasure` (401 without the token), no key in the
 * stack's Redis names their user or session key any more, and on their next visit the feature
 * worker deletes the state it had stored and starts empty.
 */
import { readEnvLocal } from '@tandem/infra/env-local';
import { Redis } from 'ioredis';
import { expect, test } from './support/consent.js';
import { viewProduct } from './support/shop.js';
import { e2eStack } from './support/stack.js';

const stack = e2eStack();

/** The ops token the stack's store reads: the environment's, else the one generated into .env.local. */
function opsToken(): string {
  const token = process.env.OPS_TOKEN?.trim() || readEnvLocal().OPS_TOKEN?.trim();
  if (!token) throw new Error('no OPS_TOKEN in the environment or .env.local (the stack generates it)');
  return token;
}

type Worker = { tandem?: { features: { recentEvents(): Promise<{ eid: string }[]> } } };

/** Keys of Redis whose name or value mentions any of `ids`. */
async function keysMentioning(redis: Redis, ids: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? ((await redis.get(key)) ?? '')
          : type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'list'
              ? JSON.stringify(await redis.lrange(key, 0, -1))
              : type === 'zset'
                ? JSON.stringify(await redis.zrange(key, 0, -1))
                : '';
      if (ids.some((id) => key.includes(id) || value.includes(id))) found.push(key);
    }
  } while (cursor !== '0');
  return found;
}

test('an erased shopper leaves no key in Redis, and their browser starts empty on the next visit', async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(120_000);
  if (stack === null)
    throw new Error('erasure.spec needs the end-to-end stack: run `node scripts/test.mjs --only e2e`');
  const redis = new Redis(stack.redisUrl);
  try {
    await page.goto('/');
    await viewProduct(page, 'Home', 'Enamel Mug');
    await viewProduct(page, 'Watches', 'Field Watch 38');
    const before = await page.evaluate(
      async () => (globalThis as unknown as Worker).tandem?.features.recentEvents() ?? [],
    );
    const lastEventId = before.at(-1)?.eid ?? '';
    expect(lastEventId).not.toBe('');
    // The server has the shopper: values and a lane snapshot covering the last view.
    const readState = async () =>
      (await (await page.request.get('/api/features/state')).json()) as Record<string, string | null>;
    await expect.poll(async () => (await readState()).user ?? '', { timeout: 30_000 }).toContain(lastEventId);
    const state = await readState();
    const userKey = state.userKey as string;
    const sessionKey = state.sessionKey as string;
    expect((await keysMentioning(redis, [userKey, sessionKey])).length).toBeGreaterThan(0);

    // The shopper leaves (the tab closes, the worker with it, its last beacons land), then the operator's
    // call: refused without the token, done with it.
    await page.close();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const body = { userKeys: [userKey] };
    expect((await request.post('/api/ops/erasure', { data: body })).status()).toBe(401);
    const erased = await request.post('/api/ops/erasure', {
      data: body,
      headers: { authorization: `Bearer ${opsToken()}` },
    });
    expect(erased.status()).toBe(200);
    const report = (await erased.json()) as { erasedAtMs: number; sessionsFound: number };
    expect(report.sessionsFound).toBeGreaterThanOrEqual(1);
    expect(await keysMentioning(redis, [userKey, sessionKey])).toEqual([]);

    // The next visit, with the same cookies and the same IndexedDB.
    const next = await context.newPage();
    await next.goto('/');
    await expect
      .poll(
        async () => {
          // Null until the page has wired its worker (hydration).
          const events = await next.evaluate(async () => {
            const features = (globalThis as unknown as Worker).tandem?.features;
            return features === undefined ? null : await features.recentEvents();
          });
          return events === null ? -1 : events.filter((event) => before.some((old) => old.eid === event.eid)).length;
        },
        { timeout: 20_000 },
      )
      .toBe(0);
    const fresh = (await (await next.request.get('/api/features/state')).json()) as { erasedAtMs: number | null };
    expect(fresh.erasedAtMs).toBe(report.erasedAtMs);
    // Nothing the shopper did before the erasure came back into Redis meanwhile.
    expect(
      await keysMentioning(
        redis,
        before.map((event) => event.eid),
      ),
    ).toEqual([]);
  } finally {
    redis.disconnect();
  }
});
