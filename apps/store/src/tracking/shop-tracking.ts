/**
 * The contract between the shop's pages and the tracking layer: what a page says happened, in shop
 * terms. The tracking layer (Snowplow browser tracker + ecommerce plugin, and the feature worker fed
 * from the same events) implements it; pages never import the tracker themselves.
 *
 * Every call is fire-and-forget and never throws: a tracking failure must not break the shop.
 */
import type { FeatureDigest } from '@tandem/feature-core';

/** A product as the shop shows it. Prices in major units (19.99), as the Snowplow product entity has them. */
export interface ProductRef {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  readonly brand: string;
  readonly price: number;
  readonly currency: string;
  /** Position in a list, 1-based, when shown in one. */
  readonly position?: number;
}

export interface CartLine extends ProductRef {
  readonly quantity: number;
}

/** The cart after the change being tracked. */
export interface CartState {
  readonly cartId: string;
  readonly totalValue: number;
  readonly currency: string;
  readonly lines: readonly CartLine[];
}

export interface Promotion {
  readonly id: string;
  readonly name: string;
  readonly slot?: string;
}

/** An order the server confirmed (its id is the server's order id). */
export interface ConfirmedOrder {
  readonly orderId: string;
  readonly revenue: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly totalQuantity: number;
  readonly lines: readonly CartLine[];
}

export interface ShopTracking {
  /** After each client-side navigation (and the first load). */
  pageView(title?: string): void;
  listView(listName: string, products: readonly ProductRef[]): void;
  listClick(listName: string, product: ProductRef): void;
  promoView(promotion: Promotion): void;
  promoClick(promotion: Promotion): void;
  productView(product: ProductRef): void;
  /** `product` with the quantity added; `cart` after the change. */
  addToCart(product: CartLine, cart: CartState): void;
  removeFromCart(product: CartLine, cart: CartState): void;
  /** Checkout step 1 (address), 2 (delivery), 3 (payment), ... */
  checkoutStep(step: number, cart: CartState, details?: { deliveryMethod?: string; paymentMethod?: string }): void;
  /** Only after the server confirmed the order. */
  transaction(order: ConfirmedOrder): void;
  siteSearch(terms: readonly string[], resultCount: number): void;
  signIn(userId: string): void;
  signOut(): void;
  /**
   * The feature worker's digest of its values, sent as its own self-describing event for the
   * server's reconciliation (not a shop action: the digest scheduler calls it, pages never do).
   */
  featureDigest(digest: FeatureDigest): void;
}

/** What the browser learns at request time from the server-rendered page (never NEXT_PUBLIC_*). */
export interface TrackingConfig {
  /** The first-party collector endpoint under the store's origin, e.g. `https://shop.example/t`. */
  readonly collectorUrl: string;
  readonly appId: string;
  /** The signed-in shopper, when there is one. */
  readonly userId: string | null;
  /** Turn tracking (and in-browser features) off, e.g. in tests of the shop alone. */
  readonly enabled: boolean;
  /** Client digests for reconciliation: on or off, and the quiet period after an event before one is sent. */
  readonly digests: { readonly enabled: boolean; readonly quietMs: number };
  /** How often the feature worker rebases on the server's lanes while a tab is open, ms. */
  readonly rebaseEveryMs: number;
  /**
   * The offers holdout (OFFER_HOLDOUT_SHARE, OFFER_HOLDOUT_SALT): the browser hides offers from
   * control shoppers with feature-core's `holdoutArm`, as the server counts them. Absent: no holdout.
   */
  readonly holdout?: { readonly share: number; readonly salt: string };
}
