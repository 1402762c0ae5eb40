/**
 * The cart as pure data and functions: the server keeps a `Cart` per cart cookie and changes it only
 * through `applyCartChange()`; pages render a `CartView` and report a `CartState` to tracking.
 */
import { CURRENCY, type Product, toMajor } from '../catalog/products';
import type { CartLine, CartState, ProductRef } from '../tracking/shop-tracking';

/** Most of one product a cart holds (a demo shop's sanity limit, also the quantity picker's range). */
export const MAX_QUANTITY = 10;

export interface CartItem {
  readonly productId: string;
  /** Integer, 1..MAX_QUANTITY. */
  readonly quantity: number;
}

export interface Cart {
  readonly id: string;
  readonly items: readonly CartItem[];
}

/** What a shopper can do to a cart. `set` to 0 removes the line. */
export type CartChange =
  | { readonly type: 'add'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'set'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'remove'; readonly productId: string };

export type CartErrorCode = 'unknown_product' | 'bad_quantity' | 'not_in_cart' | 'bad_change';

export type CartChangeResult =
  | { readonly ok: true; readonly cart: Cart }
  | { readonly ok: false; readonly code: CartErrorCode; readonly message: string };

export type ProductLookup = (productId: string) => Product | undefined;

export function emptyCart(id: string): Cart {
  return { id, items: [] };
}

function isQuantity(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_QUANTITY;
}

/**
 * Applies one change. `add` merges into an existing line and caps the total at MAX_QUANTITY; `set`
 * replaces the quantity (0 removes); `remove` drops the line. Never throws: bad input is a result.
 */
export function applyCartChange(cart: Cart, change: CartChange, lookup: ProductLookup): CartChangeResult {
  const existing = cart.items.find((item) => item.productId === change.productId);
  switch (change.type) {
    case 'add': {
      if (lookup(change.productId) === undefined) return unknownProduct(change.productId);
      if (!isQuantity(change.quantity, 1)) return badQuantity();
      if (existing === undefined) {
        return {
          ok: true,
          cart: { ...cart, items: [...cart.items, { productId: change.productId, quantity: change.quantity }] },
        };
      }
      const quantity = Math.min(MAX_QUANTITY, existing.quantity + change.quantity);
      return { ok: true, cart: withQuantity(cart, change.productId, quantity) };
    }
    case 'set': {
      if (!isQuantity(change.quantity, 0)) return badQuantity();
      if (existing === undefined) return notInCart(change.productId);
      if (change.quantity === 0) return { ok: true, cart: without(cart, change.productId) };
      return { ok: true, cart: withQuantity(cart, change.productId, change.quantity) };
    }
    case 'remove':
      if (existing === undefined) return notInCart(change.productId);
      return { ok: true, cart: without(cart, change.productId) };
    default:
      return { ok: false, code: 'bad_change', message: 'unknown cart change' };
  }
}

/** Parses an untrusted request body into a CartChange, or null. */
export function parseCartChange(body: unknown): CartChange | null {
  if (typeof body !== 'object' || body === null) return null;
  const { type, productId, quantity } = body as Record<string, unknown>;
  if (typeof productId !== 'string' || productId === '' || productId.length > 200) return null;
  if (type === 'remove') return { type, productId };
  if ((type === 'add' || type === 'set') && typeof quantity === 'number') return { type, productId, quantity };
  return null;
}

function withQuantity(cart: Cart, productId: string, quantity: number): Cart {
  return { ...cart, items: cart.items.map((item) => (item.productId === productId ? { productId, quantity } : item)) };
}

function without(cart: Cart, productId: string): Cart {
  return { ...cart, items: cart.items.filter((item) => item.productId !== productId) };
}

function unknownProduct(productId: string): CartChangeResult {
  return { ok: false, code: 'unknown_product', message: `no product ${JSON.stringify(productId)}` };
}

function badQuantity(): CartChangeResult {
  return { ok: false, code: 'bad_quantity', message: `quantity must be an integer up to ${MAX_QUANTITY}` };
}

function notInCart(productId: string): CartChangeResult {
  return { ok: false, code: 'not_in_cart', message: `${JSON.stringify(productId)} is not in the cart` };
}

/** One line of a rendered cart. */
export interface CartViewLine {
  readonly product: Product;
  readonly quantity: number;
  /** priceMinor × quantity. */
  readonly lineTotalMinor: number;
}

/** A cart with its products resolved: what pages render and what the cart API answers (plain JSON). */
export interface CartView {
  readonly id: string;
  readonly lines: readonly CartViewLine[];
  /** Sum of the lines, in minor units. */
  readonly totalMinor: number;
  /** Sum of the quantities. */
  readonly itemCount: number;
}

/** Resolves a cart's products; lines whose product no longer exists are left out. */
export function cartView(cart: Cart, lookup: ProductLookup): CartView {
  const lines: CartViewLine[] = [];
  for (const item of cart.items) {
    const product = lookup(item.productId);
    if (product !== undefined)
      lines.push({ product, quantity: item.quantity, lineTotalMinor: product.priceMinor * item.quantity });
  }
  return {
    id: cart.id,
    lines,
    totalMinor: lines.reduce((sum, line) => sum + line.lineTotalMinor, 0),
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
  };
}

/** The tracking contract's product (major units), with its 1-based list position when given. */
export function toProductRef(product: Product, position?: number): ProductRef {
  const ref = {
    id: product.id,
    name: product.name,
    category: product.category,
    brand: product.brand,
    price: toMajor(product.priceMinor),
    currency: CURRENCY,
  };
  return position === undefined ? ref : { ...ref, position };
}

export function toCartLine(product: Product, quantity: number): CartLine {
  return { ...toProductRef(product), quantity };
}

/** The tracking contract's cart state for a rendered cart. */
export function toCartState(view: CartView): CartState {
  return {
    cartId: view.id,
    totalValue: toMajor(view.totalMinor),
    currency: CURRENCY,
    lines: view.lines.map((line) => toCartLine(line.product, line.quantity)),
  };
}
