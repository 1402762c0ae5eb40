/**
 * ShopperEvent factories and fast-check arbitraries for engine tests (no Snowplow encoding: the
 * adapters have their own tests).
 */
import fc from 'fast-check';
import type { ShopperEvent, ShopperEventType } from '../event.js';

export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

/** A deterministic UUID from a number. */
export function eventUuid(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

export interface EventSpec {
  n: number;
  t: number;
  type: ShopperEventType;
  user?: string;
  session?: string | null;
  product?: { id: string; category: string; price: number; currency?: string; brand?: string | null };
  cartValue?: number;
  listName?: string | null;
  transaction?: { id: string; revenue: number; currency?: string };
  pageUrl?: string;
  campaign?: string;
  platform?: string;
  device?: 'Desktop' | 'Phone' | 'Tablet' | 'Other';
  geo?: { country: string; region: string };
}

/** Builds a checked-looking ShopperEvent directly (prices given as minor units). */
export function shopperEvent(spec: EventSpec): ShopperEvent {
  const product = spec.product;
  return {
    eventId: eventUuid(spec.n),
    eventTimeMs: spec.t,
    collectorTimeMs: null,
    clockSkewCorrected: false,
    userKey: spec.user ?? 'u1',
    userId: null,
    domainUserId: spec.user ?? 'u1',
    sessionKey: spec.session === undefined ? 's1' : spec.session,
    type: spec.type,
    schema: null,
    products: product
      ? [
          {
            id: product.id,
            category: product.category,
            priceMinor: product.price,
            currency: product.currency ?? 'USD',
            name: null,
            brand: product.brand ?? null,
            quantity: 1,
          },
        ]
      : [],
    cart: spec.cartValue === undefined ? null : { totalValueMinor: spec.cartValue, currency: 'USD', cartId: null },
    listName: spec.listName ?? null,
    checkoutStep: null,
    transaction: spec.transaction
      ? {
          transactionId: spec.transaction.id,
          revenueMinor: spec.transaction.revenue,
          currency: spec.transaction.currency ?? 'USD',
          paymentMethod: 'card',
          totalQuantity: 1,
        }
      : null,
    promotion: null,
    searchTerms: null,
    pageUrl: spec.pageUrl ?? null,
    marketing: spec.campaign
      ? { campaign: spec.campaign, source: null, medium: null, term: null, content: null }
      : null,
    platform: spec.platform ?? 'web',
    userAgent: null,
    deviceClass: spec.device ?? null,
    geo: spec.geo ? { country: spec.geo.country, region: spec.geo.region } : null,
  };
}

// Brands cut across categories (a tally is not a category in disguise); p4 has none and p5 an empty
// one, which must count nowhere.
const PRODUCTS = [
  { id: 'p1', category: 'Shoes', price: 4299, brand: 'Acme' },
  { id: 'p2', category: 'Shoes', price: 18999, brand: 'Borealis' },
  { id: 'p3', category: 'Bags', price: 2500, brand: 'Acme' },
  { id: 'p4', category: 'Hats', price: 1999, brand: null },
  { id: 'p5', category: 'Bags', price: 9999, brand: '' },
  { id: 'p6', category: 'Hats', price: 3500, brand: 'Borealis' },
];

/**
 * Random events of a few shoppers over `spanMs` from T0: every lane, ties in time, repeated
 * product ids and transaction ids. Event numbers are unique, so event ids are.
 */
export function arbitraryEvents(options: { minEvents?: number; maxEvents?: number; spanMs?: number } = {}) {
  const spanMs = options.spanMs ?? 3 * 60 * 60_000;
  const one = fc.record({
    // Coarse times make equal timestamps (ties) common.
    t: fc.integer({ min: 0, max: spanMs / 1000 }).map((s) => T0 + s * 1000),
    kind: fc.constantFrom(
      'product_view',
      'product_view',
      'list_view',
      'add_to_cart',
      'remove_from_cart',
      'transaction',
      'page_view',
      'page_ping',
    ),
    user: fc.constantFrom('u1', 'u2'),
    session: fc.constantFrom('s1', 's2', 's3', null),
    product: fc.constantFrom(...PRODUCTS),
    priceJitter: fc.constantFrom(0, 0, 100, -100),
    cartValue: fc.integer({ min: 0, max: 50_000 }),
    list: fc.constantFrom('Top this week', 'New series', 'Shoes', null),
    txn: fc.constantFrom('o1', 'o2', 'o3'),
    revenue: fc.integer({ min: 100, max: 90_000 }),
    page: fc.constantFrom('https://shop.test/', 'https://shop.test/search?q=shoes', 'https://shop.test/p/1'),
    campaign: fc.constantFrom(undefined, 'spring', 'summer'),
    platform: fc.constantFrom('web', 'mob'),
    device: fc.constantFrom(undefined, 'Desktop', 'Phone'),
    geo: fc.constantFrom(undefined, { country: 'NL', region: 'NH' }, { country: 'NL', region: 'ZH' }),
  });
  return fc.array(one, { minLength: options.minEvents ?? 1, maxLength: options.maxEvents ?? 60 }).map((items) =>
    items.map((x, n) =>
      shopperEvent({
        n: n + 1,
        t: x.t,
        type: x.kind as ShopperEventType,
        user: x.user,
        session: x.session,
        product:
          x.kind === 'product_view' || x.kind === 'add_to_cart' || x.kind === 'remove_from_cart'
            ? { ...x.product, price: x.product.price + x.priceJitter }
            : undefined,
        cartValue: x.kind === 'add_to_cart' || x.kind === 'remove_from_cart' ? x.cartValue : undefined,
        listName: x.kind === 'list_view' ? x.list : null,
        transaction: x.kind === 'transaction' ? { id: x.txn, revenue: x.revenue } : undefined,
        pageUrl: x.page,
        campaign: x.campaign,
        platform: x.platform,
        device: x.device as EventSpec['device'],
        geo: x.geo,
      }),
    ),
  );
}
