/**
 * The shop's server-side state: carts, orders and sessions, in this process's memory. Enough for a
 * single `next start` (the demo and the end-to-end tests); a restart empties carts and signs everyone
 * out. Kept on `globalThis` so development reloads of this module keep it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Cart, CartViewLine } from '../shop/cart';
import type { CheckedOutDetails } from '../shop/checkout';

export interface Order {
  /** Server-issued, e.g. `TS-20261128-3F9A1C2B`. */
  readonly id: string;
  /** The cart cookie that placed it: only that browser (or the same signed-in user) may view it. */
  readonly cartId: string;
  readonly userId: string | null;
  readonly createdAtMs: number;
  readonly lines: readonly CartViewLine[];
  readonly subtotalMinor: number;
  readonly deliveryMinor: number;
  /** Taken off by a redeemed offer code (10% of the subtotal for a discount); 0 without one. */
  readonly discountMinor: number;
  /** The redeemed offer code and what it gave, when one was used. */
  readonly offer?: { readonly code: string; readonly kind: 'discount' | 'free_shipping'; readonly label: string };
  readonly totalMinor: number;
  readonly details: CheckedOutDetails;
}

interface ShopState {
  readonly carts: Map<string, Cart>;
  readonly orders: Map<string, Order>;
  /** Session id (the cookie value) → demo user id. */
  readonly sessions: Map<string, string>;
}

const KEY = Symbol.for('tandem.store.state');

export function shopState(): ShopState {
  const holder = globalThis as { [KEY]?: ShopState };
  holder[KEY] ??= { carts: new Map(), orders: new Map(), sessions: new Map() };
  return holder[KEY];
}

/** A new unguessable id for a cookie (cart or session). */
export function newSecretId(): string {
  return randomUUID();
}

/** A new order id: date and 8 random hex digits. */
export function newOrderId(nowMs: number): string {
  const day = new Date(nowMs).toISOString().slice(0, 10).replaceAll('-', '');
  return `TS-${day}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

/**
 * The cart id pages and tracking see: a one-way digest of the cart cookie's secret value, so the
 * httpOnly cookie's value never reaches page scripts or the event stream.
 */
export function publicCartId(secretCartId: string): string {
  return secretCartId === '' ? '' : `cart-${createHash('sha256').update(secretCartId).digest('hex').slice(0, 20)}`;
}
