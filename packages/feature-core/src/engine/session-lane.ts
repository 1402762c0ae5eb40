/**
 * The session lane: per session key, the accelerator's session window features. A session closes
 * after 30 minutes of event-time inactivity (FEATURES.md "Sessions"); its values stay readable until
 * their keys expire (24 h after the last event) and a late event for it is still applied.
 *
 * Like the user lane, functions here mutate the lane they are given; evaluation never mutates.
 */
import type { ShopperEvent } from '../event.js';
import { hash53 } from '../hash.js';
import { LIMITS } from './config.js';
import type { ApplyOutcome } from './user-lane.js';
import { OVERFLOW } from './user-lane.js';
import { isAfter, SESSION_GAP_MS, SESSION_KEY_TTL_MS } from './windows.js';

/** A value stamped with the event that carried it, for "first" / "latest" by (time, event id). */
export interface Stamped<T> {
  t: number;
  id: string;
  value: T;
}

/** One geo-carrying event: the sequence, ordered by (time, event id), gives region changes. */
export interface GeoPoint {
  t: number;
  id: string;
  location: string;
}

export interface SessionLane {
  readonly sessionKey: string;
  /** First and last event, by (time, event id); firstT -1 before any event. */
  firstT: number;
  firstId: string;
  lastT: number;
  lastId: string;
  pageViews: number;
  /** Page views whose URL contains `/search?q=`. */
  searchPageViews: number;
  productViews: number;
  cartAdds: number;
  /** First event with a non-empty `mkt_campaign`. */
  campaign: Stamped<string> | null;
  /** Platform of the latest event that has one. */
  platform: Stamped<string> | null;
  readonly deviceClasses: Set<string>;
  /** Geo-carrying events in (time, event id) order. */
  readonly geo: GeoPoint[];
  /** Hashes of the event ids applied (deduplication). */
  readonly seen: Set<number>;
  eventsApplied: number;
  overflow: number;
}

export function createSessionLane(sessionKey: string): SessionLane {
  return {
    sessionKey,
    firstT: -1,
    firstId: '',
    lastT: -1,
    lastId: '',
    pageViews: 0,
    searchPageViews: 0,
    productViews: 0,
    cartAdds: 0,
    campaign: null,
    platform: null,
    deviceClasses: new Set(),
    geo: [],
    seen: new Set(),
    eventsApplied: 0,
    overflow: 0,
  };
}

const SEARCH_PATH = '/search?q=';

/** Inserts a geo point keeping (time, event id) order; binary search, most inserts are appends. */
function insertGeo(geo: GeoPoint[], point: GeoPoint): void {
  let lo = 0;
  let hi = geo.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = geo[mid] as GeoPoint;
    if (isAfter(point.t, point.id, at.t, at.id)) lo = mid + 1;
    else hi = mid;
  }
  geo.splice(lo, 0, point);
}

/**
 * Applies one event to a session lane (mutating it); every event type counts as activity.
 * Duplicate event ids are applied once.
 */
export function applyToSessionLane(lane: SessionLane, event: ShopperEvent): ApplyOutcome {
  const idHash = hash53(event.eventId);
  if (lane.seen.has(idHash)) return 'duplicate';
  if (lane.seen.size < LIMITS.sessionEventIds) lane.seen.add(idHash);
  else lane.overflow |= OVERFLOW.events;

  const t = event.eventTimeMs;
  const id = event.eventId;
  if (lane.firstT < 0 || isAfter(lane.firstT, lane.firstId, t, id)) {
    lane.firstT = t;
    lane.firstId = id;
  }
  if (lane.lastT < 0 || isAfter(t, id, lane.lastT, lane.lastId)) {
    lane.lastT = t;
    lane.lastId = id;
  }
  switch (event.type) {
    case 'page_view':
      lane.pageViews++;
      if (event.pageUrl?.includes(SEARCH_PATH)) lane.searchPageViews++;
      break;
    case 'product_view':
      lane.productViews++;
      break;
    case 'add_to_cart':
      lane.cartAdds++;
      break;
    default:
      break;
  }
  const campaign = event.marketing?.campaign ?? null;
  if (
    campaign !== null &&
    campaign !== '' &&
    (lane.campaign === null || isAfter(lane.campaign.t, lane.campaign.id, t, id))
  ) {
    lane.campaign = { t, id, value: campaign };
  }
  if (event.platform !== null && (lane.platform === null || isAfter(t, id, lane.platform.t, lane.platform.id))) {
    lane.platform = { t, id, value: event.platform };
  }
  if (event.deviceClass !== null) lane.deviceClasses.add(event.deviceClass);
  if (event.geo !== null) {
    if (lane.geo.length < LIMITS.sessionEventIds) {
      const { country, region } = event.geo;
      insertGeo(lane.geo, { t, id, location: region === null ? country : `${country}/${region}` });
    } else {
      lane.overflow |= OVERFLOW.events;
    }
  }
  lane.eventsApplied++;
  return 'applied';
}

/** Whether the session is closed at `atMs`: 30 minutes or more since its last event. */
export function isSessionClosed(lane: SessionLane, atMs: number): boolean {
  return lane.lastT >= 0 && atMs - lane.lastT >= SESSION_GAP_MS;
}

/** When the session closes: 30 minutes after its last event. */
export function sessionClosesAtMs(lane: SessionLane): number | null {
  return lane.lastT < 0 ? null : lane.lastT + SESSION_GAP_MS;
}

/** When the session's keys expire: 24 h after its last event. */
export function sessionExpiresAtMs(lane: SessionLane): number | null {
  return lane.lastT < 0 ? null : lane.lastT + SESSION_KEY_TTL_MS;
}

/** Distinct locations and the number of changes between consecutive geo-carrying events. */
export function geoSummary(lane: SessionLane): { locations: string[]; changes: number } {
  const locations = new Set<string>();
  let changes = 0;
  let previous: string | null = null;
  for (const point of lane.geo) {
    locations.add(point.location);
    if (previous !== null && point.location !== previous) changes++;
    previous = point.location;
  }
  return { locations: [...locations], changes };
}
