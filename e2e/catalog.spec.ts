/**
 * For other systems: the store serves the feature catalogue (GET /api/catalog, cacheable, with the
 * definition version in its ETag), and a backend that reads a shopper's features from the stack's
 * Redis with `@tandem/feature-core/read` gets typed values equal to the browser worker's, for fields
 * the catalogue lists.
 */
import type { FeatureCatalog } from '@tandem/feature-core';
import { readSessionFeatures, readUserFeatures } from '@tandem/feature-core/read';
import { Redis } from 'ioredis';
import { expect, test } from './support/consent.js';
import { cartLink, viewProduct } from './support/shop.js';
import { e2eStack, eventually } from './support/stack.js';

const stack = e2eStack();

test('GET /api/catalog answers every feature with its keys, cacheable, and 304 when unchanged', async ({ request }) => {
  const response = await request.get('/api/catalog');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/json');
  expect(response.headers()['cache-control']).toBe('public, max-age=300, must-revalidate');
  const catalog = (await response.json()) as FeatureCatalog;
  expect(catalog.format).toBe('tandem.feature-catalog');
  expect(catalog.features.find((f) => f.name === 'cart_value')).toMatchObject({
    key: 'user:{userKey}:cart_value_{window}',
    hash: 'features:user:{userKey}',
    fields: ['cart_value_5m', 'cart_value_1h', 'cart_value_24h'],
    valueType: 'decimal',
    emptyValue: null,
  });
  const etag = response.headers().etag ?? '';
  expect(etag.startsWith(`"${catalog.definitionVersion}.`), `ETag ${etag}`).toBe(true);
  const again = await request.get('/api/catalog', { headers: { 'if-none-match': etag } });
  expect(again.status()).toBe(304);
});

test('a backend reads the shopper’s features from Redis typed, as the browser computed them', async ({
  page,
  request,
}) => {
  // Reading Redis needs the stack's own address (never the machine's Redis).
  if (stack === null) throw new Error('run through `node scripts/test.mjs --only e2e`, which starts the stack');
  test.setTimeout(90_000);
  const catalog = (await (await request.get('/api/catalog')).json()) as FeatureCatalog;

  await page.goto('/');
  await expect.poll(() => page.evaluate(() => 'tandem' in globalThis)).toBe(true);
  await viewProduct(page, 'Watches', 'Field Watch 38');
  await viewProduct(page, 'Bags', 'City Tote');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
  await viewProduct(page, 'Jackets', 'Down Parka');

  const worker = await eventually(
    () =>
      page.evaluate(async () => {
        interface Client {
          snapshot(): Promise<{ userKey: string | null; sessionKey: string | null; values: Record<string, string> }>;
        }
        return (globalThis as unknown as { tandem: { features: Client } }).tandem.features.snapshot();
      }),
    (snapshot) => snapshot.values.product_view_count_5m === '3' && snapshot.values.cart_add_count_5m === '1',
    15_000,
  );
  expect(worker.values.product_view_count_5m, 'the worker counted the views').toBe('3');
  const userKey = worker.userKey ?? '';
  const sessionKey = worker.sessionKey ?? '';
  expect(userKey).not.toBe('');

  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  try {
    const user = await eventually(
      // The served catalogue's version is the deployment's (its base currency is part of it).
      () => readUserFeatures(redis, userKey, { expectedVersion: catalog.definitionVersion }),
      (read) => read.values.product_view_count_5m === 3 && read.values.cart_add_count_5m === 1,
    );
    expect(user).toMatchObject({ found: true, versionMismatch: false });
    expect(user.meta.version).toBe(catalog.definitionVersion);
    const v = user.values;
    expect(v.product_view_count_5m).toBe(3);
    expect(v.cart_add_count_5m).toBe(1);
    expect(Object.values(v.return_view_count_5m)).toEqual([1, 1, 1]);
    // Decimals and ranges come back as numbers that give the browser's canonical text back.
    expect(v.cart_value_5m?.toFixed(2)).toBe(worker.values.cart_value_5m);
    expect(v.avg_viewed_price_5m?.toFixed(2)).toBe(worker.values.avg_viewed_price_5m);
    const range = v.price_range_viewed_5m;
    expect(range === null ? null : `${range.min.toFixed(2)}-${range.max.toFixed(2)}`).toBe(
      worker.values.price_range_viewed_5m,
    );
    expect(v.last_cart_activity_at).toBe(Number(worker.values.last_cart_activity_at));
    // Nothing ordered: the field is absent in Redis and reads as its documented empty value.
    expect(user.raw.orders_count_24h).toBeUndefined();
    expect(v.orders_count_24h).toBe(0);
    expect(v.order_value_24h).toBe(0);

    const session = await eventually(
      () => readSessionFeatures(redis, sessionKey, { expectedVersion: catalog.definitionVersion }),
      (read) => read.values.session_page_count === Number(worker.values.session_page_count),
    );
    expect(session.values.session_page_count).toBe(Number(worker.values.session_page_count));
    expect(session.values.session_bounce).toBe(false);

    // Every field Redis holds is one the served catalogue describes.
    const listed = new Set(catalog.features.flatMap((f) => f.fields));
    const stored = [...Object.keys(user.raw), ...Object.keys(session.raw)].filter((field) => !field.startsWith('_'));
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.filter((field) => !listed.has(field))).toEqual([]);
  } finally {
    redis.disconnect();
  }
});
