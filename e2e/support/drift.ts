/**
 * Readers of what the reconciler recorded in the end-to-end stack's Redis (layout:
 * @tandem/infra/drift-keys): a shopper's latest comparison and history, and the latest mismatches.
 */

import type { Page } from '@playwright/test';
import type { DriftRecord } from '@tandem/feature-core';
import { type DriftHistoryPoint, driftKeys } from '@tandem/infra/drift-keys';
import { Redis } from 'ioredis';
import type { E2eStack } from './stack.js';

export interface DriftReader {
  /** The shopper's latest compared digest; null before the first. */
  latest(userKey: string): Promise<DriftRecord | null>;
  /** The shopper's comparisons, oldest first. */
  history(userKey: string): Promise<DriftHistoryPoint[]>;
  /** The latest digests that did not agree (any shopper), newest first. */
  mismatches(): Promise<DriftRecord[]>;
  close(): void;
}

export function driftReader(stack: E2eStack): DriftReader {
  const keys = driftKeys(process.env.CONSUMER_GROUP || 'tandem-features');
  const redis = new Redis(stack.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  return {
    async latest(userKey) {
      const text = await redis.get(keys.shopper(userKey));
      return text === null ? null : (JSON.parse(text) as DriftRecord);
    },
    async history(userKey) {
      const items = await redis.lrange(keys.history(userKey), 0, -1);
      return items.map((item) => JSON.parse(item) as DriftHistoryPoint).reverse();
    },
    async mismatches() {
      return (await redis.lrange(keys.latest, 0, -1)).map((item) => JSON.parse(item) as DriftRecord);
    },
    close: () => redis.disconnect(),
  };
}

/** The browser's domain_userid, from the tracker's first-party `_sp_id.*` cookie. */
export function domainUserIdOf(cookies: readonly { name: string; value: string }[]): string {
  const id = cookies.find((cookie) => cookie.name.startsWith('_sp_id'))?.value.split('.')[0];
  if (id === undefined || id === '') throw new Error('no _sp_id cookie: is tracking on?');
  return id;
}

/**
 * Answers the next collector request that carries a product view here, so it is never delivered:
 * the tracker counts it sent and the worker has its events, the server never gets them (a lost
 * beacon). Returns how many requests were dropped so far.
 */
export async function dropNextProductViewBeacon(page: Page): Promise<() => number> {
  let dropped = 0;
  await page.route(/\/t\/com\.snowplowanalytics\.snowplow\/tp2/, async (route) => {
    if (dropped === 0 && (route.request().postData() ?? '').includes('product_view')) {
      dropped++;
      await route.fulfill({ status: 200, body: 'ok' });
      return;
    }
    await route.continue();
  });
  return () => dropped;
}
