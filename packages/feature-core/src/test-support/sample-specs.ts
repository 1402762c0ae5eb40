/**
 * One valid spec of every event kind, shared by the adapter tests so that each adapter is held to
 * the same inputs, and by the cross-adapter parity test.
 */
import { type EventSpec, type EventSpecType, uuid } from './builders.js';

/** 2026-03-02T10:00:00.000Z */
export const SAMPLE_T0 = Date.UTC(2026, 2, 2, 10);

export const SAMPLE_DUID = '6f1c2a4e-3b5d-4c8e-9a7f-1e2d3c4b5a69';
export const SAMPLE_SESSION = '9b2e4f10-7c3a-4d5e-8f60-a1b2c3d4e5f6';
export const SAMPLE_USER_ID = 'customer-20931';

const TRAIL_RUNNER = { id: 'sku-101', name: 'Trail Runner X', category: 'Running Shoes', price: 119.99 } as const;
const SOCK = { id: 'sku-310', name: 'Merino Hiking Sock', category: 'Socks', price: 14.99, quantity: 2 } as const;

/** A valid spec of `type` with the data its kind needs; `overrides` replace fields. */
export function sampleSpec(type: EventSpecType, overrides: Partial<EventSpec> = {}): EventSpec {
  const base: EventSpec = {
    eventId: uuid(1),
    timeMs: SAMPLE_T0,
    domainUserId: SAMPLE_DUID,
    sessionId: SAMPLE_SESSION,
    type,
    pageUrl: 'https://shop.example.com/product/sku-101',
    geo: { country: 'DE', region: 'BE' },
  };
  const data: Partial<Record<EventSpecType, Partial<EventSpec>>> = {
    page_view: {
      pageUrl: 'https://shop.example.com/search?q=shoes&utm_source=newsletter&utm_medium=email&utm_campaign=spring',
    },
    product_view: { products: [TRAIL_RUNNER] },
    list_view: { listName: 'Top this week', products: [TRAIL_RUNNER, SOCK] },
    list_click: { listName: 'Top this week', products: [TRAIL_RUNNER] },
    add_to_cart: { products: [SOCK], cart: { total_value: 29.98, cart_id: 'cart-1' } },
    remove_from_cart: { products: [SOCK], cart: { total_value: 0, cart_id: 'cart-1' } },
    checkout_step: { step: 2 },
    transaction: {
      products: [{ ...TRAIL_RUNNER, quantity: 1 }],
      transaction: { transaction_id: 'T-1001', revenue: 124.98, payment_method: 'card' },
    },
    trns_error: {
      products: [{ ...TRAIL_RUNNER, quantity: 1 }],
      transaction: { transaction_id: 'T-1001', revenue: 124.98 },
    },
    refund: {
      products: [{ ...TRAIL_RUNNER, quantity: 1 }],
      refund: { transaction_id: 'T-1001', refund_amount: 119.99 },
    },
    promo_view: { promotion: { id: 'spring-hero', name: 'Spring sale' } },
    promo_click: { promotion: { id: 'spring-hero', name: 'Spring sale' } },
    site_search: { searchTerms: ['rain', 'jacket'], pageUrl: 'https://shop.example.com/search?q=rain+jacket' },
  };
  return { ...base, ...data[type], ...overrides };
}

/** Every kind the builders make, with the `ShopperEvent.type` each must become. */
export const KINDS: readonly (readonly [EventSpecType, string])[] = [
  ['page_view', 'page_view'],
  ['page_ping', 'page_ping'],
  ['struct', 'other'],
  ['link_click', 'other'],
  ['site_search', 'site_search'],
  ['product_view', 'product_view'],
  ['list_view', 'list_view'],
  ['list_click', 'list_click'],
  ['add_to_cart', 'add_to_cart'],
  ['remove_from_cart', 'remove_from_cart'],
  ['checkout_step', 'checkout_step'],
  ['transaction', 'transaction'],
  ['trns_error', 'trns_error'],
  ['refund', 'refund'],
  ['promo_view', 'promo_view'],
  ['promo_click', 'promo_click'],
];

/**
 * Specs every adapter must reject, with the reason: the same event is refused the same way whatever
 * format carries it. Format-specific failures (field counts, base64, envelopes) live in each
 * adapter's own test.
 */
export const INVALID_SPECS: readonly (readonly [string, EventSpec, string])[] = [
  ['an empty event id', sampleSpec('page_view', { eventId: '' }), 'missing_field'],
  ['an event id that is not a UUID', sampleSpec('page_view', { eventId: 'evt-42' }), 'invalid_field'],
  ['neither user_id nor domain_userid', sampleSpec('page_view', { domainUserId: '' }), 'no_shopper'],
  ['an add_to_cart without a cart', sampleSpec('add_to_cart', { cart: undefined }), 'missing_entity'],
  ['a remove_from_cart without a product', sampleSpec('remove_from_cart', { products: [] }), 'missing_entity'],
  ['a product_view without a product', sampleSpec('product_view', { products: [] }), 'missing_entity'],
  [
    'a transaction without a transaction entity',
    sampleSpec('transaction', { transaction: undefined }),
    'missing_entity',
  ],
  [
    'a checkout_step without a checkout_step entity',
    sampleSpec('checkout_step', { step: undefined }),
    'missing_entity',
  ],
  [
    'a price of 19.999',
    sampleSpec('product_view', { products: [{ id: 'a', category: 'c', price: 19.999 }] }),
    'invalid_field',
  ],
  [
    'a negative price',
    sampleSpec('product_view', { products: [{ id: 'a', category: 'c', price: -5 }] }),
    'invalid_field',
  ],
  [
    'a currency of 2 letters',
    sampleSpec('product_view', { products: [{ id: 'a', category: 'c', price: 5, currency: 'US' }] }),
    'invalid_field',
  ],
  ['a cart total of 19.999', sampleSpec('add_to_cart', { cart: { total_value: 19.999 } }), 'invalid_field'],
  ['checkout step 0', sampleSpec('checkout_step', { step: 0 }), 'invalid_field'],
  ['checkout step 91', sampleSpec('checkout_step', { step: 91 }), 'invalid_field'],
  [
    'total_quantity -1',
    sampleSpec('transaction', { transaction: { transaction_id: 'T-1', revenue: 10, total_quantity: -1 } }),
    'invalid_field',
  ],
  ['a list name of 129 characters', sampleSpec('list_view', { listName: 'x'.repeat(129) }), 'invalid_field'],
];
