/**
 * The session lane: per session key, the accelerator's session window features. A session closes
 * after 30 minutes of event-time inactivity (FEATURES.md "Sessions"); its values stay readable until
 * their keys expire (24 h after the last event) and a late event for it is still applied.
 *
 * Like the user lane, functions here mutate the lane they are given; evaluation never mutates.
 */
import type { ShopperEvent } from '../event.js';
import { LIMITS, OVERFLOW } from './config.js';
import { createSeenEvents, DUPLICATE, FULL, markSeen, type SeenEvents } from './seen-events.js';
import type { ApplyOutcome } from './user-lane.js';
import { isAfter, SESSION_GAP_MS, SESSION_KEY_TTL_MS } from './windows.js';

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
  /** Distinct device classes (at most 4: an array beats a set's string hashing here). */
  readonly deviceClasses: string[];
  /**
   * Location of each seen event, aligned with `seen` (so in (time, event id) order): an index into
   * `locations`, or -1 for an event without geo. Region changes need the whole sequence, since a late
   * event can fall between two others.
   */
  readonly geo: number[];
  /** Distinct `country/region` strings, in order of first appearance. */
  readonly locations: string[];
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
    deviceClasses: [],
    geo: [],
    locations: [],
    seen: createSeenEvents(),
    eventsApplied: 0,
    overflow: 0,
  };
}

const SEARCH_PATH = '/search?q=';

function locationIndex(locations: string[], country: string, region: string | null): number {
  const location = region === null ? country : `${country}/${region}`;
  const index = locations.indexOf(location);
  return index < 0 ? locations.push(location) - 1 : index;
}

/**
 * Applies one event to a session lane (mutating it); every event type counts as activity, except a
 * feature digest (a report about the features, which must not change them). Duplicate event ids are
 * applied once.
 */
export function applyToSessionLane(lane: SessionLane, event: ShopperEvent): ApplyOutcome {
  if (event.type === 'feature_digest') return 'ignored';
  const id = event.eventId;
  const t = event.eventTimeMs;
  const seen = markSeen(lane.seen, t, id, LIMITS.sessionEventIds);
  if (seen === DUPLICATE) return 'duplicate';
  // Past the cap an event is still applied, but duplicates can no longer be recognised.
  if (seen === FULL) lane.overflow |= OVERFLOW.events;

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
  if (event.deviceClass !== null && !lane.deviceClasses.includes(event.deviceClass)) {
    lane.deviceClasses.push(event.deviceClass);
  }
  const location = event.geo === null ? -1 : locationIndex(lane.locations, event.geo.country, event.geo.region);
  // Past the cap the location still counts as seen, but the sequence (region changes) stops growing.
  if (seen !== FULL) {
    if (seen === lane.geo.length) lane.geo.push(location);
    else lane.geo.splice(seen, 0, location);
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
  let changes = 0;
  let previous = -1;
  for (const location of lane.geo) {
    if (location < 0) continue;
    if (previous >= 0 && location !== previous) changes++;
    previous = location;
  }
  return { locations: [...lane.locations], changes };
}
