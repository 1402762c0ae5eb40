/**
 * The normalized event model: what every adapter (tracker payload, enriched TSV, Snowbridge JSON)
 * produces and what the engine consumes. Only fields that features or acceptance read are here.
 */

/** Ecommerce action types of `snowplow_ecommerce_action` 1-0-2. */
export const ECOMMERCE_ACTION_TYPES = [
  'add_to_cart',
  'remove_from_cart',
  'product_view',
  'list_click',
  'list_view',
  'promo_click',
  'promo_view',
  'checkout_step',
  'transaction',
  'refund',
  'trns_error',
] as const;

export type EcommerceActionType = (typeof ECOMMERCE_ACTION_TYPES)[number];

/**
 * What happened. `other` is any valid Snowplow event no feature reads (structured events, legacy
 * transactions, self-describing events of other schemas): it still counts as session activity.
 * `feature_digest` is the browser's report of its own feature values (issue 7, digest.ts): it is
 * about the features, not shopping, so no lane applies it (it would change what it describes).
 */
export type ShopperEventType =
  | EcommerceActionType
  | 'page_view'
  | 'page_ping'
  | 'site_search'
  | 'feature_digest'
  | 'other';

export interface Product {
  readonly id: string;
  readonly category: string;
  /** Price in the product's currency, integer minor units (cents). */
  readonly priceMinor: number;
  /** ISO 4217 code, 3 characters. */
  readonly currency: string;
  readonly name: string | null;
  readonly brand: string | null;
  readonly quantity: number | null;
}

export interface Cart {
  /** Cart total in `currency`, integer minor units. */
  readonly totalValueMinor: number;
  readonly currency: string;
  readonly cartId: string | null;
}

export interface CheckoutStep {
  /** 1..90 */
  readonly step: number;
  readonly paymentMethod: string | null;
  readonly deliveryMethod: string | null;
}

export interface Transaction {
  readonly transactionId: string;
  /** Revenue in `currency`, integer minor units. */
  readonly revenueMinor: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly totalQuantity: number;
}

export interface Promotion {
  readonly id: string;
  readonly name: string | null;
}

/** Campaign attribution (`mkt_*`, from the page URL's `utm_*`). */
export interface Marketing {
  readonly medium: string | null;
  readonly source: string | null;
  readonly term: string | null;
  readonly content: string | null;
  readonly campaign: string | null;
}

export interface Geo {
  readonly country: string;
  readonly region: string | null;
}

/** Device class of `shopper_device_types`, from the user agent (server-side enrichment). */
export type DeviceClass = 'Desktop' | 'Phone' | 'Tablet' | 'Other';

export interface ShopperEvent {
  /** Snowplow event id (UUID). Duplicates of one id are applied once. */
  readonly eventId: string;
  /**
   * Event time, epoch ms: `derived_tstamp` (the true timestamp when the tracker sent one), after the
   * bound against the collector time (see `boundEventTime`).
   */
  readonly eventTimeMs: number;
  /** Collector time, epoch ms; null where there is none yet (in the browser). */
  readonly collectorTimeMs: number | null;
  /** True when the event time was out of bounds and replaced by the collector time. */
  readonly clockSkewCorrected: boolean;
  /** `user_id` when non-empty, otherwise `domain_userid`. */
  readonly userKey: string;
  readonly userId: string | null;
  readonly domainUserId: string | null;
  /** `client_session.sessionId`, otherwise `domain_sessionid`; null when neither is present. */
  readonly sessionKey: string | null;
  readonly type: ShopperEventType;
  /** Iglu URI of the self-describing event, when there is one. */
  readonly schema: string | null;
  readonly products: readonly Product[];
  readonly cart: Cart | null;
  /** The list `name` of list_view / list_click. */
  readonly listName: string | null;
  readonly checkoutStep: CheckoutStep | null;
  readonly transaction: Transaction | null;
  readonly promotion: Promotion | null;
  /** Search terms of a `site_search` event. */
  readonly searchTerms: readonly string[] | null;
  readonly pageUrl: string | null;
  readonly marketing: Marketing | null;
  /** Snowplow `platform` (`web`, `mob`, `srv`, ...). */
  readonly platform: string | null;
  readonly userAgent: string | null;
  readonly deviceClass: DeviceClass | null;
  readonly geo: Geo | null;
}
