/**
 * The shop's tracking layer: `ShopTracking` (shop-tracking.ts) implemented with the real Snowplow
 * browser tracker and its ecommerce plugin, sending to the store's first-party collector path. A
 * plugin (feed-plugin.ts) gives every event a true timestamp and hands the finished payload to `sink`
 * (the feature worker), so the browser and the server window on identical events and times.
 * Every call is caught: a tracking failure is logged, never thrown into the page.
 *
 * Anonymous statistics (consent choice `anonymous`): the same tracker in Snowplow's anonymous mode
 * (`ANONYMOUS_TRACKING`), switched in place by `setAnonymous`.
 */
import {
  type Product,
  SnowplowEcommercePlugin,
  trackAddToCart,
  trackCheckoutStep,
  trackProductListClick,
  trackProductListView,
  trackProductView,
  trackPromotionClick,
  trackPromotionView,
  trackRemoveFromCart,
  trackTransaction,
} from '@snowplow/browser-plugin-snowplow-ecommerce';
import {
  type AnonymousTrackingOptions,
  clearUserData,
  disableAnonymousTracking,
  enableAnonymousTracking,
  newTracker,
  type StateStorageStrategy,
  setUserId,
  trackPageView,
  trackSelfDescribingEvent,
} from '@snowplow/browser-tracker';
import { FEATURE_DIGEST_SCHEMA_URI } from '@tandem/feature-core';
import { createFeedPlugin, type EventSink } from './feed-plugin.js';
import type { CartLine, CartState, ProductRef, ShopTracking, TrackingConfig } from './shop-tracking.js';

export type { EventSink, SentPayload } from './feed-plugin.js';

/** Iglu URI of the site search event (the site-tracking plugin's event, tracked directly). */
export const SITE_SEARCH_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0';

export interface ShopTrackingOptions {
  /** Where tracking errors go; `console.warn` by default. */
  readonly onError?: (error: unknown) => void;
  /** Events per POST; 1 sends each at once (the default), more batches them. */
  readonly bufferSize?: number;
  /** Start in anonymous mode (see `ANONYMOUS_TRACKING`); false by default. */
  readonly anonymous?: boolean;
}

/**
 * Snowplow's anonymous mode for anonymous statistics. Without session tracking the tracker puts no
 * domain_userid, domain_sessionid, session entity, tab id or user id in events; with server
 * anonymisation every request carries `SP-Anonymous: *`, and the collector then keeps no IP and
 * sets no `sp` cookie (its network id is all zeros).
 */
export const ANONYMOUS_TRACKING: AnonymousTrackingOptions = {
  withServerAnonymisation: true,
  withSessionTracking: false,
};

/**
 * Where the tracker keeps its ids and its unsent queue. Anonymous: nowhere (memory only), so nothing is
 * written to cookies or local storage. Full: the tracker's default, first-party cookies and local storage.
 */
const STORAGE: Record<'anonymous' | 'full', StateStorageStrategy> = {
  anonymous: 'none',
  full: 'cookieAndLocalStorage',
};

/** The page's tracker: the shop's calls, and the switch between full and anonymous tracking. */
export interface PageShopTracking extends ShopTracking {
  /**
   * Switches anonymous mode in place, without a new tracker. On: the tracker deletes its cookies and
   * stored ids and forgets them (`clearUserData`), renews the page view id, and later events carry no
   * ids. Off: new ids, kept in first-party cookies from now (the events of the current page view share
   * its page view id with those sent before). Never throws.
   */
  setAnonymous(anonymous: boolean): void;
}

/** A ShopTracking that does nothing: tracking switched off. */
export const DISABLED_TRACKING: PageShopTracking = Object.freeze({
  pageView() {},
  listView() {},
  listClick() {},
  promoView() {},
  promoClick() {},
  productView() {},
  addToCart() {},
  removeFromCart() {},
  checkoutStep() {},
  transaction() {},
  siteSearch() {},
  signIn() {},
  signOut() {},
  featureDigest() {},
  setAnonymous() {},
});

interface DoNotTrackGlobals {
  navigator?: { doNotTrack?: string | null; msDoNotTrack?: string | null };
  doNotTrack?: string | null;
}

/** The tracker's own Do Not Track test (respectDoNotTrack): with it on, nothing is sent. */
export function isDoNotTrack(globals: DoNotTrackGlobals = globalThis as DoNotTrackGlobals): boolean {
  // The same expression as the tracker's, `||` included.
  const dnt = globals.navigator?.doNotTrack || globals.navigator?.msDoNotTrack || globals.doNotTrack;
  return dnt === 'yes' || dnt === '1';
}

function product(p: ProductRef): Product {
  return {
    id: p.id,
    name: p.name,
    category: p.category,
    brand: p.brand,
    price: p.price,
    currency: p.currency,
    ...(p.position === undefined ? {} : { position: p.position }),
  };
}

function line(l: CartLine): Product {
  return { ...product(l), quantity: l.quantity };
}

function cart(c: CartState, changed: CartLine) {
  return { cart_id: c.cartId, total_value: c.totalValue, currency: c.currency, products: [line(changed)] };
}

let trackerCount = 0;

/**
 * Creates the page's tracking: one Snowplow tracker (its own namespace), without a user id until
 * `signIn`, in anonymous mode when `options.anonymous`. `config.enabled === false` gives
 * `DISABLED_TRACKING`. Never throws.
 */
export function createShopTracking(
  config: TrackingConfig,
  sink: EventSink,
  options: ShopTrackingOptions = {},
): PageShopTracking {
  if (!config.enabled) return DISABLED_TRACKING;
  const onError = options.onError ?? ((error: unknown) => console.warn('[tracking]', error));
  const namespace = `tandem-${++trackerCount}`;
  const trackers = [namespace];
  try {
    const tracker = newTracker(namespace, config.collectorUrl, {
      appId: config.appId,
      platform: 'web',
      eventMethod: 'post',
      bufferSize: options.bufferSize ?? 1,
      respectDoNotTrack: true,
      contexts: { session: true, webPage: true, browser: true },
      stateStorageStrategy: STORAGE[options.anonymous === true ? 'anonymous' : 'full'],
      ...(options.anonymous === true ? { anonymousTracking: ANONYMOUS_TRACKING } : {}),
      plugins: [SnowplowEcommercePlugin(), createFeedPlugin({ sink, isSent: () => !isDoNotTrack(), onError })],
    });
    if (tracker === null) throw new Error(`newTracker returned null for namespace ${namespace}`);
    if (config.userId !== null) setUserId(config.userId, trackers);
  } catch (error) {
    onError(error);
    return DISABLED_TRACKING;
  }

  /** Runs one tracking call; an error is reported, never thrown. */
  const guard =
    <A extends unknown[]>(call: (...args: A) => void) =>
    (...args: A): void => {
      try {
        call(...args);
      } catch (error) {
        onError(error);
      }
    };

  return {
    pageView: guard((title?: string) => trackPageView(title === undefined ? {} : { title }, trackers)),
    listView: guard((listName, products) =>
      trackProductListView({ name: listName, products: products.map(product) }, trackers),
    ),
    listClick: guard((listName, p) => trackProductListClick({ name: listName, product: product(p) }, trackers)),
    promoView: guard((promo) =>
      trackPromotionView(
        { id: promo.id, name: promo.name, ...(promo.slot === undefined ? {} : { slot: promo.slot }) },
        trackers,
      ),
    ),
    promoClick: guard((promo) =>
      trackPromotionClick(
        { id: promo.id, name: promo.name, ...(promo.slot === undefined ? {} : { slot: promo.slot }) },
        trackers,
      ),
    ),
    productView: guard((p) => trackProductView(product(p), trackers)),
    addToCart: guard((changed, after) => trackAddToCart(cart(after, changed), trackers)),
    removeFromCart: guard((changed, after) => trackRemoveFromCart(cart(after, changed), trackers)),
    checkoutStep: guard((step, _cart, details) =>
      trackCheckoutStep(
        {
          step,
          ...(details?.deliveryMethod === undefined ? {} : { delivery_method: details.deliveryMethod }),
          ...(details?.paymentMethod === undefined ? {} : { payment_method: details.paymentMethod }),
        },
        trackers,
      ),
    ),
    transaction: guard((order) =>
      trackTransaction(
        {
          transaction_id: order.orderId,
          revenue: order.revenue,
          currency: order.currency,
          payment_method: order.paymentMethod,
          total_quantity: order.totalQuantity,
          products: order.lines.map(line),
        },
        trackers,
      ),
    ),
    siteSearch: guard((terms, resultCount) =>
      trackSelfDescribingEvent(
        {
          event: {
            schema: SITE_SEARCH_SCHEMA,
            data: { terms: [...terms], totalResults: resultCount, pageResults: resultCount },
          },
        },
        trackers,
      ),
    ),
    signIn: guard((userId) => setUserId(userId, trackers)),
    signOut: guard(() => setUserId(null, trackers)),
    // Its own event, never an entity on shopping events: a pipeline without the schema loses only digests.
    featureDigest: guard((digest) =>
      trackSelfDescribingEvent({ event: { schema: FEATURE_DIGEST_SCHEMA_URI, data: { ...digest } } }, trackers),
    ),
    setAnonymous: guard((anonymous: boolean) => {
      if (anonymous) {
        enableAnonymousTracking({ options: ANONYMOUS_TRACKING, stateStorageStrategy: STORAGE.anonymous }, trackers);
        // After the switch, so the forgotten domain_userid is replaced by none rather than a new one.
        clearUserData({ preserveSession: false, preserveUser: false }, trackers);
      } else {
        disableAnonymousTracking({ stateStorageStrategy: STORAGE.full }, trackers);
      }
    }),
  };
}
