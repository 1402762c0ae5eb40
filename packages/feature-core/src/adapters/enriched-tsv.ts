/**
 * Adapter from one Snowplow enriched event, TSV form (131 fields, SNOWPLOW.md §3), to a
 * `ShopperEvent`. Server-side only: browsers need not ship it.
 */
import { isPlausibleEpochMs } from '../acceptance.js';
import { parseJson } from '../encoding.js';
import type { Geo, Marketing, ShopperEvent } from '../event.js';
import { type Result, reject } from '../result.js';
import {
  buildEventBody,
  classifyDevice,
  type EventKind,
  parseContextsEnvelope,
  parseUnstructEnvelope,
  type SelfDescribing,
} from '../snowplow.js';
import { assembleEvent, detached, nonEmpty } from './common.js';

export const ENRICHED_FIELD_COUNT = 131;

/** 0-based positions of the enriched fields this adapter reads. */
export const ENRICHED_FIELDS = {
  app_id: 0,
  platform: 1,
  collector_tstamp: 3,
  dvce_created_tstamp: 4,
  event: 5,
  event_id: 6,
  user_id: 12,
  domain_userid: 15,
  geo_country: 18,
  geo_region: 19,
  page_url: 29,
  mkt_medium: 47,
  mkt_source: 48,
  mkt_term: 49,
  mkt_content: 50,
  mkt_campaign: 51,
  contexts: 52,
  unstruct_event: 58,
  useragent: 77,
  dvce_sent_tstamp: 119,
  derived_contexts: 122,
  domain_sessionid: 123,
  derived_tstamp: 124,
  true_tstamp: 130,
} as const;

const EVENT_KINDS: Readonly<Record<string, EventKind>> = {
  page_view: 'page_view',
  page_ping: 'page_ping',
  unstruct: 'self_describing',
  struct: 'other',
  transaction: 'other',
  transaction_item: 'other',
};

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/** Parses an enriched timestamp (`YYYY-MM-DD hh:mm:ss.SSS`, UTC) to epoch ms; null when malformed. */
export function parseEnrichedTimestamp(text: string): number | null {
  const m = TIMESTAMP.exec(text);
  if (m === null) return null;
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3));
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const value = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second, ms);
  // Date.UTC rolls impossible dates over (Feb 31 → Mar 3): reject them instead.
  const d = new Date(value);
  if (d.getUTCMonth() !== (month as number) - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour) return null;
  if (d.getUTCMinutes() !== minute || d.getUTCSeconds() !== second) return null;
  return isPlausibleEpochMs(value) ? value : null;
}

function timestampField(fields: readonly string[], name: keyof typeof ENRICHED_FIELDS): Result<number | null> {
  const text = nonEmpty(fields[ENRICHED_FIELDS[name]]);
  if (text === null) return { ok: true, value: null };
  const value = parseEnrichedTimestamp(text);
  return value === null ? reject('invalid_field', `${name} is not a timestamp: ${text}`) : { ok: true, value };
}

function jsonField(fields: readonly string[], name: keyof typeof ENRICHED_FIELDS): Result<unknown> | null {
  const text = nonEmpty(fields[ENRICHED_FIELDS[name]]);
  if (text === null) return null;
  const value = parseJson(text);
  return value === undefined ? reject('bad_json', `${name} is not JSON`) : { ok: true, value };
}

/**
 * Converts one enriched TSV line (no trailing newline needed) to a `ShopperEvent`. Event time is
 * `derived_tstamp` (else `true_tstamp`, else `collector_tstamp`), bounded against `collector_tstamp`.
 * Never throws: bad input gives `{ ok: false, reason }`.
 */
export function fromEnrichedTsv(line: string): Result<ShopperEvent> {
  const text = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
  const fields = text.split('\t');
  if (fields.length !== ENRICHED_FIELD_COUNT) {
    return reject('wrong_field_count', `expected ${ENRICHED_FIELD_COUNT} fields, got ${fields.length}`);
  }
  // Fields kept by lanes (ids, campaign, geo, platform) must not pin the line: see `detached`.
  const f = (name: keyof typeof ENRICHED_FIELDS) => detached(nonEmpty(fields[ENRICHED_FIELDS[name]]));
  const event = f('event');
  if (event === null) return reject('missing_field', 'event is missing');
  const kind = EVENT_KINDS[event];
  if (kind === undefined) return reject('unknown_event', `unknown event ${event}`);

  let unstruct: SelfDescribing | null = null;
  if (kind === 'self_describing') {
    const raw = jsonField(fields, 'unstruct_event');
    if (raw === null) return reject('missing_field', 'unstruct_event is missing');
    if (!raw.ok) return raw;
    const parsed = parseUnstructEnvelope(raw.value);
    if (!parsed.ok) return parsed;
    unstruct = parsed.value;
  }
  const entities: SelfDescribing[] = [];
  for (const name of ['contexts', 'derived_contexts'] as const) {
    const raw = jsonField(fields, name);
    if (raw === null) continue;
    if (!raw.ok) return raw;
    const parsed = parseContextsEnvelope(raw.value);
    if (!parsed.ok) return parsed;
    entities.push(...parsed.value);
  }
  const body = buildEventBody(kind, unstruct, entities);
  if (!body.ok) return body;

  const collector = timestampField(fields, 'collector_tstamp');
  if (!collector.ok) return collector;
  if (collector.value === null) return reject('missing_field', 'collector_tstamp is missing');
  const derived = timestampField(fields, 'derived_tstamp');
  if (!derived.ok) return derived;
  const trueTime = timestampField(fields, 'true_tstamp');
  if (!trueTime.ok) return trueTime;

  const campaign: Marketing = {
    medium: f('mkt_medium'),
    source: f('mkt_source'),
    term: f('mkt_term'),
    content: f('mkt_content'),
    campaign: f('mkt_campaign'),
  };
  const country = f('geo_country');
  const geo: Geo | null = country === null ? null : { country, region: f('geo_region') };
  const userAgent = f('useragent');
  return assembleEvent(
    {
      eventId: f('event_id'),
      eventTimeMs: derived.value ?? trueTime.value ?? collector.value,
      collectorTimeMs: collector.value,
      userId: f('user_id'),
      domainUserId: f('domain_userid'),
      domainSessionId: f('domain_sessionid'),
      pageUrl: f('page_url'),
      marketing: Object.values(campaign).some((v) => v !== null) ? campaign : null,
      platform: f('platform'),
      userAgent,
      deviceClass: classifyDevice(userAgent),
      geo,
    },
    body.value,
  );
}
