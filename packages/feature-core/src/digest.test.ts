/**
 * Client digests: format, size, schema, event-set hash, comparison outcomes, causes and rollups.
 *
 * The schema check uses `ajv-draft-04`, the collector's validator, configured as the collector's
 * registry does. feature-core declares no dependency on it: it resolves from the repo root's
 * node_modules (hoisted for apps/collector). That is acceptable only in a test file, like esbuild in
 * portability.test.ts; the library itself imports nothing.
 */
import Ajv from 'ajv-draft-04';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accumulateDrift,
  addEventId,
  buildFeatureDigest,
  COMPARED_FIELDS,
  compareDigest,
  type DigestInput,
  driftCause,
  driftRatios,
  EMPTY_DRIFT_STATS,
  EMPTY_EVENT_SET_HASH,
  eventSetHashOf,
  FEATURE_DIGEST_SCHEMA,
  FEATURE_DIGEST_SCHEMA_URI,
  type FeatureDigest,
  formatEventSetHash,
  type ServerSide,
  smape,
} from './digest.js';
import { definitionVersion } from './version.js';

const VERSION = definitionVersion();
const USER = 'c2a1f6de-3b0e-4c5a-9f1d-7e8b9a0c1d2e';
const SESSION = '8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a';
const EVENT_IDS = Array.from({ length: 42 }, (_, i) => `0b1c2d3e-4f50-4a6b-8c7d-${String(i).padStart(12, '0')}`);
const LAST_EVENT = EVENT_IDS[EVENT_IDS.length - 1] as string;

/** A realistic mid-session shopper: 25 non-empty compared fields (plus one not compared). */
const USER_VALUES = new Map<string, string>([
  ['product_view_count_5m', '3'],
  ['product_view_count_1h', '7'],
  ['avg_viewed_price_5m', '84.33'],
  ['avg_viewed_price_1h', '117.66'],
  ['return_view_count_5m', '{"p-1042":2,"p-2077":1,"p-3310":1}'],
  ['return_view_count_1h', '{"p-1042":3,"p-2077":1,"p-3310":1,"p-4120":2,"p-5501":1,"p-6000":1,"p-7123":1}'],
  ['price_range_viewed_1h', '42.99-189.99'],
  ['top_category_5m', 'Shoes'],
  ['top_category_1h', 'Shoes'],
  ['top_category_24h', 'Shoes'],
  ['unique_categories_1h', '3'],
  ['unique_categories_24h', '4'],
  ['cart_add_count_1h', '2'],
  ['cart_update_frequency_1h', '3'],
  ['cart_value_1h', '229.98'],
  ['category_view_count_1h', '{"Jackets":2,"Running":3,"Shoes":5}'],
  ['product_view_total_1h', '11'],
  ['last_cart_activity_at', '1764300123456'],
]);
const SESSION_VALUES = new Map<string, string>([
  ['session_duration', '1204331'],
  ['session_page_count', '14'],
  ['session_bounce', 'false'],
  ['session_marketing_campaign', 'winter_sale'],
  ['session_cart_ratio', '0.29'],
  ['session_search_count', '2'],
  ['shopper_latest_platform', 'web'],
  ['shopper_device_types', '["Desktop"]'],
]);

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    definitionVersion: VERSION,
    userKey: USER,
    sessionKey: SESSION,
    lastEventId: LAST_EVENT,
    eventCount: EVENT_IDS.length,
    eventSetHash: eventSetHashOf(EVENT_IDS),
    atMs: 1764300456789,
    values: [USER_VALUES, SESSION_VALUES],
    ...overrides,
  };
}

function serverFor(overrides: Partial<ServerSide> = {}): ServerSide {
  return {
    definitionVersion: VERSION,
    eventCount: EVENT_IDS.length,
    eventSetHash: formatEventSetHash(eventSetHashOf(EVENT_IDS)),
    values: new Map([...USER_VALUES, ...SESSION_VALUES]),
    ...overrides,
  };
}

function withValue(field: string, value: string | null): ServerSide {
  const values = new Map([...USER_VALUES, ...SESSION_VALUES]);
  if (value === null) values.delete(field);
  else values.set(field, value);
  return serverFor({ values });
}

function nonMatching(digest: FeatureDigest, server: ServerSide) {
  return compareDigest(digest, server).fields.filter((f) => f.outcome !== 'match');
}

function validator() {
  // As apps/collector/src/iglu/registry.ts: strict draft-04, `self` as metadata, `$schema` removed.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addKeyword({ keyword: 'self', schemaType: 'object' });
  const { $schema: _meta, ...body } = FEATURE_DIGEST_SCHEMA;
  return ajv.compile(body);
}

describe('feature digest', () => {
  it('carries only non-empty compared fields, sorted, with its coverage and a values hash', () => {
    const digest = buildFeatureDigest(input());
    expect(Object.keys(digest.f)).toHaveLength(25);
    expect(digest.f).not.toHaveProperty('shopper_device_types');
    expect(Object.keys(digest.f)).toEqual([...Object.keys(digest.f)].sort());
    expect(digest).toMatchObject({ v: VERSION, u: USER, s: SESSION, e: LAST_EVENT, n: 42, t: 1764300456789 });
    expect(digest.h).toMatch(/^[0-9a-z]{1,11}$/);
    expect(digest.o).toBeUndefined();
    // The values hash depends on the values, not on the order the lanes listed them.
    const reversed = buildFeatureDigest(input({ values: [SESSION_VALUES, new Map([...USER_VALUES].reverse())] }));
    expect(reversed.x).toBe(digest.x);
    const changed = buildFeatureDigest(input({ values: [new Map([...USER_VALUES, ['cart_add_count_1h', '3']])] }));
    expect(changed.x).not.toBe(digest.x);
  });

  it('is small: a realistic shopper (25 fields) fits in 1,200 bytes of JSON', () => {
    const bytes = Buffer.byteLength(JSON.stringify(buildFeatureDigest(input())), 'utf8');
    const floor = Buffer.byteLength(JSON.stringify(buildFeatureDigest(input({ values: [] }))), 'utf8');
    console.log(`feature digest: ${bytes} bytes (25 fields), ${floor} bytes without values`);
    expect(bytes).toBeLessThanOrEqual(1200);
    expect(floor).toBeLessThanOrEqual(250);
  });

  it('validates against its own Iglu schema, and the schema rejects what it should', () => {
    expect(FEATURE_DIGEST_SCHEMA_URI).toBe(
      `iglu:${FEATURE_DIGEST_SCHEMA.self.vendor}/${FEATURE_DIGEST_SCHEMA.self.name}/${FEATURE_DIGEST_SCHEMA.self.format}/${FEATURE_DIGEST_SCHEMA.self.version}`,
    );
    expect(JSON.parse(JSON.stringify(FEATURE_DIGEST_SCHEMA))).toEqual(FEATURE_DIGEST_SCHEMA);
    const validate = validator();
    const digest = buildFeatureDigest(input({ overflowed: ['return_view_count_1h'] }));
    expect(digest.o).toEqual(['return_view_count_1h']);
    expect(validate(digest), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(digest)))).toBe(true);
    expect(validate({ ...digest, extra: 1 })).toBe(false);
    expect(validate({ ...digest, n: 1.5 })).toBe(false);
    expect(validate({ ...digest, f: { a: 3 } })).toBe(false);
    expect(validate({ ...digest, u: 'x'.repeat(256) })).toBe(false);
    const { e: _e, ...withoutLastEvent } = digest;
    expect(validate(withoutLastEvent)).toBe(false);
  });
});

describe('event-set hash', () => {
  it('is order independent (property)', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.string({ maxLength: 40 }), { maxLength: 60 })
          .chain((ids) =>
            fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length })),
          ),
        ([ids, shuffled]) => {
          expect(formatEventSetHash(eventSetHashOf(shuffled))).toBe(formatEventSetHash(eventSetHashOf(ids)));
        },
      ),
    );
  });

  it('is incremental and differs when one id differs (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 40 }), fc.uuid(), fc.nat(), (ids, other, at) => {
        fc.pre(!ids.includes(other));
        const changed = [...ids];
        changed[at % ids.length] = other;
        expect(formatEventSetHash(eventSetHashOf(changed))).not.toBe(formatEventSetHash(eventSetHashOf(ids)));
        const stepwise = ids.reduce(addEventId, EMPTY_EVENT_SET_HASH);
        expect(stepwise).toEqual(eventSetHashOf(ids));
      }),
    );
  });

  it('prints the empty set as "0" and stays within 53 bits', () => {
    expect(formatEventSetHash(EMPTY_EVENT_SET_HASH)).toBe('0');
    const hash = eventSetHashOf(EVENT_IDS);
    expect(hash.lo).toBeLessThan(2 ** 32);
    expect(hash.hi).toBeLessThan(2 ** 21);
    expect(Number.parseInt(formatEventSetHash(hash), 36)).toBe(hash.hi * 2 ** 32 + hash.lo);
  });
});

describe('compareDigest', () => {
  const digest = buildFeatureDigest(input());

  it('same values: every compared field matches, no cause', () => {
    const result = compareDigest(digest, serverFor());
    expect(result.comparable).toBe(true);
    expect(result.fields).toHaveLength(COMPARED_FIELDS.length);
    expect(result.fields.every((f) => f.outcome === 'match')).toBe(true);
    expect(result.allMatch).toBe(true);
    expect(result.cause).toBeNull();
    // Decimal features carry a SMAPE of 0 when equal; other types none.
    expect(result.fields.find((f) => f.field === 'avg_viewed_price_1h')?.smape).toBe(0);
    expect(result.fields.find((f) => f.field === 'cart_add_count_1h')?.smape).toBeUndefined();
  });

  it('an absent value reads as the empty value', () => {
    // session_bounce's empty value is "true"; order_value's is "0.00".
    const browser = buildFeatureDigest(input({ values: [new Map([['session_bounce', 'true']])] }));
    const server = serverFor({ values: new Map([['order_value_24h', '0.00']]) });
    expect(compareDigest(browser, server).allMatch).toBe(true);
  });

  it('one changed canonical string: exactly that field mismatches, with SMAPE', () => {
    const diff = nonMatching(digest, withValue('avg_viewed_price_1h', '117.67'));
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatchObject({
      field: 'avg_viewed_price_1h',
      feature: 'avg_viewed_price',
      window: '1h',
      outcome: 'mismatch',
      browser: '117.66',
      server: '117.67',
    });
    expect(diff[0]?.smape).toBeCloseTo(0.01 / 235.33, 12);
    // Exact comparison: "1.50" and "1.5" differ, whatever their numbers.
    const texts = nonMatching(digest, withValue('session_cart_ratio', '0.290'));
    expect(texts.map((f) => [f.field, f.outcome, f.smape])).toEqual([['session_cart_ratio', 'mismatch', 0]]);
  });

  it('missing (browser has, server lacks) and extra (server has, browser lacks)', () => {
    const missing = nonMatching(digest, withValue('cart_value_1h', null));
    expect(missing.map((f) => [f.field, f.outcome, f.server])).toEqual([['cart_value_1h', 'missing', null]]);
    expect(missing[0]?.smape).toBeUndefined(); // cart_value has no empty number
    const extra = nonMatching(digest, withValue('orders_count_24h', '1'));
    expect(extra.map((f) => [f.field, f.outcome, f.browser])).toEqual([['orders_count_24h', 'extra', null]]);
    const extraMoney = nonMatching(digest, withValue('order_value_24h', '59.90'));
    expect(extraMoney.map((f) => [f.outcome, f.smape])).toEqual([['extra', 1]]); // "0.00" vs 59.90
  });

  it('leaves overflowed fields out, on either side', () => {
    const server = withValue('return_view_count_1h', '{"p-1042":4}');
    expect(compareDigest(digest, { ...server, overflowed: ['return_view_count_1h'] }).allMatch).toBe(true);
    const browser = buildFeatureDigest(input({ overflowed: ['return_view_count_1h'] }));
    expect(compareDigest(browser, server).fields).toHaveLength(COMPARED_FIELDS.length - 1);
    expect(compareDigest(browser, server).allMatch).toBe(true);
  });
});

describe('drift cause', () => {
  const digest = buildFeatureDigest(input());
  const drifted = withValue('product_view_count_1h', '6');

  it('definition skew: nothing compared', () => {
    const result = compareDigest(digest, serverFor({ definitionVersion: '1-other' }));
    expect(result).toMatchObject({ comparable: false, fields: [], allMatch: false, cause: 'definition_skew' });
  });

  it('browser counted more events: browser_only_events; server more: server_only_events', () => {
    const fewer = EVENT_IDS.slice(1);
    const lost = { ...drifted, eventCount: fewer.length, eventSetHash: formatEventSetHash(eventSetHashOf(fewer)) };
    const result = compareDigest(digest, lost);
    expect(result.cause).toBe('browser_only_events');
    expect(result.causeInputs).toMatchObject({ browserEvents: 42, serverEvents: 41, eventSetsDiffer: true });
    const more = [...EVENT_IDS, 'server-side-transaction'];
    const serverOnly = { ...drifted, eventCount: more.length, eventSetHash: formatEventSetHash(eventSetHashOf(more)) };
    expect(compareDigest(digest, serverOnly).cause).toBe('server_only_events');
  });

  it('identity change: a flag or another user key on the server', () => {
    expect(compareDigest(digest, drifted, { identityChanged: true }).cause).toBe('identity_change');
    expect(compareDigest(digest, { ...drifted, userKey: 'signed-in-user', eventCount: 3 }).cause).toBe(
      'identity_change',
    );
  });

  it('clock skew above the threshold; unknown otherwise', () => {
    expect(compareDigest(digest, drifted, { clockOffsetMs: -90_000 }).cause).toBe('clock_skew');
    expect(compareDigest(digest, drifted, { clockOffsetMs: 2_000 }).cause).toBe('unknown');
    expect(compareDigest(digest, drifted, { clockOffsetMs: 2_000, clockSkewThresholdMs: 1_000 }).cause).toBe(
      'clock_skew',
    );
    expect(compareDigest(digest, drifted).cause).toBe('unknown');
    // Equal counts, different sets: each side lacks events of the other; recorded, cause unknown.
    const swapped = [...EVENT_IDS.slice(1), 'other'];
    const result = compareDigest(digest, { ...drifted, eventSetHash: formatEventSetHash(eventSetHashOf(swapped)) });
    expect(result.cause).toBe('unknown');
    expect(result.causeInputs.eventSetsDiffer).toBe(true);
  });

  it('precedence: version, identity, events, clock', () => {
    const base = {
      versionsDiffer: true,
      identityChanged: true,
      browserEvents: 5,
      serverEvents: 4,
      eventSetsDiffer: true,
      clockOffsetMs: 60_000,
      clockSkewThresholdMs: 10_000,
    };
    expect(driftCause(base)).toBe('definition_skew');
    expect(driftCause({ ...base, versionsDiffer: false })).toBe('identity_change');
    expect(driftCause({ ...base, versionsDiffer: false, identityChanged: false })).toBe('browser_only_events');
    expect(driftCause({ ...base, versionsDiffer: false, identityChanged: false, browserEvents: 4 })).toBe('clock_skew');
  });

  it('matches have no cause, whatever the evidence', () => {
    expect(compareDigest(digest, serverFor({ eventCount: 40 }), { clockOffsetMs: 1e6 }).cause).toBeNull();
  });
});

describe('drift rollups', () => {
  it('counts per field and cause, and turns them into ratios with mean SMAPE', () => {
    const digest = buildFeatureDigest(input());
    let stats = EMPTY_DRIFT_STATS;
    stats = accumulateDrift(stats, compareDigest(digest, serverFor()));
    stats = accumulateDrift(stats, compareDigest(digest, withValue('avg_viewed_price_1h', '100.00')));
    stats = accumulateDrift(stats, compareDigest(digest, withValue('cart_value_1h', null)));
    stats = accumulateDrift(stats, compareDigest(digest, serverFor({ definitionVersion: 'x' })));
    expect(EMPTY_DRIFT_STATS.digests).toBe(0); // pure
    expect(stats).toMatchObject({ digests: 4, skipped: 1 });
    expect(stats.causes).toMatchObject({ unknown: 2, definition_skew: 1, clock_skew: 0 });
    const ratios = new Map(driftRatios(stats).map((r) => [r.field, r]));
    expect(ratios.size).toBe(COMPARED_FIELDS.length);
    const price = ratios.get('avg_viewed_price_1h');
    expect(price).toMatchObject({ feature: 'avg_viewed_price', window: '1h', compared: 3, missingRatio: 0 });
    expect(price?.mismatchRatio).toBeCloseTo(1 / 3, 12);
    expect(price?.smape).toBeCloseTo(smape(117.66, 100) / 3, 12);
    // The missing value has no SMAPE (cart_value's empty value is no number): the mean is over the 2 matches.
    expect(ratios.get('cart_value_1h')).toMatchObject({ missingRatio: 1 / 3, mismatchRatio: 0, smape: 0 });
    expect(ratios.get('session_page_count')).toMatchObject({ window: 'session', mismatchRatio: 0, smape: null });
    expect(ratios.get('last_cart_activity_at')?.window).toBe('24h');
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });

  it('SMAPE is symmetric and within [0, 1] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (a, b) => {
        const s = smape(a / 100, b / 100);
        expect(s).toBe(smape(b / 100, a / 100));
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(s === 0).toBe(a === b);
      }),
    );
  });
});
