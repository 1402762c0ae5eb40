/**
 * The golden journey: one shopper over two sessions, and the Redis string keys FEATURES.md says
 * must exist at three moments, with values worked out by hand (the arithmetic sits beside each
 * value so a reviewer can check it without running anything).
 *
 * The story. 2026-03-02, T0 = 10:00:00.000Z = 1772445600000 ms. An anonymous shopper (user key =
 * domain_userid DUID) lands from a newsletter on a search page, browses running shoes, socks, a
 * jacket, sneakers and a beanie on a train from Berlin (region BE) into Brandenburg (BB), puts
 * socks and shoes in the cart, takes the socks out and buys the shoes. 30+ minutes later they come
 * back signed in (user key = user_id USER_ID: the user lanes split at sign-in; the first session
 * stays under DUID), buy a jacket and, after the order, start a new cart.
 *
 * Delivery. `JOURNEY` is in delivery order: by collector time. Event #8 was queued offline and
 * reaches the collector 90 s late (after #9..#12); event #17 is delivered twice (a tracker retry,
 * same event id) and must count once. A checkpoint sees every event whose collector time is at or
 * before its `atMs`.
 *
 * Tiles (FEATURES.md "Windows are tiled"): T0 is aligned to every tile size (10 s, 1 min, 15 min).
 * Offsets below are seconds after T0.
 * - (a) at 900.000: 5m tile 90, window tiles 61..90 = [610.000, 910.000) s. Event #22 at 609.999
 *   is just outside, #23 at 610.000 just inside. 1h and 24h hold all of session 1.
 * - (b) at 1260.000: 5m window = [970, 1270) s holds nothing; 1h (minutes -38..21) and 24h unchanged.
 * - (c) at 3905.000: 5m tile 390, window [3610.000, 3910.000) s: session 2's #S2-17 at 3609.999 is
 *   just outside, #S2-18 at 3610.000 just inside. 1h minute 65, window minutes 6..65 =
 *   [360.000, 3960.000) s: session 1's add_to_cart #18 at 360.000 is just inside, #17 at 330.300
 *   (and everything before) outside; so DUID's 1h values now cover only the end of session 1.
 *   A sliding window (c − 1 h = 305 s) would wrongly include #17.
 *
 * Session 1 is closed at (c) (3905 − 895 ≥ 1800 s) but its keys stay readable until their TTL
 * (24 h after its last event), so they are still expected. Keys whose value is empty are absent.
 */
import {
  collectorTimeOf,
  DESKTOP_USER_AGENT,
  type EventSpec,
  type ProductSpec,
  uuid,
} from './test-support/builders.js';

export const JOURNEY_T0 = 1_772_445_600_000; // Date.UTC(2026, 2, 2, 10, 0, 0)

export const DUID = '6f1c2a4e-3b5d-4c8e-9a7f-1e2d3c4b5a69';
export const USER_ID = 'customer-20931';
export const SESSION_1 = '3d0c9a52-1f4e-4b7a-9c61-5e2f8d7a1b01';
export const SESSION_2 = '3d0c9a52-1f4e-4b7a-9c61-5e2f8d7a1b02';

/** T0 + seconds (ms precision). */
const at = (seconds: number) => JOURNEY_T0 + Math.round(seconds * 1000);

const SHOP = 'https://shop.example.com';
const BERLIN = { country: 'DE', region: 'BE' } as const;
const BRANDENBURG = { country: 'DE', region: 'BB' } as const;

// Catalogue. Prices are decimals as the tracker sends them; minor units in the comments.
const P1 = { id: 'sku-101', name: 'Trail Runner X', category: 'Running Shoes', price: 120.0 } as const; // 12000
const P1_SALE = { ...P1, price: 99.99 } as const; // 9999: a flash-sale price seen later in session 1
const P2 = { id: 'sku-205', name: 'Road Racer', category: 'Running Shoes', price: 89.5 } as const; // 8950
const P3 = { id: 'sku-310', name: 'Merino Hiking Sock', category: 'Socks', price: 14.99 } as const; // 1499
const P3_MEMBER = { ...P3, price: 12.99 } as const; // 1299: member price once signed in
const P4 = { id: 'sku-412', name: 'Rain Shell Jacket', category: 'Jackets', price: 149.95 } as const; // 14995
const P4_MEMBER = { ...P4, price: 129.95 } as const; // 12995
const P5 = { id: 'sku-518', name: 'City Sneaker', category: 'Sneakers', price: 64.5 } as const; // 6450
const P6 = { id: 'sku-620', name: 'Wool Beanie', category: 'Accessories', price: 19.99 } as const; // 1999
const P7 = { id: 'sku-733', name: 'Trail Gaiter', category: 'Accessories', price: 24.95 } as const; // 2495

type Step = Omit<EventSpec, 'domainUserId' | 'sessionId' | 'eventIndex' | 'firstEventId' | 'firstEventTimeMs'>;

/** Fills what the tracker's session state adds to each event of a session (in time order). */
function session(
  sessionId: string,
  sessionIndex: number,
  previousSessionId: string | null,
  steps: readonly Step[],
): EventSpec[] {
  const first = steps[0] as Step;
  return steps.map((step, i) => ({
    domainUserId: DUID,
    sessionId,
    sessionIndex,
    previousSessionId,
    firstEventId: first.eventId,
    firstEventTimeMs: first.timeMs,
    eventIndex: i + 1,
    useragent: DESKTOP_USER_AGENT,
    ...step,
  }));
}

const pv = (n: number, t: number, path: string, geo: EventSpec['geo'], extra: Partial<Step> = {}): Step => ({
  eventId: uuid(n),
  timeMs: at(t),
  type: 'page_view',
  pageUrl: SHOP + path,
  geo,
  ...extra,
});

const ev = (
  n: number,
  t: number,
  type: Step['type'],
  path: string,
  geo: EventSpec['geo'],
  extra: Partial<Step>,
): Step => ({
  eventId: uuid(n),
  timeMs: at(t),
  type,
  pageUrl: SHOP + path,
  geo,
  ...extra,
});

const view = (n: number, t: number, path: string, geo: EventSpec['geo'], product: ProductSpec) =>
  ev(n, t, 'product_view', path, geo, { products: [product] });

const LANDING = '/search?q=shoes&utm_source=newsletter&utm_medium=email&utm_campaign=spring';
const BEANIE = '/product/sku-620?utm_source=homepage&utm_medium=banner&utm_campaign=winter_clearance';
const WINBACK = '/product/sku-412?utm_source=email&utm_medium=email&utm_campaign=winback';

/** Session 1, in event-time order; #n is uuid(100 + n). */
const SESSION_1_EVENTS = session(SESSION_1, 1, null, [
  pv(101, 0.0, LANDING, BERLIN), // #1
  ev(102, 1.5, 'list_view', LANDING, BERLIN, { listName: 'Top this week', products: [P1, P2, P4] }), // #2
  pv(103, 30.0, '/product/sku-101', BERLIN), // #3
  view(104, 30.4, '/product/sku-101', BERLIN, P1), // #4
  pv(105, 95.0, '/category/running-shoes', BERLIN), // #5
  ev(106, 95.3, 'list_view', '/category/running-shoes', BERLIN, { listName: 'Running Shoes', products: [P1, P2] }), // #6
  pv(107, 140.0, '/product/sku-205', BERLIN), // #7
  // #8: queued offline on the train, reaches the collector 90 s later.
  { ...view(108, 140.3, '/product/sku-205', BERLIN, P2), collectorTimeMs: at(230.3) },
  pv(109, 180.0, '/search?q=rain+jacket', BRANDENBURG), // #9: the train is now in Brandenburg
  ev(110, 180.2, 'site_search', '/search?q=rain+jacket', BRANDENBURG, { searchTerms: ['rain', 'jacket'] }), // #10
  pv(111, 215.0, '/product/sku-412', BRANDENBURG), // #11
  view(112, 215.3, '/product/sku-412', BRANDENBURG, P4), // #12
  pv(113, 250.0, '/product/sku-310', BRANDENBURG), // #13
  view(114, 250.3, '/product/sku-310', BRANDENBURG, P3), // #14
  ev(115, 280.0, 'add_to_cart', '/product/sku-310', BRANDENBURG, {
    products: [{ ...P3, quantity: 2 }],
    cart: { total_value: 29.98, cart_id: 'cart-1' }, // 2 × 14.99
  }), // #15
  pv(116, 330.0, '/product/sku-101', BRANDENBURG), // #16
  view(117, 330.3, '/product/sku-101', BRANDENBURG, P1_SALE), // #17 (also delivered again, below)
  ev(118, 360.0, 'add_to_cart', '/product/sku-101', BRANDENBURG, {
    products: [{ ...P1_SALE, quantity: 1 }],
    cart: { total_value: 129.97, cart_id: 'cart-1' }, // 29.98 + 99.99
  }), // #18
  pv(119, 540.0, '/product/sku-518', BRANDENBURG), // #19
  view(120, 540.3, '/product/sku-518', BRANDENBURG, P5), // #20
  pv(121, 609.7, BEANIE, BRANDENBURG), // #21: an internal banner link tagged with utm_*
  view(122, 609.999, BEANIE, BRANDENBURG, P6), // #22: just outside the 5m window at (a)
  ev(123, 610.0, 'list_view', BEANIE, BRANDENBURG, { listName: 'You may also like', products: [P5, P1_SALE] }), // #23
  pv(124, 650.0, '/product/sku-101', BRANDENBURG), // #24
  view(125, 650.3, '/product/sku-101', BRANDENBURG, P1_SALE), // #25
  pv(126, 700.0, '/product/sku-518', BRANDENBURG), // #26
  view(127, 700.3, '/product/sku-518', BRANDENBURG, P5), // #27
  pv(128, 720.0, '/cart', BRANDENBURG), // #28
  ev(129, 725.0, 'remove_from_cart', '/cart', BRANDENBURG, {
    products: [{ ...P3, quantity: 2 }],
    cart: { total_value: 99.99, cart_id: 'cart-1' }, // 129.97 − 29.98
  }), // #29
  pv(130, 760.0, '/checkout', BRANDENBURG), // #30
  ev(131, 760.5, 'checkout_step', '/checkout', BRANDENBURG, { step: 1 }), // #31
  ev(132, 800.0, 'checkout_step', '/checkout', BRANDENBURG, { step: 2 }), // #32
  ev(133, 840.0, 'checkout_step', '/checkout', BRANDENBURG, { step: 3 }), // #33
  ev(134, 890.0, 'transaction', '/checkout', BRANDENBURG, {
    products: [{ ...P1_SALE, quantity: 1 }],
    transaction: { transaction_id: 'T-1001', revenue: 104.98, payment_method: 'card' }, // 99.99 + 4.99 shipping
  }), // #34
  pv(135, 895.0, '/checkout/confirmation', BRANDENBURG), // #35: the last event of session 1
]);

/** Session 2, signed in, in event-time order; #S2-n is uuid(200 + n). */
const SESSION_2_EVENTS = session(
  SESSION_2,
  2,
  SESSION_1,
  [
    pv(201, 2700.0, '/', BERLIN), // S2-1: 1805 s after session 1's last event; no campaign
    ev(202, 2703.0, 'list_view', '/', BERLIN, { listName: 'Top this week', products: [P1_SALE, P4_MEMBER, P7] }), // S2-2
    pv(203, 2760.0, WINBACK, BERLIN), // S2-3: the first event with a campaign
    view(204, 2760.4, WINBACK, BERLIN, P4), // S2-4
    pv(205, 2850.0, '/product/sku-733', BERLIN), // S2-5
    view(206, 2850.3, '/product/sku-733', BERLIN, P7), // S2-6
    pv(207, 2940.0, '/product/sku-412', BERLIN), // S2-7
    view(208, 2940.3, '/product/sku-412', BERLIN, P4_MEMBER), // S2-8
    ev(209, 3000.0, 'add_to_cart', '/product/sku-412', BERLIN, {
      products: [{ ...P4_MEMBER, quantity: 1 }],
      cart: { total_value: 129.95, cart_id: 'cart-2' },
    }), // S2-9
    pv(210, 3100.0, '/checkout', BERLIN), // S2-10
    ev(211, 3100.5, 'checkout_step', '/checkout', BERLIN, { step: 1 }), // S2-11
    ev(212, 3160.0, 'checkout_step', '/checkout', BERLIN, { step: 2 }), // S2-12
    ev(213, 3220.0, 'checkout_step', '/checkout', BERLIN, { step: 3 }), // S2-13
    ev(214, 3290.0, 'transaction', '/checkout', BERLIN, {
      products: [{ ...P4_MEMBER, quantity: 1 }],
      transaction: { transaction_id: 'T-1002', revenue: 129.95, payment_method: 'paypal' }, // free shipping
    }), // S2-14
    pv(215, 3295.0, '/checkout/confirmation', BERLIN), // S2-15
    pv(216, 3609.6, '/product/sku-310', BERLIN), // S2-16
    view(217, 3609.999, '/product/sku-310', BERLIN, P3), // S2-17: just outside the 5m window at (c)
    ev(218, 3610.0, 'list_view', '/product/sku-310', BERLIN, {
      listName: 'Complete the look',
      products: [P6, P3_MEMBER],
    }), // S2-18: just inside
    pv(219, 3650.0, '/product/sku-620', BERLIN), // S2-19
    view(220, 3650.3, '/product/sku-620', BERLIN, P6), // S2-20
    ev(221, 3700.0, 'add_to_cart', '/product/sku-620', BERLIN, {
      products: [{ ...P6, quantity: 1 }],
      cart: { total_value: 19.99, cart_id: 'cart-3' }, // a new cart after the order
    }), // S2-21
    pv(222, 3760.0, '/product/sku-310', BERLIN), // S2-22
    view(223, 3760.3, '/product/sku-310', BERLIN, P3_MEMBER), // S2-23
    ev(224, 3800.0, 'add_to_cart', '/product/sku-310', BERLIN, {
      products: [{ ...P3_MEMBER, quantity: 1 }],
      cart: { total_value: 32.98, cart_id: 'cart-3' }, // 19.99 + 12.99
    }), // S2-24
    pv(225, 3903.0, '/cart', BERLIN), // S2-25: the last event of session 2
  ].map((step) => ({ ...step, userId: USER_ID })),
);

/** #17 again: a tracker retry, same event, collector time 2.5 s later. */
const RETRY_OF_17: EventSpec = {
  ...(SESSION_1_EVENTS.find((e) => e.eventId === uuid(117)) as EventSpec),
  collectorTimeMs: at(330.3 + 2.5),
};

/** Every delivery in collector-time order (a stable sort keeps time order among equals). */
export const JOURNEY: readonly EventSpec[] = [...SESSION_1_EVENTS, RETRY_OF_17, ...SESSION_2_EVENTS].sort(
  (x, y) => collectorTimeOf(x) - collectorTimeOf(y),
);

/** The event id delivered twice. */
export const DUPLICATED_EVENT_ID = uuid(117);
/** The event delivered out of order. */
export const LATE_EVENT_ID = uuid(108);

// ---------------------------------------------------------------------------------------------
// Expected values.

type Values = Readonly<Record<string, string>>;

function userKeys(userKey: string, window: '5m' | '1h' | '24h', values: Values): Values {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [`user:${userKey}:${name}_${window}`, value]),
  );
}

function sessionKeys(sessionKey: string, values: Values): Values {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [`session:${sessionKey}:${name}`, value]));
}

/**
 * DUID over all of session 1 (its 1h and 24h windows at (a) and (b), its 24h window at (c)).
 * Product views: #4 P1 120.00, #8 P2 89.50, #12 P4 149.95, #14 P3 14.99, #17 P1 99.99 (once,
 * though delivered twice), #20 P5 64.50, #22 P6 19.99, #25 P1 99.99, #27 P5 64.50.
 */
const DUID_ALL_OF_SESSION_1: Values = {
  product_view_count: '6', // distinct ids: sku-101, sku-205, sku-310, sku-412, sku-518, sku-620
  // First view of each id: 12000 + 8950 + 14995 + 1499 + 6450 + 1999 = 45893 cents; 45893 / 6 = 7648.83 → 7649
  avg_viewed_price: '76.49',
  return_view_count: '{"sku-101":3,"sku-205":1,"sku-310":1,"sku-412":1,"sku-518":2,"sku-620":1}',
  price_range_viewed: '14.99-149.95', // min P3 14.99, max P4 149.95
  product_view_total: '9', // 9 product_view events; the retry of #17 is the same event
  // Category events: list "Top this week" #2; Running Shoes #4, list #6, #8, #17, #25 = 5;
  // Jackets #12; Socks #14; Sneakers #20, #27 = 2; Accessories #22; list "You may also like" #23.
  top_category: 'Running Shoes', // 5, a clear mode
  unique_categories: '7',
  category_view_count:
    '{"Accessories":1,"Jackets":1,"Running Shoes":5,"Sneakers":2,"Socks":1,"Top this week":1,"You may also like":1}',
  cart_add_count: '2', // #15, #18
  cart_remove_count: '1', // #29
  cart_update_frequency: '3', // 2 + 1
  // cart_value absent: the latest cart event (#29, 725 s) is followed by transaction #34 (890 s).
  orders_count: '1', // T-1001
  order_value: '104.98',
  avg_order_value: '104.98', // 10498 / 1
};

/**
 * DUID, 5m window at (a) = [610.000, 910.000) s: #23..#35. Product views #25 P1 99.99, #27 P5 64.50.
 * #22 (P6, 609.999 s) is in tile 60, outside.
 */
const DUID_5M_AT_A: Values = {
  product_view_count: '2',
  // P1's first view in this window is #25 at 99.99 (its 120.00 view aged out):
  // (9999 + 6450) / 2 = 8224.5 → half-even → 8224 (half-up would give 82.25)
  avg_viewed_price: '82.24',
  return_view_count: '{"sku-101":1,"sku-518":1}',
  price_range_viewed: '64.50-99.99',
  product_view_total: '2',
  // "You may also like" #23 (610.0), Running Shoes #25 (650.3), Sneakers #27 (700.3): all 1, a tie;
  // the latest event by time is #27, so Sneakers.
  top_category: 'Sneakers',
  unique_categories: '3',
  category_view_count: '{"Running Shoes":1,"Sneakers":1,"You may also like":1}',
  // cart_add_count absent (adds #15, #18 are before 610 s)
  cart_remove_count: '1', // #29
  cart_update_frequency: '1',
  // cart_value absent: transaction #34 is later than #29
  orders_count: '1',
  order_value: '104.98',
  avg_order_value: '104.98',
};

/**
 * DUID, 1h window at (c) = [360.000, 3960.000) s: #18..#35 (session 2 is under USER_ID).
 * Product views #20 P5 64.50, #22 P6 19.99, #25 P1 99.99, #27 P5 64.50.
 */
const DUID_1H_AT_C: Values = {
  product_view_count: '3', // sku-518, sku-620, sku-101
  // First views in the window: 6450 + 1999 + 9999 = 18448; 18448 / 3 = 6149.33 → 6149
  avg_viewed_price: '61.49',
  return_view_count: '{"sku-101":1,"sku-518":2,"sku-620":1}',
  price_range_viewed: '19.99-99.99',
  product_view_total: '4',
  // Sneakers #20, #27 = 2; Accessories #22, "You may also like" #23, Running Shoes #25 = 1 each
  top_category: 'Sneakers',
  unique_categories: '4',
  category_view_count: '{"Accessories":1,"Running Shoes":1,"Sneakers":2,"You may also like":1}',
  cart_add_count: '1', // #18 at exactly 360.000 s, the first ms of minute tile 6
  cart_remove_count: '1', // #29
  cart_update_frequency: '2',
  orders_count: '1',
  order_value: '104.98',
  avg_order_value: '104.98',
};

/**
 * USER_ID over all of session 2 (its 1h and 24h windows at (c)).
 * Product views: S2-4 P4 149.95, S2-6 P7 24.95, S2-8 P4 129.95, S2-17 P3 14.99, S2-20 P6 19.99,
 * S2-23 P3 12.99.
 */
const USER_ALL_OF_SESSION_2: Values = {
  product_view_count: '4', // sku-412, sku-733, sku-310, sku-620
  // First view of each id: 14995 + 2495 + 1499 + 1999 = 20988; 20988 / 4 = 5247
  avg_viewed_price: '52.47',
  return_view_count: '{"sku-310":2,"sku-412":2,"sku-620":1,"sku-733":1}',
  price_range_viewed: '12.99-149.95', // min S2-23 12.99, max S2-4 149.95
  product_view_total: '6',
  // "Top this week" S2-2 = 1; Jackets S2-4, S2-8 = 2; Accessories S2-6, S2-20 = 2;
  // Socks S2-17, S2-23 = 2; "Complete the look" S2-18 = 1. Tie at 2: latest events are Jackets
  // 2940.3, Accessories 3650.3, Socks 3760.3, so Socks.
  top_category: 'Socks',
  unique_categories: '5',
  category_view_count: '{"Accessories":2,"Complete the look":1,"Jackets":2,"Socks":2,"Top this week":1}',
  cart_add_count: '3', // S2-9, S2-21, S2-24
  // cart_remove_count absent (0)
  cart_update_frequency: '3',
  cart_value: '32.98', // latest cart event S2-24 (3800 s) is after transaction S2-14 (3290 s)
  orders_count: '1', // T-1002
  order_value: '129.95',
  avg_order_value: '129.95',
};

/**
 * USER_ID, 5m window at (c) = [3610.000, 3910.000) s: S2-18..S2-25. Product views S2-20 P6 19.99,
 * S2-23 P3 12.99. S2-17 (P3 14.99 at 3609.999) is in tile 360, outside.
 */
const USER_5M_AT_C: Values = {
  product_view_count: '2',
  // P3's first view in this window is S2-23 at 12.99: (1999 + 1299) / 2 = 1649
  avg_viewed_price: '16.49',
  return_view_count: '{"sku-310":1,"sku-620":1}',
  price_range_viewed: '12.99-19.99',
  product_view_total: '2',
  // "Complete the look" S2-18 (3610.0), Accessories S2-20 (3650.3), Socks S2-23 (3760.3): a tie of 1s,
  // latest is Socks.
  top_category: 'Socks',
  unique_categories: '3',
  category_view_count: '{"Accessories":1,"Complete the look":1,"Socks":1}',
  cart_add_count: '2', // S2-21, S2-24
  cart_update_frequency: '2',
  cart_value: '32.98', // S2-24
  // orders absent: T-1002 (3290 s) is before the window
};

/** Session 1, final from #35 on (nothing changes it later). */
const SESSION_1_VALUES: Values = {
  session_duration: '895000', // #35 895.000 s − #1 0.000 s
  // Page views #1 3 5 7 9 11 13 16 19 21 24 26 28 30 35
  session_page_count: '15',
  session_bounce: 'false', // 15 ≥ 2
  // #1 carries "spring"; #21/#22/#23 carry "winter_clearance" later: the first one wins.
  session_marketing_campaign: 'spring',
  // add_to_cart #15, #18 = 2; product views #4 8 12 14 17 20 22 25 27 = 9; 2 / 9 = 0.222 → 0.22
  session_cart_ratio: '0.22',
  // Page views with "/search?q=": #1, #9; the site_search event #10 is not a page view.
  session_search_count: '2',
  shopper_device_types: '["Desktop"]',
  shopper_latest_platform: 'web',
  shopper_locations: '["DE/BB","DE/BE"]',
  // By event time: BE #1..#8, then BB #9..#35 = 1 change. (By arrival, late #8 (BE) would land
  // between BB events and make 3.)
  shopper_region_changes: '1',
  // #21 609.7, #22 609.999, #23 610.0 s lie within 10 s; every other 10 s holds at most 2 (#1/#2, #3/#4, ...).
  session_peak_events_10s: '3',
};

/** Session 2, final from S2-25 on. */
const SESSION_2_VALUES: Values = {
  session_duration: '1203000', // S2-25 3903.000 s − S2-1 2700.000 s
  // Page views S2-1 3 5 7 10 15 16 19 22 25
  session_page_count: '10',
  session_bounce: 'false',
  session_marketing_campaign: 'winback', // S2-1 has none; S2-3 is the first with one
  // add_to_cart S2-9, S2-21, S2-24 = 3; product views S2-4 6 8 17 20 23 = 6; 3 / 6 = 0.50
  session_cart_ratio: '0.50',
  // session_search_count absent: no search page in session 2
  shopper_device_types: '["Desktop"]',
  shopper_latest_platform: 'web',
  shopper_locations: '["DE/BE"]',
  // shopper_region_changes absent: always BE
  // S2-16 3609.6, S2-17 3609.999, S2-18 3610.0 s lie within 10 s; every other 10 s holds at most 2.
  session_peak_events_10s: '3',
};

export interface Checkpoint {
  readonly name: string;
  /** Evaluation time, epoch ms; the events delivered by then (collector time ≤ atMs) are applied. */
  readonly atMs: number;
  /** Every non-empty Redis string key and its value. */
  readonly expected: Values;
}

export const CHECKPOINTS: readonly Checkpoint[] = [
  {
    name: '(a) right after session 1',
    atMs: at(900), // 1772446500000
    expected: {
      ...userKeys(DUID, '5m', DUID_5M_AT_A),
      ...userKeys(DUID, '1h', DUID_ALL_OF_SESSION_1),
      ...userKeys(DUID, '24h', DUID_ALL_OF_SESSION_1),
      [`user:${DUID}:last_cart_activity_at`]: '1772446325000', // #29: T0 + 725 000 ms
      ...sessionKeys(SESSION_1, SESSION_1_VALUES),
    },
  },
  {
    name: '(b) 6 minutes later: the 5m windows have emptied',
    atMs: at(1260), // 1772446860000
    expected: {
      ...userKeys(DUID, '1h', DUID_ALL_OF_SESSION_1),
      ...userKeys(DUID, '24h', DUID_ALL_OF_SESSION_1),
      [`user:${DUID}:last_cart_activity_at`]: '1772446325000',
      // Session 1 is still open (1260 − 895 < 1800 s) and unchanged.
      ...sessionKeys(SESSION_1, SESSION_1_VALUES),
    },
  },
  {
    name: '(c) right after session 2',
    atMs: at(3905), // 1772449505000
    expected: {
      // DUID: nothing in 5m; 1h holds only the end of session 1; 24h all of it.
      ...userKeys(DUID, '1h', DUID_1H_AT_C),
      ...userKeys(DUID, '24h', DUID_ALL_OF_SESSION_1),
      [`user:${DUID}:last_cart_activity_at`]: '1772446325000',
      ...userKeys(USER_ID, '5m', USER_5M_AT_C),
      ...userKeys(USER_ID, '1h', USER_ALL_OF_SESSION_2),
      ...userKeys(USER_ID, '24h', USER_ALL_OF_SESSION_2),
      [`user:${USER_ID}:last_cart_activity_at`]: '1772449400000', // S2-24: T0 + 3 800 000 ms
      ...sessionKeys(SESSION_1, SESSION_1_VALUES),
      ...sessionKeys(SESSION_2, SESSION_2_VALUES),
    },
  },
];

/** Session features that need server-side enrichment (user agent, IP geolocation). */
export const SERVER_ONLY_SESSION_FEATURES = ['shopper_device_types', 'shopper_locations', 'shopper_region_changes'];

/** `expected` without the keys only the server computes, for the browser (tracker payload) path. */
export function withoutServerOnlyKeys(expected: Values): Values {
  return Object.fromEntries(
    Object.entries(expected).filter(([key]) => !SERVER_ONLY_SESSION_FEATURES.some((f) => key.endsWith(`:${f}`))),
  );
}
