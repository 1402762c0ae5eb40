/**
 * The three adapters against each other: the same event in three formats gives the same
 * `ShopperEvent` (where the formats carry the same data), and no input, however broken, makes an
 * adapter throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ShopperEvent } from '../event.js';
import { REJECT_REASONS, type Result } from '../result.js';
import {
  type EventSpec,
  type EventSpecType,
  enrichedTsv,
  SCHEMAS,
  snowbridgeJson,
  trackerPayload,
  uuid,
} from '../test-support/builders.js';
import { KINDS, SAMPLE_T0, sampleSpec } from '../test-support/sample-specs.js';
import { fromEnrichedTsv } from './enriched-tsv.js';
import { fromSnowbridgeJson } from './snowbridge-json.js';
import { fromTrackerPayload } from './tracker-payload.js';

type Comparable = Partial<Record<keyof ShopperEvent, unknown>>;

function eventOf(result: Result<ShopperEvent>): ShopperEvent {
  if (!result.ok) throw new Error(`expected an event, got ${result.reason}: ${result.detail}`);
  return result.value;
}

/** What the browser cannot know: collector time, and what the collector and enrichment add. */
function withoutServerFields(event: ShopperEvent): Comparable {
  const { collectorTimeMs: _c, userAgent: _u, deviceClass: _d, geo: _g, ...rest } = event;
  return rest;
}

/** The accelerator's message carries no geolocation. */
function withoutGeo(event: ShopperEvent): Comparable {
  const { geo: _g, ...rest } = event;
  return rest;
}

/**
 * Kinds the Snowbridge message carries in full. Its transformer drops the data of non-ecommerce
 * self-describing events (site_search, link_click arrive as a bare `unstruct`) and the products of
 * a refund.
 */
const SNOWBRIDGE_FULL_KINDS: ReadonlySet<EventSpecType> = new Set<EventSpecType>([
  'page_view',
  'page_ping',
  'struct',
  'product_view',
  'list_view',
  'list_click',
  'add_to_cart',
  'remove_from_cart',
  'checkout_step',
  'transaction',
  'trns_error',
  'promo_view',
  'promo_click',
]);

describe('the three adapters agree', () => {
  it.each(KINDS)('on a %s event', (kind) => {
    const spec = sampleSpec(kind, { userId: kind === 'transaction' ? 'customer-20931' : undefined });
    const fromTsv = eventOf(fromEnrichedTsv(enrichedTsv(spec)));
    const fromTracker = eventOf(fromTrackerPayload(trackerPayload(spec)));
    const fromTrackerBase64 = eventOf(fromTrackerPayload(trackerPayload(spec, { base64: true })));
    expect(withoutServerFields(fromTracker)).toEqual(withoutServerFields(fromTsv));
    expect(fromTrackerBase64).toEqual(fromTracker);
    if (SNOWBRIDGE_FULL_KINDS.has(kind)) {
      const fromSnowbridge = eventOf(fromSnowbridgeJson(snowbridgeJson(spec)));
      expect(withoutGeo(fromSnowbridge)).toEqual(withoutGeo(fromTsv));
    }
  });

  it('on random valid events', () => {
    fc.assert(
      fc.property(arbitraryValidSpec(), (spec) => {
        const fromTsv = eventOf(fromEnrichedTsv(enrichedTsv(spec)));
        expect(withoutServerFields(eventOf(fromTrackerPayload(trackerPayload(spec))))).toEqual(
          withoutServerFields(fromTsv),
        );
        expect(withoutServerFields(eventOf(fromTrackerPayload(trackerPayload(spec, { base64: true }))))).toEqual(
          withoutServerFields(fromTsv),
        );
        expect(withoutGeo(eventOf(fromSnowbridgeJson(snowbridgeJson(spec))))).toEqual(withoutGeo(fromTsv));
        // And the builders' decimal prices arrive as exact minor units.
        for (const [i, product] of (spec.products ?? []).entries()) {
          expect(fromTsv.products[i]?.priceMinor).toBe(Math.round(product.price * 100));
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Text fields as shoppers and merchants write them: any Unicode but lone surrogates and the tabs and
 * newlines that Enrich never leaves in a TSV field.
 */
const text = (maxLength: number) =>
  fc.string({ unit: 'grapheme', minLength: 1, maxLength }).map((s) => s.replace(/[\t\n\r]/g, ' '));
const cents = fc.integer({ min: 0, max: 999_999_900 });
const money = cents.map((c) => c / 100);

const arbitraryProduct = fc.record(
  {
    id: text(12),
    category: text(20),
    price: money,
    currency: fc.constantFrom('USD', 'EUR', 'JPY'),
    name: text(30),
    quantity: fc.integer({ min: 1, max: 9 }),
  },
  { requiredKeys: ['id', 'category', 'price'] },
);

/** A page URL with optional utm_* parameters whose values need percent-encoding. */
const arbitraryUrl = fc
  .record({
    path: fc.constantFrom('/', '/product/sku-1', '/search', '/category/running-shoes'),
    q: fc.option(text(10), { nil: undefined }),
    campaign: fc.option(text(15), { nil: undefined }),
    source: fc.option(text(10), { nil: undefined }),
  })
  .map(({ path, q, campaign, source }) => {
    const params = [
      q === undefined ? null : `q=${encodeURIComponent(q)}`,
      campaign === undefined ? null : `utm_campaign=${encodeURIComponent(campaign)}`,
      source === undefined ? null : `utm_source=${encodeURIComponent(source)}`,
    ].filter((p) => p !== null);
    return `https://shop.example.com${path}${params.length > 0 ? `?${params.join('&')}` : ''}`;
  });

function arbitraryValidSpec(): fc.Arbitrary<EventSpec> {
  const common = fc.record({
    eventId: fc.nat({ max: 2 ** 40 }).map(uuid),
    timeMs: fc.integer({ min: SAMPLE_T0, max: SAMPLE_T0 + 400 * 24 * 3600_000 }),
    collectorDelayMs: fc.integer({ min: 0, max: 60_000 }),
    userId: fc.option(text(20), { nil: undefined }),
    domainUserId: fc.nat({ max: 1000 }).map((n) => uuid(10_000 + n)),
    sessionId: fc.nat({ max: 1000 }).map((n) => uuid(20_000 + n)),
    pageUrl: arbitraryUrl,
    geo: fc.option(
      fc.record({ country: fc.constantFrom('DE', 'FR', 'US'), region: fc.constantFrom('BE', 'IDF', 'CA') }),
      {
        nil: undefined,
      },
    ),
  });
  const body = fc.oneof(
    fc.record({ type: fc.constant('page_view' as const) }),
    fc.record({ type: fc.constant('product_view' as const), products: fc.tuple(arbitraryProduct) }),
    fc.record({
      type: fc.constantFrom('list_view' as const, 'list_click' as const),
      listName: text(128),
      products: fc.array(arbitraryProduct, { maxLength: 4 }),
    }),
    fc.record({
      type: fc.constantFrom('add_to_cart' as const, 'remove_from_cart' as const),
      // The transformer keeps the first product only, so one product keeps the formats equal.
      products: fc.tuple(arbitraryProduct),
      cart: fc.record({ total_value: money, currency: fc.constantFrom('USD', 'EUR') }),
    }),
    fc.record({ type: fc.constant('checkout_step' as const), step: fc.integer({ min: 1, max: 90 }) }),
    fc.record({
      type: fc.constant('transaction' as const),
      products: fc.array(arbitraryProduct, { minLength: 1, maxLength: 3 }),
      transaction: fc.record({
        transaction_id: text(20),
        revenue: money,
        payment_method: fc.constantFrom('card', 'paypal', 'invoice'),
      }),
    }),
  );
  return fc
    .tuple(common, body)
    .map(
      ([{ collectorDelayMs, ...c }, b]): EventSpec => ({ ...c, ...b, collectorTimeMs: c.timeMs + collectorDelayMs }),
    );
}

// ---------------------------------------------------------------------------------------------

function expectClassified(result: Result<ShopperEvent>): void {
  if (result.ok) {
    // An accepted event is always usable: a UUID, an integer time and a user key.
    expect(result.value.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Number.isInteger(result.value.eventTimeMs)).toBe(true);
    expect(result.value.userKey).not.toBe('');
  } else {
    expect(REJECT_REASONS).toContain(result.reason);
    expect(typeof result.detail).toBe('string');
  }
}

/** Runs an adapter, failing the property with the input if it throws. */
function classify<T>(adapter: (input: T) => Result<ShopperEvent>, input: T): void {
  let result: Result<ShopperEvent>;
  try {
    result = adapter(input);
  } catch (error) {
    throw new Error(`adapter threw on ${JSON.stringify(input)?.slice(0, 500)}: ${String(error)}`);
  }
  expectClassified(result);
}

const anyKind = fc.constantFrom(...KINDS.map(([kind]) => kind));
const ENTITY_SCHEMAS = Object.values(SCHEMAS);

/** A contexts envelope whose entities have real schemas but arbitrary data. */
const arbitraryContexts = fc
  .array(fc.record({ schema: fc.constantFrom(...ENTITY_SCHEMAS), data: fc.jsonValue({ maxDepth: 3 }) }), {
    maxLength: 4,
  })
  .map((data) => JSON.stringify({ schema: SCHEMAS.contexts, data }));

/** An unstruct envelope around an ecommerce action with arbitrary data. */
const arbitraryUnstruct = fc
  .jsonValue({ maxDepth: 3 })
  .map((data) => JSON.stringify({ schema: SCHEMAS.unstructEvent, data: { schema: SCHEMAS.ecommerceAction, data } }));

describe('no adapter throws on garbage', () => {
  const RUNS = { numRuns: 300 };

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (input) => {
        classify(fromTrackerPayload, input);
        classify(fromEnrichedTsv, input);
        classify(fromSnowbridgeJson, input);
      }),
      RUNS,
    );
  });

  it('arbitrary JSON values, parsed and as text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        classify(fromTrackerPayload, input);
        classify(fromSnowbridgeJson, input);
        classify(fromSnowbridgeJson, JSON.stringify(input));
        classify(fromEnrichedTsv, JSON.stringify(input));
      }),
      RUNS,
    );
  });

  it('arbitrary values of any JS type', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        classify(fromTrackerPayload, input);
        classify(fromSnowbridgeJson, input);
      }),
      RUNS,
    );
  });

  it('arrays of random TSV fields, of 131 fields and of any count', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.string({ maxLength: 30 }), { minLength: 131, maxLength: 131 }),
          fc.array(fc.string({ maxLength: 5 }), { maxLength: 200 }),
        ),
        (fields) => {
          classify(fromEnrichedTsv, fields.join('\t'));
        },
      ),
      RUNS,
    );
  });

  it('valid enriched lines with random fields replaced', () => {
    const replacement = fc.oneof(fc.string({ maxLength: 40 }), arbitraryContexts, arbitraryUnstruct, fc.constant(''));
    fc.assert(
      fc.property(anyKind, fc.array(fc.tuple(fc.nat({ max: 130 }), replacement), { maxLength: 6 }), (kind, edits) => {
        const fields = enrichedTsv(sampleSpec(kind)).split('\t');
        for (const [index, value] of edits) fields[index] = value.replace(/[\t\n]/g, ' ');
        classify(fromEnrichedTsv, fields.join('\t'));
      }),
      RUNS,
    );
  });

  it('valid tracker payloads with random values for known and unknown keys', () => {
    const key = fc.constantFrom(
      'e',
      'eid',
      'dtm',
      'ttm',
      'uid',
      'duid',
      'sid',
      'url',
      'ue_pr',
      'ue_px',
      'co',
      'cx',
      'p',
      'zz',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      arbitraryContexts,
      arbitraryUnstruct,
      fc.jsonValue({ maxDepth: 1 }),
    );
    fc.assert(
      fc.property(anyKind, fc.boolean(), fc.dictionary(key, value, { maxKeys: 4 }), (kind, base64, edits) => {
        classify(fromTrackerPayload, { ...trackerPayload(sampleSpec(kind), { base64 }), ...edits });
      }),
      RUNS,
    );
  });

  it('valid Snowbridge messages with random subtrees', () => {
    const path = fc.constantFrom(
      ['id'],
      ['type'],
      ['timestamp'],
      ['payload'],
      ['payload', 'product'],
      ['payload', 'products'],
      ['payload', 'cart'],
      ['payload', 'list_name'],
      ['payload', 'checkout_step'],
      ['payload', 'transaction'],
      ['enrich'],
      ['enrich', 'user'],
      ['enrich', 'marketing'],
      ['enrich', 'client'],
      ['session'],
      ['metadata'],
      ['metadata', 'collector_tstamp'],
    );
    fc.assert(
      fc.property(anyKind, fc.array(fc.tuple(path, fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 }), (kind, edits) => {
        const message = snowbridgeJson(sampleSpec(kind));
        for (const [keys, value] of edits) {
          let node: unknown = message;
          for (const k of keys.slice(0, -1))
            node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[k] : undefined;
          if (typeof node === 'object' && node !== null)
            (node as Record<string, unknown>)[keys[keys.length - 1] as string] = value;
        }
        classify(fromSnowbridgeJson, message);
        classify(fromSnowbridgeJson, JSON.stringify(message));
      }),
      RUNS,
    );
  });
});
