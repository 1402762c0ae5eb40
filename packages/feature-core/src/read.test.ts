/**
 * The read client over an in-memory HGETALL (the real ioredis and @upstash/redis clients are in
 * apps/edge-aggregator/src/redis/feature-read.test.ts).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type FeatureHashReader,
  type FeatureRange,
  FeatureReadError,
  readSessionFeatures,
  readUserFeatures,
  type UserFeatureField,
} from './read.js';
import { definitionVersion } from './version.js';

const VERSION = definitionVersion();

function fakeRedis(hashes: Record<string, Record<string, string> | unknown>): FeatureHashReader & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    async hgetall(key: string) {
      keys.push(key);
      return hashes[key] ?? {};
    },
  };
}

const USER_HASH = {
  product_view_count_5m: '2',
  product_view_count_1h: '4',
  avg_viewed_price_1h: '52.47',
  price_range_viewed_1h: '12.99-149.95',
  return_view_count_1h: '{"sku-310":2,"sku-412":2}',
  top_category_1h: 'Socks',
  last_cart_activity_at: '1772449400000',
  _v: VERSION,
  _at: '1772449505000',
  _events: '25',
};

async function expectReadError(read: Promise<unknown>, code: string): Promise<FeatureReadError> {
  const error = await read.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeatureReadError);
  expect((error as FeatureReadError).code).toBe(code);
  return error as FeatureReadError;
}

describe('readUserFeatures', () => {
  it('reads the user hash typed, with absent fields as their empty values', async () => {
    const redis = fakeRedis({ 'features:user:customer-1': USER_HASH });
    const read = await readUserFeatures(redis, 'customer-1');
    expect(redis.keys).toEqual(['features:user:customer-1']);
    expect(read).toMatchObject({ hashKey: 'features:user:customer-1', found: true, versionMismatch: false });
    expect(read.values.product_view_count_1h).toBe(4);
    expect(read.values.avg_viewed_price_1h).toBe(52.47);
    expect(read.values.price_range_viewed_1h).toEqual({ min: 12.99, max: 149.95 });
    expect(read.values.return_view_count_1h).toEqual({ 'sku-310': 2, 'sku-412': 2 });
    expect(read.values.top_category_1h).toBe('Socks');
    expect(read.values.last_cart_activity_at).toBe(1772449400000);
    expect(read.values.cart_add_count_24h).toBe(0);
    expect(read.values.avg_viewed_price_24h).toBeNull();
    expect(read.meta).toEqual({ version: VERSION, evaluatedAtMs: 1772449505000, eventsApplied: 25, overflowed: [] });
    expect(read.raw).toEqual(USER_HASH);
    expectTypeOf(read.values.product_view_count_5m).toEqualTypeOf<number>();
    expectTypeOf(read.values.price_range_viewed_24h).toEqualTypeOf<FeatureRange | null>();
    expectTypeOf(read.values.return_view_count_5m).toEqualTypeOf<Readonly<Record<string, number>>>();
    expectTypeOf(read.values.last_cart_activity_at).toEqualTypeOf<number | null>();
  });

  it('an unknown shopper reads as all empty values, not found', async () => {
    const read = await readUserFeatures(fakeRedis({}), 'nobody');
    expect(read.found).toBe(false);
    expect(read.versionMismatch).toBe(false);
    expect(read.values.product_view_count_24h).toBe(0);
    expect(read.values.order_value_24h).toBe(0);
    expect(read.values.top_category_5m).toBeNull();
  });

  it('narrows the fields to the windows asked for, in the values and in the types', async () => {
    const read = await readUserFeatures(fakeRedis({ 'features:user:u': USER_HASH }), 'u', { windows: ['1h'] });
    expect(read.values.product_view_count_1h).toBe(4);
    expect(Object.keys(read.values).every((field) => field.endsWith('_1h') || field === 'last_cart_activity_at')).toBe(
      true,
    );
    expect(read.values).not.toHaveProperty('product_view_count_5m');
    expectTypeOf<UserFeatureField<'1h'>>().toEqualTypeOf<Exclude<keyof typeof read.values, symbol | number>>();
    // @ts-expect-error the 5m fields are not part of a 1h read
    expect(read.values.product_view_count_5m).toBeUndefined();
  });

  it('flags a hash written by another definition version, or throws when asked to', async () => {
    const redis = fakeRedis({ 'features:user:u': { ...USER_HASH, _v: '1-older' } });
    const flagged = await readUserFeatures(redis, 'u');
    expect(flagged.versionMismatch).toBe(true);
    expect(flagged.meta.version).toBe('1-older');
    expect(flagged.readerVersion).toBe(VERSION);
    const error = await expectReadError(
      readUserFeatures(redis, 'u', { onVersionMismatch: 'throw' }),
      'version_mismatch',
    );
    expect(error.message).toContain('1-older');
    expect(error.retryable).toBe(false);
  });

  it("checks the version of the writer's configuration: another base currency is another version", async () => {
    const eur = { baseCurrency: 'EUR', fxRates: {} };
    const redis = fakeRedis({ 'features:user:u': { ...USER_HASH, _v: definitionVersion(eur) } });
    expect((await readUserFeatures(redis, 'u')).versionMismatch).toBe(true);
    const read = await readUserFeatures(redis, 'u', { config: eur });
    expect(read.versionMismatch).toBe(false);
    expect(read.readerVersion).toBe(definitionVersion(eur));
    const pinned = await readUserFeatures(redis, 'u', { expectedVersion: definitionVersion(eur) });
    expect(pinned.versionMismatch).toBe(false);
  });

  it('names every unparseable field, and the version that wrote it', async () => {
    const redis = fakeRedis({ 'features:user:u': { ...USER_HASH, _v: '2-newer', avg_viewed_price_1h: '52.5' } });
    const error = await expectReadError(readUserFeatures(redis, 'u'), 'invalid_value');
    expect(error.invalid.map((f) => f.field)).toEqual(['avg_viewed_price_1h']);
    expect(error.message).toContain('avg_viewed_price_1h="52.5"');
    expect(error.message).toContain('2-newer');
  });

  it('refuses a reply whose values the client already JSON-parsed, saying how to create the client', async () => {
    const redis = fakeRedis({ 'features:user:u': { product_view_count_5m: 2, _v: VERSION } });
    const error = await expectReadError(readUserFeatures(redis, 'u'), 'deserialized_reply');
    expect(error.message).toContain('automaticDeserialization: false');
  });

  it('refuses an empty key and unknown windows before any command', async () => {
    const redis = fakeRedis({});
    await expectReadError(readUserFeatures(redis, ''), 'invalid_argument');
    await expectReadError(readUserFeatures(redis, 'u', { windows: ['2h' as '1h'] }), 'invalid_argument');
    await expectReadError(readSessionFeatures(redis, ''), 'invalid_argument');
    expect(redis.keys).toEqual([]);
  });
});

describe('readSessionFeatures', () => {
  it('reads the session hash typed', async () => {
    const redis = fakeRedis({
      'features:session:s1': [
        'session_page_count',
        '15',
        'session_bounce',
        'false',
        'session_cart_ratio',
        '0.22',
        'shopper_device_types',
        '["Desktop"]',
        '_v',
        VERSION,
      ],
    });
    const read = await readSessionFeatures(redis, 's1');
    expect(read.values.session_page_count).toBe(15);
    expect(read.values.session_bounce).toBe(false);
    expect(read.values.session_cart_ratio).toBe(0.22);
    expect(read.values.shopper_device_types).toEqual(['Desktop']);
    expect(read.values.session_search_count).toBe(0);
    expectTypeOf(read.values.session_bounce).toEqualTypeOf<boolean>();
    expectTypeOf(read.values.shopper_device_types).toEqualTypeOf<readonly string[]>();
  });
});
