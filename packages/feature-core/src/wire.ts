/**
 * The versioned wire format of lane state: what the server sends the browser to rebase on, what
 * Redis snapshots and IndexedDB hold. JSON text; every snapshot carries its format, schema version
 * and the definition version, and a reader given another version answers `version_mismatch` (rebuild
 * from events) instead of misreading. Event ids are interned in a table, since most appear twice.
 */

import { TALLIED_ATTRIBUTES } from './definitions.js';
import { parseJson } from './encoding.js';
import type { EngineConfig } from './engine/config.js';
import { LIMITS } from './engine/config.js';
import { markSeen, type SeenEvents, seenCount, seenId, seenTime } from './engine/seen-events.js';
import { createSessionLane, type SessionLane } from './engine/session-lane.js';
import { createTile, createUserLane, FACT_KINDS, type Tile, type UserLane } from './engine/user-lane.js';
import { WINDOWS } from './engine/windows.js';
import { ok, type Result, reject } from './result.js';
import { definitionVersion } from './version.js';

export const USER_LANE_FORMAT = 'tandem.user-lane';
export const SESSION_LANE_FORMAT = 'tandem.session-lane';
/**
 * Bump when the layout below changes. 2: facts carry the tallied product attributes (index 6) and
 * tiles the tallies (index 15); a schema 1 state is refused (`version_mismatch`) and rebuilt.
 */
export const WIRE_SCHEMA_VERSION = 2;

/** Interns event ids: each distinct id is written once and referenced by its index. */
function createIdTable() {
  const index = new Map<string, number>();
  const ids: string[] = [];
  return {
    ids,
    ref(id: string): number {
      let i = index.get(id);
      if (i === undefined) {
        i = ids.length;
        ids.push(id);
        index.set(id, i);
      }
      return i;
    },
  };
}

type Wire = unknown[];

/** Seen events as a flat [time, id ref, time, id ref, ...] list, in (time, id) order. */
function encodeSeen(seen: SeenEvents, ref: (id: string) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < seenCount(seen); i++) out.push(seenTime(seen, i), ref(seenId(seen, i)));
  return out;
}

function encodeTile(tile: Tile, ref: (id: string) => number): Wire {
  return [
    tile.productViews,
    tile.minPrice,
    tile.maxPrice,
    [...(tile.products ?? [])].map(([key, s]) => [
      key,
      s.views,
      s.firstT,
      s.firstT < 0 ? -1 : ref(s.firstId),
      s.firstPrice,
      s.lastT,
      ref(s.lastId),
    ]),
    [...(tile.categories ?? [])].map(([key, s]) => [key, s.views, s.lastT, ref(s.lastId)]),
    tile.cartAdds,
    tile.cartRemoves,
    tile.cartT,
    tile.cartT < 0 ? -1 : ref(tile.cartId),
    tile.cartValue,
    tile.activityT,
    tile.txnT,
    tile.txnT < 0 ? -1 : ref(tile.txnId),
    [...(tile.orders ?? [])].map(([key, o]) => [key, o.t, ref(o.id), o.revenue]),
    tile.overflow,
    // Per tallied attribute, in TALLIED_ATTRIBUTES order (the definition version pins that order).
    (tile.tallies ?? []).map((tally) => [...(tally ?? [])].map(([key, s]) => [key, s.views, s.lastT, ref(s.lastId)])),
  ];
}

/** Serializes a user lane to its wire format (JSON text). */
export function serializeUserLane(lane: UserLane, config?: EngineConfig): string {
  const table = createIdTable();
  const windows = lane.windows.map((tiles) => [...tiles].map(([index, tile]) => [index, encodeTile(tile, table.ref)]));
  return JSON.stringify({
    format: USER_LANE_FORMAT,
    schema: WIRE_SCHEMA_VERSION,
    definition: definitionVersion(config),
    userKey: lane.userKey,
    eventsApplied: lane.eventsApplied,
    latestEventMs: lane.latestEventMs,
    prunedBelow: Number.isFinite(lane.prunedBelow) ? lane.prunedBelow : null,
    overflow: lane.overflow,
    facts: lane.facts.map((f) => [
      f.t,
      table.ref(f.id),
      FACT_KINDS.indexOf(f.kind),
      f.key,
      f.category,
      f.money,
      f.attrs,
    ]),
    windows,
    seen: encodeSeen(lane.seen, table.ref),
    ids: table.ids,
  });
}

/** Serializes a session lane to its wire format (JSON text). */
export function serializeSessionLane(lane: SessionLane, config?: EngineConfig): string {
  const table = createIdTable();
  return JSON.stringify({
    format: SESSION_LANE_FORMAT,
    schema: WIRE_SCHEMA_VERSION,
    definition: definitionVersion(config),
    sessionKey: lane.sessionKey,
    first: lane.firstT < 0 ? null : [lane.firstT, table.ref(lane.firstId)],
    last: lane.lastT < 0 ? null : [lane.lastT, table.ref(lane.lastId)],
    counts: [lane.pageViews, lane.searchPageViews, lane.productViews, lane.cartAdds],
    campaign: lane.campaignT < 0 ? null : [lane.campaignT, table.ref(lane.campaignId), lane.campaign],
    platform: lane.platformT < 0 ? null : [lane.platformT, table.ref(lane.platformId), lane.platform],
    devices: [...lane.deviceClasses],
    locations: lane.locations,
    geo: lane.geo,
    eventsApplied: lane.eventsApplied,
    overflow: lane.overflow,
    seen: encodeSeen(lane.seen, table.ref),
    ids: table.ids,
  });
}

/** Thrown inside the decoders only; turned into a rejection at their door. */
class WireShapeError extends Error {}

function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new WireShapeError('expected a number');
  return value;
}
function str(value: unknown): string {
  if (typeof value !== 'string') throw new WireShapeError('expected a string');
  return value;
}
function arr(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new WireShapeError('expected an array');
  return value;
}
function rec(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new WireShapeError('expected an object');
  return value as Record<string, unknown>;
}
function decodeSeen(value: unknown, id: (i: unknown) => string, into: SeenEvents, cap: number): void {
  const flat = arr(value);
  if (flat.length % 2 !== 0 || flat.length / 2 > cap) throw new WireShapeError('bad seen-event list');
  for (let i = 0; i < flat.length; i += 2) {
    // markSeen appends in-order pairs; anything else means the list was not in (time, id) order.
    if (markSeen(into, num(flat[i]), id(flat[i + 1]), cap) !== i / 2)
      throw new WireShapeError('seen events out of order');
  }
}

function decodeIds(value: unknown): (i: unknown) => string {
  const ids = arr(value).map(str);
  return (i) => {
    const n = num(i);
    const id = ids[n];
    if (id === undefined) throw new WireShapeError('event id reference out of range');
    return id;
  };
}

/** A fact's tallied attributes: null, or one string-or-null per tallied attribute. */
function decodeAttrs(value: unknown): (string | null)[] | null {
  if (value === null) return null;
  const attrs = arr(value);
  if (attrs.length !== TALLIED_ATTRIBUTES.length) throw new WireShapeError('wrong number of fact attributes');
  return attrs.map((a) => (a === null ? null : str(a)));
}

function decodeTile(value: unknown, id: (i: unknown) => string): Tile {
  const w = arr(value);
  const tile = createTile();
  tile.productViews = num(w[0]);
  tile.minPrice = num(w[1]);
  tile.maxPrice = num(w[2]);
  for (const p of arr(w[3])) {
    const [key, views, firstT, firstId, firstPrice, lastT, lastId] = arr(p);
    const ft = num(firstT);
    tile.products ??= new Map();
    tile.products.set(str(key), {
      views: num(views),
      firstT: ft,
      firstId: ft < 0 ? '' : id(firstId),
      firstPrice: num(firstPrice),
      lastT: num(lastT),
      lastId: id(lastId),
    });
  }
  for (const c of arr(w[4])) {
    const [key, views, lastT, lastId] = arr(c);
    tile.categories ??= new Map();
    tile.categories.set(str(key), { views: num(views), lastT: num(lastT), lastId: id(lastId) });
  }
  tile.cartAdds = num(w[5]);
  tile.cartRemoves = num(w[6]);
  tile.cartT = num(w[7]);
  tile.cartId = tile.cartT < 0 ? '' : id(w[8]);
  tile.cartValue = num(w[9]);
  tile.activityT = num(w[10]);
  tile.txnT = num(w[11]);
  tile.txnId = tile.txnT < 0 ? '' : id(w[12]);
  for (const o of arr(w[13])) {
    const [key, t, orderId, revenue] = arr(o);
    tile.orders ??= new Map();
    tile.orders.set(str(key), { t: num(t), id: id(orderId), revenue: num(revenue) });
  }
  tile.overflow = num(w[14]);
  const tallies = arr(w[15]);
  if (tallies.length > TALLIED_ATTRIBUTES.length) throw new WireShapeError('more tallies than attributes tallied');
  tallies.forEach((entries, a) => {
    for (const c of arr(entries)) {
      const [key, views, lastT, lastId] = arr(c);
      tile.tallies ??= TALLIED_ATTRIBUTES.map(() => null);
      const map = tile.tallies[a] ?? new Map();
      tile.tallies[a] = map;
      map.set(str(key), { views: num(views), lastT: num(lastT), lastId: id(lastId) });
    }
  });
  return tile;
}

function checkHeader(value: unknown, format: string, config?: EngineConfig): Result<Record<string, unknown>> {
  let header: Record<string, unknown>;
  try {
    header = rec(value);
  } catch {
    return reject('bad_json', 'state must be a JSON object');
  }
  if (header.format !== format)
    return reject('version_mismatch', `expected format ${format}, got ${String(header.format)}`);
  if (header.schema !== WIRE_SCHEMA_VERSION) {
    return reject('version_mismatch', `expected wire schema ${WIRE_SCHEMA_VERSION}, got ${String(header.schema)}`);
  }
  const expected = definitionVersion(config);
  if (header.definition !== expected) {
    return reject('version_mismatch', `state has definition ${String(header.definition)}, this code has ${expected}`);
  }
  return ok(header);
}

/**
 * Reads a user lane from its wire format. A state of another format, schema or definition version
 * gives `version_mismatch` (rebuild it from events); a malformed one `bad_json` or `invalid_field`.
 */
export function deserializeUserLane(text: string, config?: EngineConfig): Result<UserLane> {
  const header = checkHeader(parseJson(text), USER_LANE_FORMAT, config);
  if (!header.ok) return header;
  const h = header.value;
  try {
    const lane = createUserLane(str(h.userKey));
    lane.eventsApplied = num(h.eventsApplied);
    lane.latestEventMs = num(h.latestEventMs);
    lane.prunedBelow = h.prunedBelow === null ? Number.NEGATIVE_INFINITY : num(h.prunedBelow);
    lane.overflow = num(h.overflow);
    const id = decodeIds(h.ids);
    for (const entry of arr(h.facts)) {
      const [t, i, kind, key, category, money, attrs] = arr(entry);
      const factKind = FACT_KINDS[num(kind)];
      if (factKind === undefined) throw new WireShapeError('unknown fact kind');
      lane.facts.push({
        t: num(t),
        id: id(i),
        kind: factKind,
        key: str(key),
        category: category === null ? null : str(category),
        money: num(money),
        attrs: decodeAttrs(attrs),
      });
    }
    if (lane.facts.length > LIMITS.userFacts) throw new WireShapeError('more facts than the lane keeps');
    const windows = arr(h.windows);
    if (windows.length !== WINDOWS.length) throw new WireShapeError('wrong number of windows');
    windows.forEach((tiles, w) => {
      const target = lane.windows[w] as Map<number, Tile>;
      for (const entry of arr(tiles)) {
        const [index, tile] = arr(entry);
        target.set(num(index), decodeTile(tile, id));
      }
    });
    decodeSeen(h.seen, id, lane.seen, LIMITS.userEventIds);
    return ok(lane);
  } catch (error) {
    if (error instanceof WireShapeError) return reject('invalid_field', `user lane state: ${error.message}`);
    throw error;
  }
}

/** Reads a session lane from its wire format; errors as for `deserializeUserLane`. */
export function deserializeSessionLane(text: string, config?: EngineConfig): Result<SessionLane> {
  const header = checkHeader(parseJson(text), SESSION_LANE_FORMAT, config);
  if (!header.ok) return header;
  const h = header.value;
  try {
    const lane = createSessionLane(str(h.sessionKey));
    const id = decodeIds(h.ids);
    if (h.first !== null) {
      const [t, i] = arr(h.first);
      lane.firstT = num(t);
      lane.firstId = id(i);
    }
    if (h.last !== null) {
      const [t, i] = arr(h.last);
      lane.lastT = num(t);
      lane.lastId = id(i);
    }
    const [pageViews, searchPageViews, productViews, cartAdds] = arr(h.counts).map(num);
    lane.pageViews = pageViews ?? 0;
    lane.searchPageViews = searchPageViews ?? 0;
    lane.productViews = productViews ?? 0;
    lane.cartAdds = cartAdds ?? 0;
    if (h.campaign !== null) {
      const [t, i, value] = arr(h.campaign);
      lane.campaignT = num(t);
      lane.campaignId = id(i);
      lane.campaign = str(value);
    }
    if (h.platform !== null) {
      const [t, i, value] = arr(h.platform);
      lane.platformT = num(t);
      lane.platformId = id(i);
      lane.platform = str(value);
    }
    for (const device of arr(h.devices))
      if (!lane.deviceClasses.includes(str(device))) lane.deviceClasses.push(str(device));
    for (const location of arr(h.locations)) lane.locations.push(str(location));
    for (const location of arr(h.geo)) {
      const index = num(location);
      if (index < -1 || index >= lane.locations.length) throw new WireShapeError('location index out of range');
      lane.geo.push(index);
    }
    decodeSeen(h.seen, id, lane.seen, LIMITS.sessionEventIds);
    if (lane.geo.length !== seenCount(lane.seen)) throw new WireShapeError('geo sequence not aligned with seen events');
    lane.eventsApplied = num(h.eventsApplied);
    lane.overflow = num(h.overflow);
    return ok(lane);
  } catch (error) {
    if (error instanceof WireShapeError) return reject('invalid_field', `session lane state: ${error.message}`);
    throw error;
  }
}
