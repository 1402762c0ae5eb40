/**
 * One test per feature definition (FEATURES.md "Per feature"), through the engine, with values
 * checked by hand. Times are offsets from T0, a boundary of every tile.
 */
import { describe, expect, it } from 'vitest';
import { FEATURE_DEFINITIONS, ROLLING_FEATURES, SESSION_FEATURES } from './definitions.js';
import { createFeatureEngine } from './engine/feature-engine.js';
import type { ShopperEvent } from './event.js';
import { type EventSpec, shopperEvent, T0 } from './test-support/shopper-events.js';

const S = 1000;
const MIN = 60 * S;

let n = 0;
function ev(spec: Omit<EventSpec, 'n'>): ShopperEvent {
  n += 1;
  return shopperEvent({ n, ...spec });
}
const view = (t: number, id: string, category: string, price: number) =>
  ev({ t: T0 + t, type: 'product_view', product: { id, category, price } });
const add = (t: number, cartValue: number) =>
  ev({ t: T0 + t, type: 'add_to_cart', product: { id: 'p1', category: 'Shoes', price: 100 }, cartValue });
const remove = (t: number, cartValue: number) =>
  ev({ t: T0 + t, type: 'remove_from_cart', product: { id: 'p1', category: 'Shoes', price: 100 }, cartValue });
const order = (t: number, id: string, revenue: number) =>
  ev({ t: T0 + t, type: 'transaction', transaction: { id, revenue } });
const page = (t: number, url = 'https://shop.test/', extra: Partial<EventSpec> = {}) =>
  ev({ t: T0 + t, type: 'page_view', pageUrl: url, ...extra });

function valuesAt(events: readonly ShopperEvent[], at: number): Record<string, string> {
  const engine = createFeatureEngine();
  for (const e of events) engine.apply(e);
  return engine.keyValuesAt(T0 + at);
}

describe('definitions', () => {
  it('every definition has a unique field name and a stated meaning', () => {
    const names = FEATURE_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const def of FEATURE_DEFINITIONS) expect(def.meaning.length).toBeGreaterThan(10);
    expect(ROLLING_FEATURES.every((d) => d.windows.join() === '5m,1h,24h')).toBe(true);
  });

  it('covers every accelerator key and every documented-but-never-built key of FEATURES.md', () => {
    const names = new Set(FEATURE_DEFINITIONS.map((d) => d.name));
    for (const name of [
      'product_view_count',
      'avg_viewed_price',
      'return_view_count',
      'price_range_viewed',
      'top_category',
      'unique_categories',
      'cart_add_count',
      'cart_remove_count',
      'cart_update_frequency',
      'orders_count',
      'order_value',
      'avg_order_value',
      'session_duration',
      'session_page_count',
      'session_bounce',
      'session_marketing_campaign',
      'session_cart_ratio',
      'session_search_count',
      'shopper_device_types',
      'shopper_latest_platform',
      'cart_value',
      'category_view_count',
      'product_view_total',
      'shopper_locations',
      'shopper_region_changes',
      'last_cart_activity_at',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(SESSION_FEATURES.filter((d) => !d.compared).map((d) => d.name)).toEqual([
      'shopper_device_types',
      'shopper_locations',
      'shopper_region_changes',
    ]);
  });
});

describe('product lane', () => {
  const events = [
    view(0, 'p1', 'Shoes', 4299),
    view(5 * S, 'p1', 'Shoes', 4499), // a later price of p1: the first view's price counts for the mean
    view(20 * S, 'p2', 'Shoes', 18999),
    view(30 * S, 'p3', 'Bags', 2500),
  ];

  it('counts distinct products, views per id and all views', () => {
    const v = valuesAt(events, 40 * S);
    expect(v['user:u1:product_view_count_5m']).toBe('3');
    expect(v['user:u1:product_view_total_5m']).toBe('4');
    expect(v['user:u1:return_view_count_5m']).toBe('{"p1":2,"p2":1,"p3":1}');
  });

  it('averages the first view price of each product, half-even, and spans all views for the range', () => {
    const v = valuesAt(events, 40 * S);
    // (42.99 + 189.99 + 25.00) / 3 = 85.9933… → 85.99
    expect(v['user:u1:avg_viewed_price_5m']).toBe('85.99');
    expect(v['user:u1:price_range_viewed_5m']).toBe('25.00-189.99');
  });

  it('when the first view ages out, the next view price counts', () => {
    // At 5 min + 1 ms, tile 0 (first p1 view) has left the 5m window; the 5 s view is in tile 0 too.
    const later = [view(0, 'p9', 'Hats', 1000), view(15 * S, 'p9', 'Hats', 3000)];
    const v = valuesAt(later, 5 * MIN + 1);
    expect(v['user:u1:avg_viewed_price_5m']).toBe('30.00');
    expect(v['user:u1:return_view_count_5m']).toBe('{"p9":1}');
    expect(v['user:u1:avg_viewed_price_1h']).toBe('10.00');
  });

  it('list views and clicks are not product views', () => {
    const v = valuesAt(
      [
        ev({ t: T0, type: 'list_view', listName: 'Top this week' }),
        ev({ t: T0, type: 'list_click', listName: 'Top this week' }),
      ],
      S,
    );
    expect(v['user:u1:product_view_count_5m']).toBeUndefined();
    expect(v['user:u1:product_view_total_5m']).toBeUndefined();
  });
});

describe('category lane', () => {
  it('counts list views under their name and product views under their category, ties to the latest', () => {
    const events = [
      ev({ t: T0, type: 'list_view', listName: 'Top this week' }),
      view(S, 'p1', 'Shoes', 4299),
      ev({ t: T0 + 2 * S, type: 'list_view', listName: null }), // ignored: no name
      ev({ t: T0 + 3 * S, type: 'list_click', listName: 'Shoes' }), // list clicks do not count
    ];
    const v = valuesAt(events, 10 * S);
    expect(v['user:u1:unique_categories_5m']).toBe('2');
    expect(v['user:u1:category_view_count_5m']).toBe('{"Shoes":1,"Top this week":1}');
    // 1 view each: the tie goes to the category of the latest event (the product view at 1 s).
    expect(v['user:u1:top_category_5m']).toBe('Shoes');
  });

  it('uses values as given, without case folding', () => {
    const v = valuesAt([view(0, 'p1', 'shoes', 100), view(S, 'p2', 'Shoes', 100)], 2 * S);
    expect(v['user:u1:unique_categories_5m']).toBe('2');
  });
});

describe('cart lane', () => {
  it('counts events, not quantities, and keeps the latest cart value', () => {
    const v = valuesAt([add(0, 5000), add(S, 15000), remove(2 * S, 10000)], 3 * S);
    expect(v['user:u1:cart_add_count_5m']).toBe('2');
    expect(v['user:u1:cart_remove_count_5m']).toBe('1');
    expect(v['user:u1:cart_update_frequency_5m']).toBe('3');
    expect(v['user:u1:cart_value_5m']).toBe('100.00');
    expect(v['user:u1:last_cart_activity_at']).toBe(String(T0 + 2 * S));
  });

  it('a later transaction empties the cart value; a cart event after it sets it again', () => {
    expect(valuesAt([add(0, 5000), order(S, 'o1', 5000)], 2 * S)['user:u1:cart_value_5m']).toBeUndefined();
    expect(valuesAt([add(0, 5000), order(S, 'o1', 5000), add(2 * S, 700)], 3 * S)['user:u1:cart_value_5m']).toBe(
      '7.00',
    );
  });

  it('last_cart_activity_at lives as long as its event is in the 24 h window', () => {
    const events = [add(0, 5000)];
    expect(valuesAt(events, 24 * 60 * MIN - 1)['user:u1:last_cart_activity_at']).toBe(String(T0));
    expect(valuesAt(events, 24 * 60 * MIN)['user:u1:last_cart_activity_at']).toBeUndefined();
  });
});

describe('purchase lane', () => {
  it('counts transactions once per transaction id and sums revenue', () => {
    const v = valuesAt([order(0, 'o1', 18997), order(S, 'o1', 18997), order(2 * S, 'o2', 5000)], 3 * S);
    expect(v['user:u1:orders_count_24h']).toBe('2');
    expect(v['user:u1:order_value_24h']).toBe('239.97');
    // 23997 / 2 = 11998.5 → half-even 11998
    expect(v['user:u1:avg_order_value_24h']).toBe('119.98');
  });

  it('ignores checkout steps, refunds and transaction errors for orders', () => {
    const v = valuesAt(
      [ev({ t: T0, type: 'checkout_step' }), ev({ t: T0, type: 'refund' }), ev({ t: T0, type: 'trns_error' })],
      S,
    );
    expect(Object.keys(v).filter((k) => k.startsWith('user:'))).toEqual([]);
  });

  it('leaves money in a currency without a rate out of money features, and converts with a rate', () => {
    const eur = ev({ t: T0, type: 'transaction', transaction: { id: 'o9', revenue: 1000, currency: 'EUR' } });
    const plain = createFeatureEngine();
    plain.apply(eur);
    expect(plain.keyValuesAt(T0 + S)['user:u1:orders_count_24h']).toBe('1');
    expect(plain.keyValuesAt(T0 + S)['user:u1:order_value_24h']).toBeUndefined();
    const converting = createFeatureEngine({ baseCurrency: 'USD', fxRates: { EUR: 1.08 } });
    converting.apply(eur);
    expect(converting.keyValuesAt(T0 + S)['user:u1:order_value_24h']).toBe('10.80');
  });
});

describe('session lane', () => {
  it('duration is last − first event time, 0 for one event, and bounce counts page views', () => {
    expect(valuesAt([page(0)], S)['session:s1:session_duration']).toBe('0');
    expect(valuesAt([page(0)], S)['session:s1:session_bounce']).toBe('true');
    const v = valuesAt([page(0), view(40 * S, 'p1', 'Shoes', 100), page(95 * S)], 100 * S);
    expect(v['session:s1:session_duration']).toBe('95000');
    expect(v['session:s1:session_page_count']).toBe('2');
    expect(v['session:s1:session_bounce']).toBe('false');
  });

  it('bounce is "true" with no page views at all', () => {
    const v = valuesAt([view(0, 'p1', 'Shoes', 100)], S);
    expect(v['session:s1:session_bounce']).toBe('true');
    expect(v['session:s1:session_page_count']).toBeUndefined();
  });

  it('cart ratio is adds ÷ product views with 2 decimals, absent without product views', () => {
    expect(valuesAt([add(0, 100)], S)['session:s1:session_cart_ratio']).toBeUndefined();
    const v = valuesAt(
      [view(0, 'p1', 'Shoes', 100), view(S, 'p2', 'Shoes', 100), view(2 * S, 'p3', 'Shoes', 100), add(3 * S, 100)],
      4 * S,
    );
    expect(v['session:s1:session_cart_ratio']).toBe('0.33');
  });

  it('counts search page views only, and takes the first campaign and the latest platform', () => {
    const v = valuesAt(
      [
        page(0, 'https://shop.test/?utm_campaign=x', { campaign: 'spring', platform: 'web' }),
        page(S, 'https://shop.test/search?q=shoes', { platform: 'mob' }),
        ev({ t: T0 + S, type: 'site_search', pageUrl: 'https://shop.test/search?q=shoes' }),
        page(2 * S, 'https://shop.test/', { campaign: 'summer', platform: 'web' }),
      ],
      3 * S,
    );
    expect(v['session:s1:session_search_count']).toBe('1');
    expect(v['session:s1:session_marketing_campaign']).toBe('spring');
    expect(v['session:s1:shopper_latest_platform']).toBe('web');
  });

  it('collects device classes and locations, and counts region changes in time order', () => {
    const nh = { country: 'NL', region: 'NH' };
    const zh = { country: 'NL', region: 'ZH' };
    // Delivered out of order: the change count follows event time, not arrival.
    const v = valuesAt(
      [
        page(2 * S, '/', { geo: nh, device: 'Phone' }),
        page(0, '/', { geo: nh, device: 'Desktop' }),
        page(S, '/', { geo: zh }),
      ],
      3 * S,
    );
    expect(v['session:s1:shopper_device_types']).toBe('["Desktop","Phone"]');
    expect(v['session:s1:shopper_locations']).toBe('["NL/NH","NL/ZH"]');
    expect(v['session:s1:shopper_region_changes']).toBe('2');
  });
});
