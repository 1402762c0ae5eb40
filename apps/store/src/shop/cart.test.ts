import { describe, expect, it } from 'vitest';
import { getProduct } from '../catalog/products';
import { applyCartChange, type Cart, cartView, emptyCart, MAX_QUANTITY, parseCartChange, toCartState } from './cart';

function apply(cart: Cart, ...changes: Parameters<typeof applyCartChange>[1][]): Cart {
  let current = cart;
  for (const change of changes) {
    const result = applyCartChange(current, change, getProduct);
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
    current = result.cart;
  }
  return current;
}

describe('cart', () => {
  it('adds products, merging repeated adds into one line', () => {
    const cart = apply(
      emptyCart('c1'),
      { type: 'add', productId: 'lantern', quantity: 1 },
      { type: 'add', productId: 'enamel-mug', quantity: 2 },
      { type: 'add', productId: 'lantern', quantity: 2 },
    );
    expect(cart.items).toEqual([
      { productId: 'lantern', quantity: 3 },
      { productId: 'enamel-mug', quantity: 2 },
    ]);
  });

  it('caps a line at MAX_QUANTITY', () => {
    const cart = apply(
      emptyCart('c1'),
      { type: 'add', productId: 'lantern', quantity: 8 },
      { type: 'add', productId: 'lantern', quantity: 8 },
    );
    expect(cart.items[0]?.quantity).toBe(MAX_QUANTITY);
  });

  it('sets a quantity, and removes the line when set to 0 or removed', () => {
    const start = apply(
      emptyCart('c1'),
      { type: 'add', productId: 'lantern', quantity: 1 },
      { type: 'add', productId: 'enamel-mug', quantity: 1 },
    );
    expect(apply(start, { type: 'set', productId: 'lantern', quantity: 4 }).items[0]).toEqual({
      productId: 'lantern',
      quantity: 4,
    });
    expect(apply(start, { type: 'set', productId: 'lantern', quantity: 0 }).items).toEqual([
      { productId: 'enamel-mug', quantity: 1 },
    ]);
    expect(apply(start, { type: 'remove', productId: 'enamel-mug' }).items).toEqual([
      { productId: 'lantern', quantity: 1 },
    ]);
  });

  it('answers bad changes with a code instead of throwing, leaving the cart alone', () => {
    const cart = apply(emptyCart('c1'), { type: 'add', productId: 'lantern', quantity: 1 });
    const cases = [
      [{ type: 'add', productId: 'nope', quantity: 1 }, 'unknown_product'],
      [{ type: 'add', productId: 'lantern', quantity: 0 }, 'bad_quantity'],
      [{ type: 'add', productId: 'lantern', quantity: 1.5 }, 'bad_quantity'],
      [{ type: 'add', productId: 'lantern', quantity: MAX_QUANTITY + 1 }, 'bad_quantity'],
      [{ type: 'set', productId: 'lantern', quantity: -1 }, 'bad_quantity'],
      [{ type: 'set', productId: 'enamel-mug', quantity: 2 }, 'not_in_cart'],
      [{ type: 'remove', productId: 'enamel-mug' }, 'not_in_cart'],
    ] as const;
    for (const [change, code] of cases) {
      const result = applyCartChange(cart, change, getProduct);
      expect(result).toMatchObject({ ok: false, code });
    }
    expect(cart.items).toEqual([{ productId: 'lantern', quantity: 1 }]);
  });

  it('parses only well-formed change requests', () => {
    expect(parseCartChange({ type: 'add', productId: 'lantern', quantity: 2 })).toEqual({
      type: 'add',
      productId: 'lantern',
      quantity: 2,
    });
    expect(parseCartChange({ type: 'remove', productId: 'lantern', quantity: 'x' })).toEqual({
      type: 'remove',
      productId: 'lantern',
    });
    for (const bad of [
      null,
      'add',
      {},
      { type: 'add', productId: 'lantern' },
      { type: 'drop', productId: 'x', quantity: 1 },
      { type: 'add', productId: '', quantity: 1 },
    ]) {
      expect(parseCartChange(bad)).toBeNull();
    }
  });

  it('renders totals in cents and reports the tracking cart state in major units', () => {
    const cart = apply(
      emptyCart('c1'),
      { type: 'add', productId: 'lantern', quantity: 3 },
      { type: 'add', productId: 'nato-strap', quantity: 1 },
    );
    const view = cartView(cart, getProduct);
    expect(view.totalMinor).toBe(3 * 4_900 + 1_950);
    expect(view.itemCount).toBe(4);
    const state = toCartState(view);
    expect(state).toMatchObject({ cartId: 'c1', totalValue: 166.5, currency: 'EUR' });
    expect(state.lines).toEqual([
      {
        id: 'lantern',
        name: 'Rechargeable Lantern',
        category: 'home',
        brand: 'Cragline',
        price: 49,
        currency: 'EUR',
        quantity: 3,
      },
      {
        id: 'nato-strap',
        name: 'NATO Strap',
        category: 'watches',
        brand: 'Tempora',
        price: 19.5,
        currency: 'EUR',
        quantity: 1,
      },
    ]);
  });

  it('leaves out lines whose product no longer exists', () => {
    const view = cartView({ id: 'c1', items: [{ productId: 'gone', quantity: 1 }] }, getProduct);
    expect(view).toEqual({ id: 'c1', lines: [], totalMinor: 0, itemCount: 0 });
  });
});
