import { describe, expect, it } from 'vitest';
import { DELIVERY_METHODS, deliveryCostMinor, FREE_DELIVERY_FROM_MINOR, validateCheckout } from './checkout';

const address = {
  name: 'Ada Lovelace',
  street: '1 Main St',
  postcode: 'D01',
  city: 'Dublin',
  country: 'Ireland',
  email: 'ada@example.com',
};

describe('checkout', () => {
  it('accepts a complete card checkout and keeps only the last four digits', () => {
    const result = validateCheckout({
      address,
      delivery: 'express',
      payment: { method: 'card', cardNumber: '4242 4242 4242 4242', expiry: '12/29', cvc: '123' },
    });
    expect(result).toMatchObject({
      ok: true,
      value: { paymentMethod: 'card', cardLast4: '4242', delivery: { id: 'express' } },
    });
    expect(JSON.stringify(result)).not.toContain('4242 4242');
  });

  it('accepts invoice payment with no card', () => {
    expect(validateCheckout({ address, delivery: 'pickup', payment: { method: 'invoice' } })).toMatchObject({
      ok: true,
      value: { cardLast4: null },
    });
  });

  it('names every invalid field', () => {
    const result = validateCheckout({
      address: { ...address, city: ' ', email: 'nope' },
      delivery: 'drone',
      payment: { method: 'card', cardNumber: '12', expiry: '13/29', cvc: 'x' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual([
      'address.city',
      'address.email',
      'delivery',
      'payment.cardNumber',
      'payment.cvc',
      'payment.expiry',
    ]);
    expect(validateCheckout(null)).toMatchObject({ ok: false });
  });

  it('makes standard delivery free from the threshold', () => {
    const standard = DELIVERY_METHODS.find((method) => method.id === 'standard');
    if (standard === undefined) throw new Error('missing standard delivery');
    expect(deliveryCostMinor(standard, FREE_DELIVERY_FROM_MINOR - 1)).toBe(standard.costMinor);
    expect(deliveryCostMinor(standard, FREE_DELIVERY_FROM_MINOR)).toBe(0);
  });
});
