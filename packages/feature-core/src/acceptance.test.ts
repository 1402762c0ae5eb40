import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptCart,
  acceptCheckoutStep,
  acceptClientSession,
  acceptEcommerceAction,
  acceptProduct,
  acceptPromotion,
  acceptSiteSearch,
  acceptTransaction,
  boundEventTime,
  isPlausibleEpochMs,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_LEAD_MS,
  toMinorUnits,
} from './acceptance.js';
import { ECOMMERCE_ACTION_TYPES } from './event.js';
import { reasonOf } from './test-support/results.js';

const PRODUCT = { id: 'sku-101', category: 'Running Shoes', price: 119.99, currency: 'USD' };
const TRANSACTION = {
  transaction_id: 'T-1',
  revenue: 104.98,
  currency: 'USD',
  payment_method: 'card',
  total_quantity: 1,
};

describe('toMinorUnits', () => {
  it('converts schema decimals to integer cents despite binary floating point', () => {
    // 19.99 * 100 is 1998.9999999999998 and 0.07 * 100 is 7.000000000000001 in binary floating point.
    expect(toMinorUnits(19.99)).toBe(1999);
    expect(toMinorUnits(0.07)).toBe(7);
    expect(toMinorUnits(0)).toBe(0);
    expect(toMinorUnits(189.97)).toBe(18997);
    expect(toMinorUnits(9_999_999)).toBe(999_999_900);
  });

  it('rejects more than 2 decimals, negatives, values above the schema maximum and non-numbers', () => {
    expect(toMinorUnits(19.999)).toBeNull();
    expect(toMinorUnits(0.005)).toBeNull();
    expect(toMinorUnits(-1)).toBeNull();
    expect(toMinorUnits(-0.01)).toBeNull();
    expect(toMinorUnits(9_999_999.01)).toBeNull();
    expect(toMinorUnits(Number.NaN)).toBeNull();
    expect(toMinorUnits(Number.POSITIVE_INFINITY)).toBeNull();
    expect(toMinorUnits('19.99')).toBeNull();
    expect(toMinorUnits(null)).toBeNull();
  });

  it('gives back every cent amount in the schema range exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_900 }), (cents) => {
        expect(toMinorUnits(cents / 100)).toBe(cents);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every amount with a third decimal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_998 }), fc.integer({ min: 1, max: 9 }), (cents, mills) => {
        expect(toMinorUnits((cents * 10 + mills) / 1000)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('acceptEcommerceAction', () => {
  it.each(ECOMMERCE_ACTION_TYPES)('accepts the action type %s', (type) => {
    expect(acceptEcommerceAction({ type })).toEqual({ ok: true, value: { type, name: null } });
  });

  it('carries the list name, null included', () => {
    expect(acceptEcommerceAction({ type: 'list_view', name: 'Top this week' })).toEqual({
      ok: true,
      value: { type: 'list_view', name: 'Top this week' },
    });
    expect(acceptEcommerceAction({ type: 'list_view', name: null })).toEqual({
      ok: true,
      value: { type: 'list_view', name: null },
    });
  });

  it('rejects an action type outside the schema enum', () => {
    const result = acceptEcommerceAction({ type: 'buy' });
    expect(reasonOf(result)).toBe('invalid_field');
    expect(reasonOf(acceptEcommerceAction({}))).toBe('invalid_field');
    expect(reasonOf(acceptEcommerceAction({ type: 'ADD_TO_CART' }))).toBe('invalid_field');
  });

  it('accepts a name of 128 characters and rejects 129', () => {
    expect(reasonOf(acceptEcommerceAction({ type: 'list_view', name: 'x'.repeat(128) }))).toBe('ok');
    expect(reasonOf(acceptEcommerceAction({ type: 'list_view', name: 'x'.repeat(129) }))).toBe('invalid_field');
    expect(reasonOf(acceptEcommerceAction({ type: 'list_view', name: 7 }))).toBe('invalid_field');
  });

  it('rejects data that is not an object', () => {
    for (const data of [null, 'list_view', [{ type: 'list_view' }], 3]) {
      expect(reasonOf(acceptEcommerceAction(data))).toBe('invalid_field');
    }
  });
});

describe('acceptProduct', () => {
  it('maps a product to minor units and keeps the optional fields', () => {
    const result = acceptProduct({ ...PRODUCT, price: 19.99, name: 'Trail Runner', brand: 'Acme', quantity: 2 });
    expect(result).toEqual({
      ok: true,
      value: {
        id: 'sku-101',
        category: 'Running Shoes',
        priceMinor: 1999,
        currency: 'USD',
        name: 'Trail Runner',
        brand: 'Acme',
        quantity: 2,
      },
    });
  });

  it('gives null for optional fields that are absent or null', () => {
    const result = acceptProduct({ ...PRODUCT, name: null });
    expect(result.ok && result.value).toMatchObject({ name: null, brand: null, quantity: null });
  });

  it('requires category, which the schema requires though the tracker types mark it optional', () => {
    const { category: _omitted, ...withoutCategory } = PRODUCT;
    expect(reasonOf(acceptProduct(withoutCategory))).toBe('invalid_field');
  });

  it.each([
    ['no id', { ...PRODUCT, id: undefined }],
    ['a numeric id', { ...PRODUCT, id: 101 }],
    ['an id over 4096 characters', { ...PRODUCT, id: 'x'.repeat(4097) }],
    ['no price', { ...PRODUCT, price: undefined }],
    ['a price with 3 decimals', { ...PRODUCT, price: 19.999 }],
    ['a negative price', { ...PRODUCT, price: -5 }],
    ['a price above 9999999', { ...PRODUCT, price: 10_000_000 }],
    ['a price as a string', { ...PRODUCT, price: '19.99' }],
    ['a 2-letter currency', { ...PRODUCT, currency: 'US' }],
    ['a 4-letter currency', { ...PRODUCT, currency: 'USDT' }],
    ['no currency', { ...PRODUCT, currency: undefined }],
    ['a fractional quantity', { ...PRODUCT, quantity: 1.5 }],
    ['a negative quantity', { ...PRODUCT, quantity: -1 }],
    ['a fractional position', { ...PRODUCT, position: 0.5 }],
    ['a numeric name', { ...PRODUCT, name: 5 }],
  ])('rejects a product with %s', (_label, data) => {
    expect(reasonOf(acceptProduct(data))).toBe('invalid_field');
  });
});

describe('acceptCart', () => {
  it('maps total value and currency', () => {
    expect(acceptCart({ total_value: 0.07, currency: 'EUR', cart_id: 'c-1' })).toEqual({
      ok: true,
      value: { totalValueMinor: 7, currency: 'EUR', cartId: 'c-1' },
    });
  });

  it('rejects a cart without total, with 3 decimals, or with a bad currency', () => {
    expect(reasonOf(acceptCart({ currency: 'USD' }))).toBe('invalid_field');
    expect(reasonOf(acceptCart({ total_value: 19.999, currency: 'USD' }))).toBe('invalid_field');
    expect(reasonOf(acceptCart({ total_value: 10, currency: 'US' }))).toBe('invalid_field');
    expect(reasonOf(acceptCart({ total_value: 10 }))).toBe('invalid_field');
  });
});

describe('acceptCheckoutStep', () => {
  it('accepts steps 1 through 90', () => {
    expect(acceptCheckoutStep({ step: 1 })).toEqual({
      ok: true,
      value: { step: 1, paymentMethod: null, deliveryMethod: null },
    });
    expect(reasonOf(acceptCheckoutStep({ step: 90, payment_method: 'card', delivery_method: 'dhl' }))).toBe('ok');
  });

  it.each([0, 91, 2.5, -1, '2', null])('rejects step %s', (step) => {
    expect(reasonOf(acceptCheckoutStep({ step }))).toBe('invalid_field');
  });

  it('rejects a payment method over 128 characters', () => {
    expect(reasonOf(acceptCheckoutStep({ step: 2, payment_method: 'x'.repeat(129) }))).toBe('invalid_field');
  });
});

describe('acceptTransaction', () => {
  it('maps revenue to minor units', () => {
    expect(acceptTransaction(TRANSACTION)).toEqual({
      ok: true,
      value: { transactionId: 'T-1', revenueMinor: 10498, currency: 'USD', paymentMethod: 'card', totalQuantity: 1 },
    });
  });

  it('accepts a total quantity of 0', () => {
    expect(reasonOf(acceptTransaction({ ...TRANSACTION, total_quantity: 0 }))).toBe('ok');
  });

  it.each([
    ['total_quantity -1', { ...TRANSACTION, total_quantity: -1 }],
    ['no total_quantity (products without quantity)', { ...TRANSACTION, total_quantity: undefined }],
    ['a fractional total_quantity', { ...TRANSACTION, total_quantity: 1.5 }],
    ['an empty transaction_id', { ...TRANSACTION, transaction_id: '' }],
    ['no transaction_id', { ...TRANSACTION, transaction_id: undefined }],
    ['revenue with 3 decimals', { ...TRANSACTION, revenue: 104.985 }],
    ['negative revenue', { ...TRANSACTION, revenue: -1 }],
    ['a 2-letter currency', { ...TRANSACTION, currency: 'US' }],
    ['no payment_method', { ...TRANSACTION, payment_method: undefined }],
    ['a payment_method over 128 characters', { ...TRANSACTION, payment_method: 'x'.repeat(129) }],
    ['a discount_code over 99 characters', { ...TRANSACTION, discount_code: 'x'.repeat(100) }],
  ])('rejects a transaction with %s', (_label, data) => {
    expect(reasonOf(acceptTransaction(data))).toBe('invalid_field');
  });
});

describe('acceptPromotion, acceptSiteSearch, acceptClientSession', () => {
  it('accepts a promotion with an id and rejects one without', () => {
    expect(acceptPromotion({ id: 'spring-banner', name: 'Spring' })).toEqual({
      ok: true,
      value: { id: 'spring-banner', name: 'Spring' },
    });
    expect(reasonOf(acceptPromotion({ name: 'Spring' }))).toBe('invalid_field');
  });

  it('accepts search terms as an array of strings only', () => {
    expect(acceptSiteSearch({ terms: ['rain', 'jacket'] })).toEqual({ ok: true, value: ['rain', 'jacket'] });
    expect(reasonOf(acceptSiteSearch({ terms: 'rain jacket' }))).toBe('invalid_field');
    expect(reasonOf(acceptSiteSearch({ terms: ['rain', 3] }))).toBe('invalid_field');
    expect(reasonOf(acceptSiteSearch({}))).toBe('invalid_field');
  });

  it('requires a non-empty sessionId in client_session', () => {
    expect(acceptClientSession({ sessionId: 's-1', userId: 'd-1' })).toEqual({ ok: true, value: { sessionId: 's-1' } });
    expect(reasonOf(acceptClientSession({ sessionId: '' }))).toBe('invalid_field');
    expect(reasonOf(acceptClientSession({ sessionId: 42 }))).toBe('invalid_field');
    expect(reasonOf(acceptClientSession(null))).toBe('invalid_field');
  });
});

describe('boundEventTime', () => {
  const collector = Date.UTC(2026, 2, 2, 10);

  it('keeps an event time exactly 24 h before the collector time', () => {
    expect(boundEventTime(collector - MAX_EVENT_AGE_MS, collector)).toEqual({
      eventTimeMs: collector - MAX_EVENT_AGE_MS,
      clockSkewCorrected: false,
    });
  });

  it('replaces an event time 24 h + 1 ms before the collector time, and flags it', () => {
    expect(boundEventTime(collector - MAX_EVENT_AGE_MS - 1, collector)).toEqual({
      eventTimeMs: collector,
      clockSkewCorrected: true,
    });
  });

  it('keeps an event time exactly 5 min after the collector time and replaces 5 min + 1 ms', () => {
    expect(boundEventTime(collector + MAX_EVENT_LEAD_MS, collector).clockSkewCorrected).toBe(false);
    expect(boundEventTime(collector + MAX_EVENT_LEAD_MS + 1, collector)).toEqual({
      eventTimeMs: collector,
      clockSkewCorrected: true,
    });
  });

  it('leaves the time alone without a collector time (the browser)', () => {
    expect(boundEventTime(collector - 7 * MAX_EVENT_AGE_MS, null)).toEqual({
      eventTimeMs: collector - 7 * MAX_EVENT_AGE_MS,
      clockSkewCorrected: false,
    });
  });

  it('always gives a time inside the bounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3 * MAX_EVENT_AGE_MS, max: 3 * MAX_EVENT_AGE_MS }), (offset) => {
        const { eventTimeMs } = boundEventTime(collector + offset, collector);
        expect(eventTimeMs).toBeGreaterThanOrEqual(collector - MAX_EVENT_AGE_MS);
        expect(eventTimeMs).toBeLessThanOrEqual(collector + MAX_EVENT_LEAD_MS);
      }),
    );
  });
});

describe('isPlausibleEpochMs', () => {
  it('accepts integer ms in 2000..2099 and nothing else', () => {
    expect(isPlausibleEpochMs(Date.UTC(2026, 2, 2))).toBe(true);
    expect(isPlausibleEpochMs(Date.UTC(2000, 0, 1))).toBe(true);
    expect(isPlausibleEpochMs(Date.UTC(1999, 11, 31, 23, 59, 59, 999))).toBe(false);
    expect(isPlausibleEpochMs(Date.UTC(2100, 0, 1))).toBe(false);
    // Seconds instead of milliseconds is a common tracker bug: reject it.
    expect(isPlausibleEpochMs(Math.floor(Date.UTC(2026, 2, 2) / 1000))).toBe(false);
    expect(isPlausibleEpochMs(Date.UTC(2026, 2, 2) + 0.5)).toBe(false);
    expect(isPlausibleEpochMs(Number.NaN)).toBe(false);
  });
});
