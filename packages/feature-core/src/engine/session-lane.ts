/**
 * The session lane: per session key, the accelerator's session window features. A session closes
 * after 30 minutes of event-time inactivity (FEATURES.md "Sessions"); its values stay readable until
 * their keys expire (24 h after the last event) and a late event for it is still applied.
 *
 * Like the user lane, functions here mutate the lane they are given; evaluation never mutates.
 */
import type { ShopperEvent } from '../event.js';
import { LIMITS } from './config.js';
import { createSeenEvents, markSeen, type SeenEvents } from './seen-events.js';
import type { ApplyOutcome } from './user-lane.js';
import { OVERFLOW } from './user-lane.js';
import { isAfter, SESSION_GAP_MS, SESSION_KEY_TTL_MS } from './windows.js';

/**
 * Geo-carrying events in (time, event id) order, as parallel arrays (no object per event): the
 * sequence gives region changes, which late events can split, so every point is kept (capped).
 */
export interface GeoSequence {
  readonly t: number[];
  readonly id: string[];
  /** Index into `locations`. */
  readonly location: number[];
  /** Distinct `country/region` strings, in order of first appearance. */
  readonly locations: string[];
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
  /** First event with a non-empty `mkt_campaign`; campaignT -1 when none. */
  campaignT: number;
  campaignId: string;
  campaign: string;
  /** Latest event that has a platform; platformT -1 when none. */
  platformT: number;
  platformId: string;
  platform: string;
  readonly deviceClasses: Set<string>;
  readonly geo: GeoSequence;
  /** Events applied, for deduplication. */
  readonly seen: SeenEvents;
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
    campaignT: -1,
    campaignId: '',
    campaign: '',
    platformT: -1,
    platformId: '',
    platform: '',
    deviceClasses: new Set(),
    geo: { t: [], id: [], location: [], locations: [] },
    seen: createSeenEvents(),
    eventsApplied: 0,
    overflow: 0,
  };
}

const SEARCH_PATH = '/search?q=';

function locationIndex(geo: GeoSequence, country: string, region: string | null): number {
  const n = geo.locations.length;
  // Most events repeat the previous location: compare without building the string.
  const last = n === 0 ? undefined : (geo.locations[n - 1] as string);
  if (
    last !== undefined &&
    (region === null
      ? last === country
      : last.length === country.length + 1 + region.length &&
        last.startsWith(country) &&
        last.endsWith(region) &&
        last[country.length] === '/')
  ) {
    return n - 1;
  }
  const location = region === null ? country : `${country}/${region}`;
  const index = geo.locations.indexOf(location);
  return index < 0 ? geo.locations.push(location) - 1 : index;
}

/** Inserts a geo point keeping (time, event id) order; appends, the common case, skip the search. */
function insertGeo(geo: GeoSequence, t: number, id: string, location: number): void {
  const n = geo.t.length;
  let at = n;
  if (n > 0 && !isAfter(t, id, geo.t[n - 1] as number, geo.id[n - 1] as string)) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAfter(t, id, geo.t[mid] as number, geo.id[mid] as string)) lo = mid + 1;
      else hi = mid;
    }
    at = lo;
  }
  if (at === n) {
    geo.t.push(t);
    geo.id.push(id);
    geo.location.push(location);
  } else {
    geo.t.splice(at, 0, t);
    geo.id.splice(at, 0, id);
    geo.location.splice(at, 0, location);
  }
}

/**
 * Applies one event to a session lane (mutating it); every event type counts as activity.
 * Duplicate event ids are applied once.
 */
export function applyToSessionLane(lane: SessionLane, event: ShopperEvent): ApplyOutcome {
  const id = event.eventId;
  const t = event.eventTimeMs;
  const seen = markSeen(lane.seen, t, id, LIMITS.sessionEventIds);
  if (seen === false) return 'duplicate';
  // Past the cap an event is still applied, but duplicates can no longer be recognised.
  if (seen === 'full') lane.overflow |= OVERFLOW.events;

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
  if (campaign !== null && campaign !== '' && (lane.campaignT < 0 || isAfter(lane.campaignT, lane.campaignId, t, id))) {
    lane.campaignT = t;
    lane.campaignId = id;
    lane.campaign = campaign;
  }
  if (event.platform !== null && (lane.platformT < 0 || isAfter(t, id, lane.platformT, lane.platformId))) {
    lane.platformT = t;
    lane.platformId = id;
    lane.platform = event.platform;
  }
  if (event.deviceClass !== null) lane.deviceClasses.add(event.deviceClass);
  if (event.geo !== null) {
    if (lane.geo.t.length < LIMITS.sessionEventIds) {
      insertGeo(lane.geo, t, id, locationIndex(lane.geo, event.geo.country, event.geo.region));
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
  const { location, locations } = lane.geo;
  let changes = 0;
  for (let i = 1; i < location.length; i++) if (location[i] !== location[i - 1]) changes++;
  return { locations: [...locations], changes };
}
