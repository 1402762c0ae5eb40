/**
 * The user lane: rolling 5 m / 1 h / 24 h windows per user key (product, category, cart and
 * purchase lanes of the accelerator). State is a set of tiles per window; each tile holds mergeable
 * aggregates of the events whose time falls in it, so state is bounded by tiles × caps whatever the
 * event count, and any order of the same events gives the same tiles.
 *
 * Functions here mutate the lane they are given (the hot path applies hundreds of thousands of
 * events a second); evaluation never mutates.
 */
import type { ShopperEvent } from '../event.js';
import { hash53 } from '../hash.js';
import { type EngineConfig, LIMITS, toBaseMinor } from './config.js';
import {
  isAfter,
  isTileInWindow,
  LONGEST_WINDOW,
  tileIndex,
  tileLeavesAtMs,
  WINDOWS,
  type WindowSpec,
} from './windows.js';

/** Overflow flags: which capped set dropped values (FEATURES.md "Caps"). */
export const OVERFLOW = { products: 1, categories: 2, orders: 4, events: 8 } as const;
export type OverflowName = keyof typeof OVERFLOW;

/** Views of one product id. Prices are base-currency minor units; -1 means none. */
export interface ProductStat {
  views: number;
  /** First view that had a usable price, by (time, event id); -1 when none. */
  firstT: number;
  firstId: string;
  firstPrice: number;
  /** Latest view, by (time, event id): decides which ids a cap drops. */
  lastT: number;
  lastId: string;
}

export interface CategoryStat {
  views: number;
  lastT: number;
  lastId: string;
}

/** One order, deduplicated by transaction id: the first event of it, by (time, event id). */
export interface OrderStat {
  t: number;
  id: string;
  /** Revenue in base minor units; -1 when its currency has no rate. */
  revenue: number;
}

/** Aggregates of the events in one tile (and, merged, of a whole window). */
export interface Tile {
  productViews: number;
  /** Min and max price over all priced product views; -1 when none. */
  minPrice: number;
  maxPrice: number;
  products: Map<string, ProductStat>;
  categories: Map<string, CategoryStat>;
  cartAdds: number;
  cartRemoves: number;
  /** Latest add/remove with a usable cart value, by (time, event id); cartT -1 when none. */
  cartT: number;
  cartId: string;
  cartValue: number;
  /** Time of the latest add/remove; -1 when none. */
  activityT: number;
  /** Latest transaction, by (time, event id): it empties the cart value; txnT -1 when none. */
  txnT: number;
  txnId: string;
  orders: Map<string, OrderStat>;
  overflow: number;
}

export interface UserLane {
  readonly userKey: string;
  /** Per window (in `WINDOWS` order): tile index → tile. */
  readonly windows: Map<number, Tile>[];
  /** 24 h tile index → hashes of the event ids applied in it (deduplication). */
  readonly seen: Map<number, Set<number>>;
  /** 24 h tiles below this index were pruned: events there can no longer count. */
  prunedBelow: number;
  /** Events applied (duplicates and ignored events excluded). */
  eventsApplied: number;
  /** Latest event time applied, epoch ms; -1 before any. */
  latestEventMs: number;
  overflow: number;
}

/** What applying an event did. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'ignored' | 'expired';

/** Event types the user lane reads; every other event leaves it untouched. */
export function isUserLaneEvent(event: ShopperEvent): boolean {
  switch (event.type) {
    case 'product_view':
    case 'list_view':
    case 'add_to_cart':
    case 'remove_from_cart':
    case 'transaction':
      return true;
    default:
      return false;
  }
}

export function createUserLane(userKey: string): UserLane {
  return {
    userKey,
    windows: WINDOWS.map(() => new Map<number, Tile>()),
    seen: new Map(),
    prunedBelow: Number.NEGATIVE_INFINITY,
    eventsApplied: 0,
    latestEventMs: -1,
    overflow: 0,
  };
}

export function createTile(): Tile {
  return {
    productViews: 0,
    minPrice: -1,
    maxPrice: -1,
    products: new Map(),
    categories: new Map(),
    cartAdds: 0,
    cartRemoves: 0,
    cartT: -1,
    cartId: '',
    cartValue: 0,
    activityT: -1,
    txnT: -1,
    txnId: '',
    orders: new Map(),
    overflow: 0,
  };
}

/** Drops the entry whose latest occurrence is oldest, by (time, event id). */
function dropOldest<V extends { lastT: number; lastId: string }>(map: Map<string, V>): void {
  let oldestKey: string | undefined;
  let oldest: V | undefined;
  for (const [key, value] of map) {
    if (oldest === undefined || isAfter(oldest.lastT, oldest.lastId, value.lastT, value.lastId)) {
      oldestKey = key;
      oldest = value;
    }
  }
  if (oldestKey !== undefined) map.delete(oldestKey);
}

function addProductView(tile: Tile, productId: string, t: number, id: string, price: number, views = 1): void {
  let stat = tile.products.get(productId);
  if (stat === undefined) {
    stat = { views: 0, firstT: -1, firstId: '', firstPrice: -1, lastT: t, lastId: id };
    tile.products.set(productId, stat);
    if (tile.products.size > LIMITS.distinctValues) {
      dropOldest(tile.products);
      tile.overflow |= OVERFLOW.products;
    }
  } else if (isAfter(t, id, stat.lastT, stat.lastId)) {
    stat.lastT = t;
    stat.lastId = id;
  }
  stat.views += views;
  if (price >= 0 && (stat.firstT < 0 || isAfter(stat.firstT, stat.firstId, t, id))) {
    stat.firstT = t;
    stat.firstId = id;
    stat.firstPrice = price;
  }
}

function addCategoryView(tile: Tile, category: string, t: number, id: string, views = 1): void {
  let stat = tile.categories.get(category);
  if (stat === undefined) {
    stat = { views: 0, lastT: t, lastId: id };
    tile.categories.set(category, stat);
    if (tile.categories.size > LIMITS.distinctValues) {
      dropOldest(tile.categories);
      tile.overflow |= OVERFLOW.categories;
    }
  } else if (isAfter(t, id, stat.lastT, stat.lastId)) {
    stat.lastT = t;
    stat.lastId = id;
  }
  stat.views += views;
}

function addOrder(tile: Tile, transactionId: string, order: OrderStat): void {
  const existing = tile.orders.get(transactionId);
  if (existing === undefined) {
    if (tile.orders.size >= LIMITS.distinctValues) {
      tile.overflow |= OVERFLOW.orders;
      return;
    }
    tile.orders.set(transactionId, { ...order });
  } else if (isAfter(existing.t, existing.id, order.t, order.id)) {
    existing.t = order.t;
    existing.id = order.id;
    existing.revenue = order.revenue;
  }
}

function applyToTile(tile: Tile, event: ShopperEvent, config: EngineConfig): void {
  const t = event.eventTimeMs;
  const id = event.eventId;
  switch (event.type) {
    case 'product_view': {
      // A product view describes one product: the first product entity.
      const product = event.products[0];
      if (product === undefined) return;
      const price = toBaseMinor(product.priceMinor, product.currency, config) ?? -1;
      tile.productViews++;
      if (price >= 0) {
        if (tile.minPrice < 0 || price < tile.minPrice) tile.minPrice = price;
        if (price > tile.maxPrice) tile.maxPrice = price;
      }
      addProductView(tile, product.id, t, id, price);
      addCategoryView(tile, product.category, t, id);
      return;
    }
    case 'list_view':
      if (event.listName !== null) addCategoryView(tile, event.listName, t, id);
      return;
    case 'add_to_cart':
    case 'remove_from_cart': {
      if (event.type === 'add_to_cart') tile.cartAdds++;
      else tile.cartRemoves++;
      if (t > tile.activityT) tile.activityT = t;
      const cart = event.cart;
      const value = cart === null ? null : toBaseMinor(cart.totalValueMinor, cart.currency, config);
      if (value !== null && (tile.cartT < 0 || isAfter(t, id, tile.cartT, tile.cartId))) {
        tile.cartT = t;
        tile.cartId = id;
        tile.cartValue = value;
      }
      return;
    }
    case 'transaction': {
      const transaction = event.transaction;
      if (transaction === null) return;
      if (tile.txnT < 0 || isAfter(t, id, tile.txnT, tile.txnId)) {
        tile.txnT = t;
        tile.txnId = id;
      }
      const revenue = toBaseMinor(transaction.revenueMinor, transaction.currency, config) ?? -1;
      addOrder(tile, transaction.transactionId, { t, id, revenue });
      return;
    }
    default:
      return;
  }
}

/**
 * Applies one event to a user lane (mutating it). Duplicate event ids are applied once; events of
 * types the lane does not read are `ignored`; an event older than every window at the last prune is
 * `expired` (it could not change any value). There is no lateness cut-off otherwise.
 */
export function applyToUserLane(lane: UserLane, event: ShopperEvent, config: EngineConfig): ApplyOutcome {
  if (!isUserLaneEvent(event)) return 'ignored';
  const t = event.eventTimeMs;
  const dedupTile = tileIndex(t, LONGEST_WINDOW.tileMs);
  if (dedupTile < lane.prunedBelow) return 'expired';
  let ids = lane.seen.get(dedupTile);
  if (ids === undefined) {
    ids = new Set();
    lane.seen.set(dedupTile, ids);
  }
  const idHash = hash53(event.eventId);
  if (ids.has(idHash)) return 'duplicate';
  // Past the cap an event is still applied, but duplicates can no longer be recognised.
  if (ids.size < LIMITS.userEventIdsPerTile) ids.add(idHash);
  else lane.overflow |= OVERFLOW.events;

  for (let w = 0; w < WINDOWS.length; w++) {
    const spec = WINDOWS[w] as WindowSpec;
    const tiles = lane.windows[w] as Map<number, Tile>;
    const index = tileIndex(t, spec.tileMs);
    let tile = tiles.get(index);
    if (tile === undefined) {
      tile = createTile();
      tiles.set(index, tile);
    }
    applyToTile(tile, event, config);
  }
  lane.eventsApplied++;
  if (t > lane.latestEventMs) lane.latestEventMs = t;
  return 'applied';
}

function mergeStat<V extends { views: number; lastT: number; lastId: string }>(
  into: Map<string, V>,
  key: string,
  from: V,
  copy: (v: V) => V,
  merge: (a: V, b: V) => void,
): void {
  const existing = into.get(key);
  if (existing === undefined) {
    into.set(key, copy(from));
    return;
  }
  existing.views += from.views;
  if (isAfter(from.lastT, from.lastId, existing.lastT, existing.lastId)) {
    existing.lastT = from.lastT;
    existing.lastId = from.lastId;
  }
  merge(existing, from);
}

function mergeTile(into: Tile, from: Tile): void {
  into.productViews += from.productViews;
  if (from.minPrice >= 0 && (into.minPrice < 0 || from.minPrice < into.minPrice)) into.minPrice = from.minPrice;
  if (from.maxPrice > into.maxPrice) into.maxPrice = from.maxPrice;
  for (const [key, stat] of from.products) {
    mergeStat(
      into.products,
      key,
      stat,
      (s) => ({ ...s }),
      (a, b) => {
        if (b.firstT >= 0 && (a.firstT < 0 || isAfter(a.firstT, a.firstId, b.firstT, b.firstId))) {
          a.firstT = b.firstT;
          a.firstId = b.firstId;
          a.firstPrice = b.firstPrice;
        }
      },
    );
  }
  for (const [key, stat] of from.categories) {
    mergeStat(
      into.categories,
      key,
      stat,
      (s) => ({ ...s }),
      () => {},
    );
  }
  into.cartAdds += from.cartAdds;
  into.cartRemoves += from.cartRemoves;
  if (from.cartT >= 0 && (into.cartT < 0 || isAfter(from.cartT, from.cartId, into.cartT, into.cartId))) {
    into.cartT = from.cartT;
    into.cartId = from.cartId;
    into.cartValue = from.cartValue;
  }
  if (from.activityT > into.activityT) into.activityT = from.activityT;
  if (from.txnT >= 0 && (into.txnT < 0 || isAfter(from.txnT, from.txnId, into.txnT, into.txnId))) {
    into.txnT = from.txnT;
    into.txnId = from.txnId;
  }
  for (const [key, order] of from.orders) {
    const existing = into.orders.get(key);
    if (existing === undefined) into.orders.set(key, { ...order });
    else if (isAfter(existing.t, existing.id, order.t, order.id)) Object.assign(existing, order);
  }
  into.overflow |= from.overflow;
}

/** A window's merged aggregates at an evaluation time: what feature definitions read. */
export type WindowView = Tile;

/**
 * Merges the tiles of window `w` that are in the window at `atMs` (pure: the lane is not changed).
 * Applies the window-level caps, so a window never holds more than `LIMITS.distinctValues` values.
 */
export function windowView(lane: UserLane, w: number, atMs: number): WindowView {
  const spec = WINDOWS[w] as WindowSpec;
  const view = createTile();
  for (const [index, tile] of lane.windows[w] as Map<number, Tile>) {
    if (isTileInWindow(index, atMs, spec)) mergeTile(view, tile);
  }
  while (view.products.size > LIMITS.distinctValues) {
    dropOldest(view.products);
    view.overflow |= OVERFLOW.products;
  }
  while (view.categories.size > LIMITS.distinctValues) {
    dropOldest(view.categories);
    view.overflow |= OVERFLOW.categories;
  }
  if (view.orders.size > LIMITS.distinctValues) view.overflow |= OVERFLOW.orders;
  view.overflow |= lane.overflow;
  return view;
}

/**
 * The next time after `atMs` at which some value of the lane changes by time alone: a tile holding
 * events leaves its window, or a tile stamped in the future enters it. Null when nothing will change.
 * A writer schedules exactly one timer per key from this.
 */
export function nextUserChangeAtMs(lane: UserLane, atMs: number): number | null {
  let next = Number.POSITIVE_INFINITY;
  for (let w = 0; w < WINDOWS.length; w++) {
    const spec = WINDOWS[w] as WindowSpec;
    const current = tileIndex(atMs, spec.tileMs);
    for (const index of (lane.windows[w] as Map<number, Tile>).keys()) {
      const changeAt = index > current ? index * spec.tileMs : tileLeavesAtMs(index, spec);
      if (changeAt > atMs && changeAt < next) next = changeAt;
    }
  }
  return Number.isFinite(next) ? next : null;
}

/**
 * When window `w`'s keys expire: when the window would be empty again, i.e. when the latest tile
 * holding events leaves it. Null when the window holds no events.
 */
export function windowExpiresAtMs(lane: UserLane, w: number): number | null {
  const spec = WINDOWS[w] as WindowSpec;
  let latest = Number.NEGATIVE_INFINITY;
  for (const index of (lane.windows[w] as Map<number, Tile>).keys()) if (index > latest) latest = index;
  return Number.isFinite(latest) ? tileLeavesAtMs(latest, spec) : null;
}

/**
 * Frees what no evaluation at or after `nowMs` can need: tiles that have left their windows and
 * the event ids of 24 h tiles that have. Evaluating at a time before `nowMs` afterwards is not
 * supported (those tiles are gone). Returns true when the lane is now empty.
 */
export function pruneUserLane(lane: UserLane, nowMs: number): boolean {
  let empty = true;
  for (let w = 0; w < WINDOWS.length; w++) {
    const spec = WINDOWS[w] as WindowSpec;
    const oldest = tileIndex(nowMs, spec.tileMs) - spec.tiles + 1;
    const tiles = lane.windows[w] as Map<number, Tile>;
    for (const index of tiles.keys()) if (index < oldest) tiles.delete(index);
    if (tiles.size > 0) empty = false;
  }
  const oldestDedup = tileIndex(nowMs, LONGEST_WINDOW.tileMs) - LONGEST_WINDOW.tiles + 1;
  for (const index of lane.seen.keys()) if (index < oldestDedup) lane.seen.delete(index);
  if (oldestDedup > lane.prunedBelow) lane.prunedBelow = oldestDedup;
  return empty;
}
