/**
 * Every feature, defined once, as data: its name, lane, windows, value type, empty value, meaning
 * and the pure function that computes it from a window's (or session's) aggregates. Browser and
 * server run these same definitions. Adding a feature = one entry here + its test.
 *
 * Sources (FEATURES.md): `accelerator` = parity with the Flink accelerator (same key and meaning,
 * divergence fixes applied); `documented` = documented by the accelerator but never built; `tandem` =
 * Tandem's own.
 */
import { divideHalfEven, type RawValues, type ValueType } from './canonical.js';
import { OVERFLOW, type OverflowName } from './engine/config.js';
import type { SeenEvents } from './engine/seen-events.js';
import type { SessionLane } from './engine/session-lane.js';
import { geoSummary } from './engine/session-lane.js';
// Types only: the user lane reads TALLIED_ATTRIBUTES from here, so no value may come back.
import type { TallyStat, WindowView } from './engine/user-lane.js';
import { WINDOW_IDS, type WindowId } from './engine/windows.js';
import type { Product } from './event.js';

export type FeatureOrigin = 'accelerator' | 'documented' | 'tandem';

interface DefinitionBase<T extends ValueType> {
  /** Feature name: the Redis key segment (before `_{window}` for rolling features). */
  readonly name: string;
  readonly type: T;
  /** What a reader assumes when the key is absent; null = "no value". */
  readonly emptyValue: string | null;
  readonly meaning: string;
  readonly origin: FeatureOrigin;
  /**
   * Whether browser and server values are compared exactly. False for features that need
   * server-side enrichment (user agent, geo), which the browser does not compute.
   */
  readonly compared: boolean;
  /** Which capped set this feature reads: when it overflowed, the feature is left out of comparison. */
  readonly overflowsWith: readonly OverflowName[];
}

/** A string attribute of a product entity that a user lane can tally per window (`mostViewed`). */
export type ProductAttribute = Extract<keyof Product, 'brand' | 'name' | 'category'>;

/** A rolling feature: one value per window, key `user:{u}:{name}_{window}`. */
export interface RollingFeature<T extends ValueType = ValueType> extends DefinitionBase<T> {
  readonly lane: 'user';
  readonly windows: readonly WindowId[];
  /**
   * The product attribute this feature tallies, if any: the user lane then keeps, per window, views
   * per value of that attribute (`WindowView.tallies`). Part of the definition version.
   */
  readonly tally?: ProductAttribute;
  readonly compute: (view: WindowView) => RawValues[T] | null;
}

/**
 * A user feature without a window suffix, key `user:{u}:{name}`, computed over the window named by
 * `window` (which also sets its key lifetime).
 */
export interface UserFeature<T extends ValueType = ValueType> extends DefinitionBase<T> {
  readonly lane: 'user-unwindowed';
  readonly window: WindowId;
  readonly compute: (view: WindowView) => RawValues[T] | null;
}

/** A session feature, key `session:{s}:{name}`. */
export interface SessionFeature<T extends ValueType = ValueType> extends DefinitionBase<T> {
  readonly lane: 'session';
  readonly compute: (session: SessionLane) => RawValues[T] | null;
}

export type FeatureDefinition = RollingFeature | UserFeature | SessionFeature;

// The helpers keep each definition's `compute` typed by its value type.
function rolling<T extends ValueType>(
  def: Omit<RollingFeature<T>, 'lane' | 'windows' | 'compared' | 'overflowsWith'> &
    Partial<Pick<RollingFeature<T>, 'overflowsWith'>>,
): RollingFeature {
  return { lane: 'user', windows: WINDOW_IDS, compared: true, overflowsWith: [], ...def } as unknown as RollingFeature;
}
function session<T extends ValueType>(
  def: Omit<SessionFeature<T>, 'lane' | 'overflowsWith'> & Partial<Pick<SessionFeature<T>, 'overflowsWith'>>,
): SessionFeature {
  return { lane: 'session', overflowsWith: [], ...def } as unknown as SessionFeature;
}

function sumFirstPrices(view: WindowView): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const stat of view.products.values()) {
    if (stat.firstPrice >= 0) {
      sum += stat.firstPrice;
      count++;
    }
  }
  return { sum, count };
}

function orderTotals(view: WindowView): { count: number; revenue: number; priced: number } {
  let revenue = 0;
  let priced = 0;
  for (const order of view.orders.values()) {
    if (order.revenue >= 0) {
      revenue += order.revenue;
      priced++;
    }
  }
  return { count: view.orders.size, revenue, priced };
}

/**
 * The value with the most views; a tie goes to the value whose latest view is latest by (event time,
 * event id), so the answer never depends on map order. Null for an empty map.
 */
export function mostViewedValue(stats: ReadonlyMap<string, TallyStat> | undefined): string | null {
  let best: string | null = null;
  let bestViews = 0;
  let bestT = -1;
  let bestId = '';
  for (const [value, stat] of stats ?? []) {
    if (
      stat.views > bestViews ||
      (stat.views === bestViews && (stat.lastT > bestT || (stat.lastT === bestT && stat.lastId > bestId)))
    ) {
      best = value;
      bestViews = stat.views;
      bestT = stat.lastT;
      bestId = stat.lastId;
    }
  }
  return best;
}

/**
 * A "most viewed {attribute}" feature: the value of a product attribute with the most product views
 * in the window (every view counts, not distinct products), a tie to the latest view by (event time,
 * event id); views whose product lacks the attribute (absent or "") count nowhere, and a window with
 * none has no value (key absent, read as null). Declaring one is all it takes: the user lane tallies
 * every attribute some definition names, in facts, tiles and the wire format.
 */
export function mostViewed(def: {
  readonly name: string;
  readonly attribute: ProductAttribute;
  readonly meaning: string;
  readonly origin: FeatureOrigin;
}): RollingFeature {
  const { attribute, ...rest } = def;
  return rolling({
    ...rest,
    type: 'string',
    emptyValue: null,
    overflowsWith: ['tallies'],
    tally: attribute,
    compute: (v) => mostViewedValue(v.tallies[TALLIED_ATTRIBUTES.indexOf(attribute)]),
  });
}

function countsByKey(map: ReadonlyMap<string, { views: number }>): Record<string, number> | null {
  if (map.size === 0) return null;
  const out: Record<string, number> = {};
  for (const [key, stat] of map) out[key] = stat.views;
  return out;
}

export const ROLLING_FEATURES: readonly RollingFeature[] = [
  rolling({
    name: 'product_view_count',
    type: 'count',
    emptyValue: '0',
    meaning: 'Distinct product ids viewed (product_view events).',
    origin: 'accelerator',
    overflowsWith: ['products'],
    compute: (v) => v.products.size,
  }),
  rolling({
    name: 'avg_viewed_price',
    type: 'money',
    emptyValue: null,
    meaning: 'Mean price over distinct products viewed, each at the price of its first view in the window.',
    origin: 'accelerator',
    overflowsWith: ['products'],
    compute: (v) => {
      const { sum, count } = sumFirstPrices(v);
      return count === 0 ? null : divideHalfEven(sum, count);
    },
  }),
  rolling({
    name: 'return_view_count',
    type: 'json',
    emptyValue: '{}',
    meaning: 'Views per product id, as a JSON object (the accelerator wrote Java Map.toString()).',
    origin: 'accelerator',
    overflowsWith: ['products'],
    compute: (v) => countsByKey(v.products),
  }),
  rolling({
    name: 'price_range_viewed',
    type: 'range',
    emptyValue: null,
    meaning: 'Lowest and highest price over all product views, "min-max".',
    origin: 'accelerator',
    compute: (v) => (v.minPrice < 0 ? null : ([v.minPrice, v.maxPrice] as const)),
  }),
  rolling({
    name: 'top_category',
    type: 'string',
    emptyValue: null,
    meaning:
      'Most frequent category (list names of list views and categories of product views); ties go to the latest.',
    origin: 'accelerator',
    overflowsWith: ['categories'],
    compute: (v) => mostViewedValue(v.categories),
  }),
  rolling({
    name: 'unique_categories',
    type: 'count',
    emptyValue: '0',
    meaning: 'Distinct categories (list names and product categories).',
    origin: 'accelerator',
    overflowsWith: ['categories'],
    compute: (v) => v.categories.size,
  }),
  rolling({
    name: 'cart_add_count',
    type: 'count',
    emptyValue: '0',
    meaning: 'add_to_cart events (events, not quantities).',
    origin: 'accelerator',
    compute: (v) => v.cartAdds,
  }),
  rolling({
    name: 'cart_remove_count',
    type: 'count',
    emptyValue: '0',
    meaning: 'remove_from_cart events.',
    origin: 'accelerator',
    compute: (v) => v.cartRemoves,
  }),
  rolling({
    name: 'cart_update_frequency',
    type: 'count',
    emptyValue: '0',
    meaning: 'Cart adds plus removes.',
    origin: 'accelerator',
    compute: (v) => v.cartAdds + v.cartRemoves,
  }),
  rolling({
    name: 'orders_count',
    type: 'count',
    emptyValue: '0',
    meaning:
      'Orders: transaction events, deduplicated by transaction_id (the accelerator inferred them from checkout steps).',
    origin: 'accelerator',
    overflowsWith: ['orders'],
    compute: (v) => v.orders.size,
  }),
  rolling({
    name: 'order_value',
    type: 'money',
    emptyValue: '0.00',
    meaning: 'Sum of order revenue.',
    origin: 'accelerator',
    overflowsWith: ['orders'],
    compute: (v) => {
      const { priced, revenue } = orderTotals(v);
      return priced === 0 ? null : revenue;
    },
  }),
  rolling({
    name: 'avg_order_value',
    type: 'money',
    emptyValue: '0.00',
    meaning: 'Order value divided by orders, rounded half-even.',
    origin: 'accelerator',
    overflowsWith: ['orders'],
    compute: (v) => {
      const { priced, revenue } = orderTotals(v);
      return priced === 0 ? null : divideHalfEven(revenue, priced);
    },
  }),
  rolling({
    name: 'cart_value',
    type: 'money',
    emptyValue: null,
    meaning: 'Current cart total: cart.total_value of the latest cart event; a later transaction empties it.',
    origin: 'documented',
    compute: (v) => {
      if (v.cartT < 0) return null;
      const emptiedByOrder = v.txnT >= 0 && (v.txnT > v.cartT || (v.txnT === v.cartT && v.txnId > v.cartId));
      return emptiedByOrder ? null : v.cartValue;
    },
  }),
  rolling({
    name: 'category_view_count',
    type: 'json',
    emptyValue: '{}',
    meaning: 'Views per category, as a JSON object (same counting as top_category).',
    origin: 'documented',
    overflowsWith: ['categories'],
    compute: (v) => countsByKey(v.categories),
  }),
  rolling({
    name: 'product_view_total',
    type: 'count',
    emptyValue: '0',
    meaning: 'Product views, not distinct.',
    origin: 'documented',
    compute: (v) => v.productViews,
  }),
  mostViewed({
    name: 'most_viewed_brand',
    attribute: 'brand',
    meaning: 'Brand with the most product views (every view counts); ties go to the latest view.',
    origin: 'tandem',
  }),
];

/**
 * Every product attribute some rolling feature tallies, in definition order: what the user lane keeps
 * of each product view beyond id, category and price (`WindowView.tallies` is indexed like this).
 */
export const TALLIED_ATTRIBUTES: readonly ProductAttribute[] = [
  ...new Set(ROLLING_FEATURES.flatMap((def) => (def.tally === undefined ? [] : [def.tally]))),
];

export const USER_FEATURES: readonly UserFeature[] = [
  {
    lane: 'user-unwindowed',
    name: 'last_cart_activity_at',
    window: '24h',
    type: 'epochMs',
    emptyValue: null,
    meaning: 'Event time (epoch ms) of the latest add/remove, so "cart idle for N s" is computed at read time.',
    origin: 'documented',
    compared: true,
    overflowsWith: [],
    compute: (v: WindowView) => (v.activityT < 0 ? null : v.activityT),
  } as UserFeature,
];

/** The span `session_peak_events_10s` counts events in, ms. */
export const PEAK_EVENTS_SPAN_MS = 10_000;

/**
 * The most events whose times lie within any span of `spanMs` (a half-open `[t, t + spanMs)`), over a
 * seen-event log (kept in time order): two pointers, one pass. 0 for an empty log.
 */
export function peakEventsWithin(seen: SeenEvents, spanMs: number): number {
  // The log holds [offset, id, offset, id, ...] with offsets from one base: compare offsets directly.
  const log = seen.log;
  let peak = 0;
  let start = 0;
  for (let end = 0; end < log.length; end += 2) {
    const oldestInSpan = (log[end] as number) - spanMs;
    while ((log[start] as number) <= oldestInSpan) start += 2;
    const count = ((end - start) >> 1) + 1;
    if (count > peak) peak = count;
  }
  return peak;
}

export const SESSION_FEATURES: readonly SessionFeature[] = [
  session({
    name: 'session_duration',
    type: 'durationMs',
    emptyValue: '0',
    meaning: 'Last minus first event time of the session, ms (never includes the 30-minute gap).',
    origin: 'accelerator',
    compared: true,
    compute: (s) => (s.firstT < 0 ? null : s.lastT - s.firstT),
  }),
  session({
    name: 'session_page_count',
    type: 'count',
    emptyValue: '0',
    meaning: 'Page views in the session.',
    origin: 'accelerator',
    compared: true,
    compute: (s) => s.pageViews,
  }),
  session({
    name: 'session_bounce',
    type: 'boolean',
    emptyValue: 'true',
    meaning: '"true" when the session has fewer than 2 page views (0 included).',
    origin: 'accelerator',
    compared: true,
    compute: (s) => (s.firstT < 0 ? null : s.pageViews < 2),
  }),
  session({
    name: 'session_marketing_campaign',
    type: 'string',
    emptyValue: null,
    meaning: 'mkt_campaign of the first event (by time, event id) with a non-empty one.',
    origin: 'accelerator',
    compared: true,
    compute: (s) => (s.campaignT < 0 ? null : s.campaign),
  }),
  session({
    name: 'session_cart_ratio',
    type: 'ratio',
    emptyValue: null,
    meaning: 'add_to_cart events divided by product_view events, 2 decimals (the accelerator divided integers).',
    origin: 'accelerator',
    compared: true,
    compute: (s) => (s.productViews === 0 ? null : divideHalfEven(s.cartAdds * 100, s.productViews)),
  }),
  session({
    name: 'session_search_count',
    type: 'count',
    emptyValue: '0',
    meaning: 'Page views whose URL contains "/search?q=".',
    origin: 'accelerator',
    compared: true,
    compute: (s) => s.searchPageViews,
  }),
  session({
    name: 'shopper_device_types',
    type: 'json',
    emptyValue: '[]',
    meaning: 'Distinct device classes (Desktop, Phone, Tablet, Other) from the user agent, as a JSON array.',
    origin: 'accelerator',
    compared: false,
    compute: (s) => (s.deviceClasses.length === 0 ? null : [...s.deviceClasses]),
  }),
  session({
    name: 'shopper_latest_platform',
    type: 'string',
    emptyValue: null,
    meaning: 'Snowplow platform of the latest event.',
    origin: 'accelerator',
    compared: true,
    compute: (s) => (s.platformT < 0 ? null : s.platform),
  }),
  session({
    name: 'shopper_locations',
    type: 'json',
    emptyValue: '[]',
    meaning: 'Distinct "country/region" locations seen, as a JSON array (IP geolocation).',
    origin: 'documented',
    compared: false,
    compute: (s) => {
      const { locations } = geoSummary(s);
      return locations.length === 0 ? null : locations;
    },
  }),
  session({
    name: 'shopper_region_changes',
    type: 'count',
    emptyValue: '0',
    meaning: 'Changes of location between consecutive geo-carrying events, by time.',
    origin: 'documented',
    compared: false,
    compute: (s) => geoSummary(s).changes,
  }),
  session({
    name: 'session_peak_events_10s',
    type: 'count',
    emptyValue: '0',
    meaning:
      'The most events of the session within any 10 seconds of event time (feature digests excluded): a pace no human keeps marks a bot (bots.ts).',
    origin: 'tandem',
    compared: true,
    compute: (s) => (s.firstT < 0 ? null : peakEventsWithin(s.seen, PEAK_EVENTS_SPAN_MS)),
  }),
];

/** Every definition, in catalogue order. */
export const FEATURE_DEFINITIONS: readonly FeatureDefinition[] = [
  ...ROLLING_FEATURES,
  ...USER_FEATURES,
  ...SESSION_FEATURES,
];

/**
 * Whether any capped set a feature reads overflowed (then it is left out of comparison). When the
 * lane's event-id set overflowed, duplicates may have counted twice: every feature is affected.
 */
export function hasOverflowed(def: FeatureDefinition, overflow: number): boolean {
  if ((overflow & OVERFLOW.events) !== 0) return true;
  return def.overflowsWith.some((name) => (overflow & OVERFLOW[name]) !== 0);
}
