/**
 * The user lane: rolling 5 m / 1 h / 24 h windows per user key (product, category, cart and
 * purchase lanes of the accelerator).
 *
 * State has two parts with the same meaning. Recent events stay as compact facts (one small record
 * each, at most `LIMITS.userFacts`): applying an event is a push, and most shoppers never have more.
 * When the facts fill up they are folded into tiles: per window, one tile per epoch-aligned tile
 * index, holding mergeable aggregates, so state stays bounded by tiles × caps however many events a
 * shopper sends. A value is computed from the tiles and the facts in the window alike, so it does
 * not depend on when folding happened, nor on arrival order.
 *
 * Functions here mutate the lane they are given (the hot path applies hundreds of thousands of
 * events a second); evaluation never mutates.
 */
import { TALLIED_ATTRIBUTES } from '../definitions.js';
import type { ShopperEvent } from '../event.js';
import { type EngineConfig, LIMITS, OVERFLOW, toBaseMinor } from './config.js';
import {
  createSeenEvents,
  DUPLICATE,
  FULL,
  forgetSeenBefore,
  markSeen,
  type SeenEvents,
  seenCount,
  seenId,
  seenTime,
} from './seen-events.js';
import {
  isAfter,
  isTileInWindow,
  LONGEST_WINDOW,
  tileIndex,
  tileLeavesAtMs,
  WINDOWS,
  type WindowSpec,
} from './windows.js';

export { OVERFLOW, type OverflowName } from './config.js';

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

/** Views of one value of a tallied product attribute (a brand): counted like categories. */
export type TallyStat = CategoryStat;

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
  /** Created on first use: most tiles hold one or two events, so allocation matters. */
  products: Map<string, ProductStat> | null;
  categories: Map<string, CategoryStat> | null;
  /**
   * Per tallied attribute (`TALLIED_ATTRIBUTES` order): attribute value → views. Null until a
   * product view with one of them lands here; an entry is null until its attribute has a value.
   */
  tallies: (Map<string, TallyStat> | null)[] | null;
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
  orders: Map<string, OrderStat> | null;
  overflow: number;
}

export interface UserLane {
  readonly userKey: string;
  /** Recent events not yet folded into tiles. */
  readonly facts: Fact[];
  /** Per window (in `WINDOWS` order): tile index → tile. */
  readonly windows: Map<number, Tile>[];
  /** Events applied, for deduplication (pruned with the 24 h window). */
  readonly seen: SeenEvents;
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

/** What the user lane keeps of one event. */
export const FACT_KINDS = ['product_view', 'list_view', 'add_to_cart', 'remove_from_cart', 'transaction'] as const;
export type FactKind = (typeof FACT_KINDS)[number];

/** One event, reduced to what user features read; money already in base minor units (-1 = none). */
export interface Fact {
  readonly t: number;
  readonly id: string;
  readonly kind: FactKind;
  /** Product id (product_view) or transaction id (transaction); '' otherwise. */
  readonly key: string;
  /** Category (product_view) or list name (list_view); null when none (a list without a name). */
  readonly category: string | null;
  /** Product price, cart total or revenue; -1 when absent or its currency has no rate. */
  readonly money: number;
  /**
   * product_view: the product's value of each tallied attribute (`TALLIED_ATTRIBUTES` order), null
   * when absent or empty; null for other kinds and when no definition tallies anything.
   */
  readonly attrs: readonly (string | null)[] | null;
}

/** Event types the user lane reads; every other event leaves it untouched. */
export function isUserLaneEvent(event: ShopperEvent): boolean {
  return (FACT_KINDS as readonly string[]).includes(event.type);
}

/** Reduces an event to its fact, or null when the user lane does not read it. */
export function factOf(event: ShopperEvent, config: EngineConfig): Fact | null {
  const t = event.eventTimeMs;
  const id = event.eventId;
  switch (event.type) {
    case 'product_view': {
      // A product view describes one product: the first product entity.
      const p = event.products[0];
      if (p === undefined) return null;
      const money = toBaseMinor(p.priceMinor, p.currency, config) ?? -1;
      // An empty attribute is no attribute: "" never wins a tally.
      const attrs = TALLIED_ATTRIBUTES.length === 0 ? null : TALLIED_ATTRIBUTES.map((name) => p[name] || null);
      return { t, id, kind: 'product_view', key: p.id, category: p.category, money, attrs };
    }
    case 'list_view':
      return { t, id, kind: 'list_view', key: '', category: event.listName, money: -1, attrs: null };
    case 'add_to_cart':
    case 'remove_from_cart': {
      const cart = event.cart;
      const money = cart === null ? -1 : (toBaseMinor(cart.totalValueMinor, cart.currency, config) ?? -1);
      return { t, id, kind: event.type, key: '', category: null, money, attrs: null };
    }
    case 'transaction': {
      const x = event.transaction;
      if (x === null) return null;
      const money = toBaseMinor(x.revenueMinor, x.currency, config) ?? -1;
      return { t, id, kind: 'transaction', key: x.transactionId, category: null, money, attrs: null };
    }
    default:
      return null;
  }
}

export function createUserLane(userKey: string): UserLane {
  return {
    userKey,
    facts: [],
    windows: WINDOWS.map(() => new Map<number, Tile>()),
    seen: createSeenEvents(),
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
    products: null,
    categories: null,
    tallies: null,
    cartAdds: 0,
    cartRemoves: 0,
    cartT: -1,
    cartId: '',
    cartValue: 0,
    activityT: -1,
    txnT: -1,
    txnId: '',
    orders: null,
    overflow: 0,
  };
}

/** A window's merged aggregates at an evaluation time: what feature definitions read. */
export interface WindowView extends Tile {
  products: Map<string, ProductStat>;
  categories: Map<string, CategoryStat>;
  /** One map per tallied attribute, in `TALLIED_ATTRIBUTES` order. */
  tallies: Map<string, TallyStat>[];
  orders: Map<string, OrderStat>;
}

function createView(): WindowView {
  return {
    ...createTile(),
    products: new Map(),
    categories: new Map(),
    tallies: TALLIED_ATTRIBUTES.map(() => new Map()),
    orders: new Map(),
  };
}

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

/**
 * The stat of `key` in a tile's capped map, created when new. Past `LIMITS.distinctValues` the entry
 * whose latest view is oldest goes and the tile's `overflow` bit is set. Keeps the latest view stamp.
 */
function viewStat<V extends { views: number; lastT: number; lastId: string }>(
  tile: Tile,
  map: Map<string, V>,
  key: string,
  t: number,
  id: string,
  create: () => V,
  overflowBit: number,
): V {
  let stat = map.get(key);
  if (stat === undefined) {
    stat = create();
    map.set(key, stat);
    if (map.size > LIMITS.distinctValues) {
      dropOldest(map);
      tile.overflow |= overflowBit;
    }
  } else if (isAfter(t, id, stat.lastT, stat.lastId)) {
    stat.lastT = t;
    stat.lastId = id;
  }
  stat.views++;
  return stat;
}

function addProductView(tile: Tile, productId: string, t: number, id: string, price: number): void {
  tile.products ??= new Map();
  const newStat = () => ({ views: 0, firstT: -1, firstId: '', firstPrice: -1, lastT: t, lastId: id });
  const stat = viewStat(tile, tile.products, productId, t, id, newStat, OVERFLOW.products);
  if (price >= 0 && (stat.firstT < 0 || isAfter(stat.firstT, stat.firstId, t, id))) {
    stat.firstT = t;
    stat.firstId = id;
    stat.firstPrice = price;
  }
}

function addCategoryView(tile: Tile, category: string, t: number, id: string): void {
  tile.categories ??= new Map();
  viewStat(tile, tile.categories, category, t, id, () => ({ views: 0, lastT: t, lastId: id }), OVERFLOW.categories);
}

function addTallyView(tile: Tile, attribute: number, value: string, t: number, id: string): void {
  tile.tallies ??= TALLIED_ATTRIBUTES.map(() => null);
  let map = tile.tallies[attribute];
  if (map === null || map === undefined) {
    map = new Map();
    tile.tallies[attribute] = map;
  }
  viewStat(tile, map, value, t, id, () => ({ views: 0, lastT: t, lastId: id }), OVERFLOW.tallies);
}

function addOrder(tile: Tile, transactionId: string, order: OrderStat): void {
  tile.orders ??= new Map();
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

/** Adds one fact to a tile (or a window view). */
function addFact(tile: Tile, f: Fact): void {
  const { t, id } = f;
  switch (f.kind) {
    case 'product_view':
      tile.productViews++;
      if (f.money >= 0) {
        if (tile.minPrice < 0 || f.money < tile.minPrice) tile.minPrice = f.money;
        if (f.money > tile.maxPrice) tile.maxPrice = f.money;
      }
      addProductView(tile, f.key, t, id, f.money);
      if (f.category !== null) addCategoryView(tile, f.category, t, id);
      if (f.attrs !== null) {
        for (let a = 0; a < f.attrs.length; a++) {
          const value = f.attrs[a];
          if (value !== null && value !== undefined) addTallyView(tile, a, value, t, id);
        }
      }
      return;
    case 'list_view':
      // A list view without a name counts nowhere.
      if (f.category !== null) addCategoryView(tile, f.category, t, id);
      return;
    case 'add_to_cart':
    case 'remove_from_cart':
      if (f.kind === 'add_to_cart') tile.cartAdds++;
      else tile.cartRemoves++;
      if (t > tile.activityT) tile.activityT = t;
      if (f.money >= 0 && (tile.cartT < 0 || isAfter(t, id, tile.cartT, tile.cartId))) {
        tile.cartT = t;
        tile.cartId = id;
        tile.cartValue = f.money;
      }
      return;
    case 'transaction':
      if (tile.txnT < 0 || isAfter(t, id, tile.txnT, tile.txnId)) {
        tile.txnT = t;
        tile.txnId = id;
      }
      addOrder(tile, f.key, { t, id, revenue: f.money });
      return;
  }
}

/** Folds every fact into the tiles of every window and empties the fact list. */
export function foldFacts(lane: UserLane): void {
  tilesChanged(lane);
  for (let w = 0; w < WINDOWS.length; w++) {
    const spec = WINDOWS[w] as WindowSpec;
    const tiles = lane.windows[w] as Map<number, Tile>;
    for (const fact of lane.facts) {
      const index = tileIndex(fact.t, spec.tileMs);
      let tile = tiles.get(index);
      if (tile === undefined) {
        tile = createTile();
        tiles.set(index, tile);
      }
      addFact(tile, fact);
    }
  }
  lane.facts.length = 0;
}

/**
 * Applies one event to a user lane (mutating it). Duplicate event ids are applied once; events of
 * types the lane does not read are `ignored`; an event older than every window at the last prune is
 * `expired` (it could not change any value). There is no lateness cut-off otherwise.
 */
export function applyToUserLane(lane: UserLane, event: ShopperEvent, config: EngineConfig): ApplyOutcome {
  const fact = factOf(event, config);
  if (fact === null) return 'ignored';
  const dedupTile = tileIndex(fact.t, LONGEST_WINDOW.tileMs);
  if (dedupTile < lane.prunedBelow) return 'expired';
  const seen = markSeen(lane.seen, fact.t, fact.id, LIMITS.userEventIds);
  if (seen === DUPLICATE) return 'duplicate';
  // Past the cap an event is still applied, but duplicates can no longer be recognised.
  if (seen === FULL) lane.overflow |= OVERFLOW.events;
  lane.facts.push(fact);
  if (lane.facts.length >= LIMITS.userFacts) foldFacts(lane);
  lane.eventsApplied++;
  if (fact.t > lane.latestEventMs) lane.latestEventMs = fact.t;
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

function mergeTile(into: WindowView, from: Tile): void {
  into.productViews += from.productViews;
  if (from.minPrice >= 0 && (into.minPrice < 0 || from.minPrice < into.minPrice)) into.minPrice = from.minPrice;
  if (from.maxPrice > into.maxPrice) into.maxPrice = from.maxPrice;
  for (const [key, stat] of from.products ?? []) {
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
  for (const [key, stat] of from.categories ?? []) {
    mergeStat(
      into.categories,
      key,
      stat,
      (s) => ({ ...s }),
      () => {},
    );
  }
  if (from.tallies !== null) {
    for (let a = 0; a < from.tallies.length; a++) {
      const target = into.tallies[a];
      if (target === undefined) continue;
      for (const [key, stat] of from.tallies[a] ?? []) {
        mergeStat(
          target,
          key,
          stat,
          (s) => ({ ...s }),
          () => {},
        );
      }
    }
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
  for (const [key, order] of from.orders ?? []) {
    const existing = into.orders.get(key);
    if (existing === undefined) into.orders.set(key, { ...order });
    else if (isAfter(existing.t, existing.id, order.t, order.id)) Object.assign(existing, order);
  }
  into.overflow |= from.overflow;
}

/**
 * Tiles change only when facts are folded into them or pruned, while a shopper's lane is evaluated
 * on every event (the browser) or every batch (the aggregator). So each lane keeps, per window, the
 * merge of the tiles of the last evaluated range, valid until its tiles change (`tilesVersion`) or
 * the range moves to another tile: an evaluation then costs one copy of that merge plus the facts,
 * not a merge of up to 96 tiles. Kept beside the lane (a WeakMap), never in its state or wire format.
 */
interface MergedTiles {
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly view: WindowView;
}
const tilesVersions = new WeakMap<UserLane, number>();
const mergedTiles = new WeakMap<UserLane, (MergedTiles | undefined)[]>();

function tilesChanged(lane: UserLane): void {
  tilesVersions.set(lane, (tilesVersions.get(lane) ?? 0) + 1);
}

/** The merge of the tiles of window `w` in the window at `atMs`, shared: callers copy it. */
function mergedTilesAt(lane: UserLane, w: number, atMs: number): WindowView {
  const spec = WINDOWS[w] as WindowSpec;
  const to = tileIndex(atMs, spec.tileMs);
  const from = to - spec.tiles + 1;
  const version = tilesVersions.get(lane) ?? 0;
  let cache = mergedTiles.get(lane);
  const hit = cache?.[w];
  if (hit !== undefined && hit.version === version && hit.from === from && hit.to === to) return hit.view;
  const view = createView();
  for (const [index, tile] of lane.windows[w] as Map<number, Tile>) {
    if (index >= from && index <= to) mergeTile(view, tile);
  }
  if (cache === undefined) {
    cache = [];
    mergedTiles.set(lane, cache);
  }
  cache[w] = { version, from, to, view };
  return view;
}

/**
 * Merges the tiles and facts of window `w` that are in the window at `atMs` (pure: the lane is not
 * changed). Applies the window-level caps, so a window never holds more than
 * `LIMITS.distinctValues` values.
 */
export function windowView(lane: UserLane, w: number, atMs: number): WindowView {
  const spec = WINDOWS[w] as WindowSpec;
  const view = createView();
  mergeTile(view, mergedTilesAt(lane, w, atMs));
  for (const fact of lane.facts) {
    if (isTileInWindow(tileIndex(fact.t, spec.tileMs), atMs, spec)) addFact(view, fact);
  }
  while (view.products.size > LIMITS.distinctValues) {
    dropOldest(view.products);
    view.overflow |= OVERFLOW.products;
  }
  while (view.categories.size > LIMITS.distinctValues) {
    dropOldest(view.categories);
    view.overflow |= OVERFLOW.categories;
  }
  for (const tally of view.tallies) {
    while (tally.size > LIMITS.distinctValues) {
      dropOldest(tally);
      view.overflow |= OVERFLOW.tallies;
    }
  }
  if (view.orders.size > LIMITS.distinctValues) view.overflow |= OVERFLOW.orders;
  view.overflow |= lane.overflow;
  return view;
}

/**
 * The lane's latest applied event by (time, event id), or null before any: the event a redemption
 * claim names when a rule fires (the state right after it is the state the rule was evaluated on).
 */
export function latestUserLaneEvent(lane: UserLane): { readonly eventId: string; readonly eventTimeMs: number } | null {
  const n = seenCount(lane.seen);
  return n === 0 ? null : { eventId: seenId(lane.seen, n - 1), eventTimeMs: seenTime(lane.seen, n - 1) };
}

/** A point in the (time, event id) order of events: "up to and including this event". */
export interface EventPosition {
  readonly t: number;
  readonly id: string;
}

/** A user lane cut at a position, with the windows where the cut could not be exact. */
export interface UserLaneCut {
  readonly lane: UserLane;
  /** Windows (`WINDOWS` order) whose cut-off tile also holds later, already folded events. */
  readonly inexactWindows: readonly number[];
}

/**
 * A copy of the lane holding only the events up to and including `upTo` (by (time, event id)):
 * facts after it and tiles after its tile are left out. Facts are exact; a tile is all or nothing,
 * so events after the cut already folded into the cut's own tile stay in (that window is listed in
 * `inexactWindows`). Folding happens every `LIMITS.userFacts` events, so that needs a fold between
 * the cut and a later event within one tile (10 s for 5 m windows, 1 min for 1 h, 15 min for 24 h).
 * Shares tiles with `lane` (neither is mutated by evaluation).
 */
export function userLaneUpTo(lane: UserLane, upTo: EventPosition): UserLaneCut {
  const seen = lane.seen;
  // First seen pair after the cut: the events whose folding makes a tile inexact start there.
  let after = seenCount(seen);
  while (after > 0 && isAfter(seenTime(seen, after - 1), seenId(seen, after - 1), upTo.t, upTo.id)) after--;
  // Nothing after the cut (the usual case: a digest sent when the shopper paused): the lane itself,
  // whose cached tile merges evaluation can reuse.
  if (after === seenCount(seen) && !lane.facts.some((fact) => isAfter(fact.t, fact.id, upTo.t, upTo.id)))
    return { lane, inexactWindows: [] };
  const facts = lane.facts.filter((fact) => !isAfter(fact.t, fact.id, upTo.t, upTo.id));
  const factIds = new Set(lane.facts.map((fact) => fact.id));
  const inexactWindows: number[] = [];
  const windows = lane.windows.map((tiles, w) => {
    const spec = WINDOWS[w] as WindowSpec;
    const last = tileIndex(upTo.t, spec.tileMs);
    const kept = new Map<number, Tile>();
    for (const [index, tile] of tiles) if (index <= last) kept.set(index, tile);
    // A later event in the same tile that is no longer a fact was folded into that tile.
    if (kept.has(last)) {
      for (let i = after; i < seenCount(seen); i++) {
        if (tileIndex(seenTime(seen, i), spec.tileMs) !== last) break;
        if (!factIds.has(seenId(seen, i))) {
          inexactWindows.push(w);
          break;
        }
      }
    }
    return kept;
  });
  return { lane: { ...lane, facts, windows, latestEventMs: Math.min(lane.latestEventMs, upTo.t) }, inexactWindows };
}

/** The time of event `eventId` in the lane's seen-event log; null when the lane has not applied it. */
export function seenEventTime(seen: SeenEvents, eventId: string): number | null {
  for (let i = seenCount(seen) - 1; i >= 0; i--) if (seenId(seen, i) === eventId) return seenTime(seen, i);
  return null;
}

/**
 * The lane as it was right after event `eventId` (see `userLaneUpTo`). Null when the lane has not
 * applied `eventId`.
 */
export function userLaneAsOf(lane: UserLane, eventId: string): (UserLaneCut & { readonly eventTimeMs: number }) | null {
  const cutT = seenEventTime(lane.seen, eventId);
  if (cutT === null) return null;
  return { ...userLaneUpTo(lane, { t: cutT, id: eventId }), eventTimeMs: cutT };
}

/** Tile indices of window `w` that hold events (tiles and facts). */
function occupiedTiles(lane: UserLane, w: number): Iterable<number> {
  const spec = WINDOWS[w] as WindowSpec;
  const tiles = lane.windows[w] as Map<number, Tile>;
  if (lane.facts.length === 0) return tiles.keys();
  const indices = new Set(tiles.keys());
  for (const fact of lane.facts) indices.add(tileIndex(fact.t, spec.tileMs));
  return indices;
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
    for (const index of occupiedTiles(lane, w)) {
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
  for (const fact of lane.facts) latest = Math.max(latest, tileIndex(fact.t, spec.tileMs));
  return Number.isFinite(latest) ? tileLeavesAtMs(latest, spec) : null;
}

/**
 * Frees what no evaluation at or after `nowMs` can need: facts and tiles that have left every
 * window, and the event ids of 24 h tiles that have. Evaluating at a time before `nowMs` afterwards
 * is not supported (that data is gone). Returns true when the lane is now empty.
 */
export function pruneUserLane(lane: UserLane, nowMs: number): boolean {
  tilesChanged(lane);
  let empty = true;
  for (let w = 0; w < WINDOWS.length; w++) {
    const spec = WINDOWS[w] as WindowSpec;
    const oldest = tileIndex(nowMs, spec.tileMs) - spec.tiles + 1;
    const tiles = lane.windows[w] as Map<number, Tile>;
    for (const index of tiles.keys()) if (index < oldest) tiles.delete(index);
    if (tiles.size > 0) empty = false;
  }
  const oldestDedup = tileIndex(nowMs, LONGEST_WINDOW.tileMs) - LONGEST_WINDOW.tiles + 1;
  const cutoffMs = oldestDedup * LONGEST_WINDOW.tileMs;
  let kept = 0;
  for (const fact of lane.facts) if (fact.t >= cutoffMs) lane.facts[kept++] = fact;
  lane.facts.length = kept;
  if (kept > 0) empty = false;
  forgetSeenBefore(lane.seen, cutoffMs);
  if (oldestDedup > lane.prunedBelow) lane.prunedBelow = oldestDedup;
  return empty;
}
