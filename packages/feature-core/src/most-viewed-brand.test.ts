/**
 * most_viewed_brand_{window}, worked by hand (docs/tutorial-add-a-feature.md): one shopper's product
 * views decoded by the browser's adapter (tracker payload) and the server's (enriched TSV), so the
 * test also shows both sides give the same value. The property tests compare it with the naive model
 * (test-support/reference-model.ts) on random events.
 */
import { describe, expect, it } from 'vitest';
import { fromEnrichedTsv } from './adapters/enriched-tsv.js';
import { fromTrackerPayload } from './adapters/tracker-payload.js';
import { createFeatureEngine } from './engine/feature-engine.js';
import type { ShopperEvent } from './event.js';
import type { Result } from './result.js';
import { type EventSpec, enrichedTsv, type ProductSpec, trackerPayload, uuid } from './test-support/builders.js';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0); // a boundary of every tile
const S = 1000;
const MIN = 60 * S;

const TRAIL: ProductSpec = { id: 'sku-101', category: 'Running Shoes', price: 120, brand: 'Stride' };
const ROAD: ProductSpec = { id: 'sku-205', category: 'Running Shoes', price: 89.5, brand: 'Stride' };
const JACKET: ProductSpec = { id: 'sku-412', category: 'Jackets', price: 149.95, brand: 'Northwind' };
const SOCKS: ProductSpec = { id: 'sku-310', category: 'Socks', price: 14.99, brand: 'Northwind' };
const UNBRANDED: ProductSpec = { id: 'sku-900', category: 'Socks', price: 4.99 };

const view = (n: number, t: number, product: ProductSpec): EventSpec => ({
  eventId: uuid(n),
  timeMs: T0 + t,
  domainUserId: 'duid-1',
  sessionId: 'session-1',
  type: 'product_view',
  products: [product],
});

// Stride twice, early; Northwind twice, later; then a product without a brand (counts nowhere).
const JOURNEY = [
  view(1, 0, TRAIL), // 10:00:00
  view(2, 30 * S, ROAD), // 10:00:30
  view(3, 6 * MIN, JACKET), // 10:06:00
  view(4, 8 * MIN, SOCKS), // 10:08:00
  view(5, 14 * MIN, UNBRANDED), // 10:14:00
];

function brandsAt(decode: (spec: EventSpec) => Result<ShopperEvent>, atMs: number): Record<string, string> {
  const engine = createFeatureEngine();
  // As a live stream would: only the views that have happened by then.
  for (const spec of JOURNEY.filter((s) => s.timeMs <= T0 + atMs)) {
    const event = decode(spec);
    if (!event.ok) throw new Error(`${spec.eventId}: ${event.reason}`);
    engine.apply(event.value);
  }
  const values = engine.keyValuesAt(T0 + atMs);
  return Object.fromEntries(
    Object.entries(values).filter(([key]) => key.includes(':most_viewed_brand_') || key.endsWith('view_total_5m')),
  );
}

const browser = (atMs: number) => brandsAt((spec) => fromTrackerPayload(trackerPayload(spec)), atMs);
const server = (atMs: number) => brandsAt((spec) => fromEnrichedTsv(enrichedTsv(spec)), atMs);

describe('most_viewed_brand_{window}', () => {
  it('at 10:01 only Stride has been viewed', () => {
    expect(browser(1 * MIN)).toEqual({
      'user:duid-1:product_view_total_5m': '2',
      'user:duid-1:most_viewed_brand_5m': 'Stride',
      'user:duid-1:most_viewed_brand_1h': 'Stride',
      'user:duid-1:most_viewed_brand_24h': 'Stride',
    });
  });

  it('at 10:09 Stride and Northwind tie at 2 views in 1 h and 24 h: the latest view (Northwind) wins; in 5 m only Northwind is left', () => {
    // The 5 m window at 10:09:00 is the tiles 10:04:10..10:09:09: both Stride views have left it.
    expect(browser(9 * MIN)).toEqual({
      'user:duid-1:product_view_total_5m': '2',
      'user:duid-1:most_viewed_brand_5m': 'Northwind',
      'user:duid-1:most_viewed_brand_1h': 'Northwind',
      'user:duid-1:most_viewed_brand_24h': 'Northwind',
    });
  });

  it('a view without a brand counts nowhere: with only it in the window there is no value (key absent)', () => {
    // At 10:14:30 the 5 m window starts at 10:09:40: only the unbranded view (10:14:00) is in it.
    expect(browser(14 * MIN + 30 * S)).toEqual({
      'user:duid-1:product_view_total_5m': '1',
      'user:duid-1:most_viewed_brand_1h': 'Northwind',
      'user:duid-1:most_viewed_brand_24h': 'Northwind',
    });
  });

  it('the browser (tracker payload) and the server (enriched TSV) agree at every minute', () => {
    for (let minute = 0; minute <= 70; minute++) expect(browser(minute * MIN)).toEqual(server(minute * MIN));
  });
});
