/**
 * A fast encoder of enriched TSV lines: the same fields as `enrichedTsv(spec)` from
 * `@tandem/feature-core/testing`, for the specs the load generator builds, several times faster
 * (the reference builder makes ~20k lines/s on this machine; a load generator needs 100k+). It fills
 * a template of the 131 fields that the reference builder itself produced and renders only what varies
 * per event. One field differs on purpose: `event_fingerprint` (see below). Any spec it was not
 * written for goes to `enrichedTsv` unchanged; `shoppers.test.ts` checks every other field against the
 * reference for every kind of generated event.
 */
import { ENRICHED_FIELD_NAMES, type EnrichedFieldName } from '@tandem/feature-core/enriched';
import {
  DESKTOP_USER_AGENT,
  type EventSpec,
  enrichedFields,
  enrichedTsv,
  type ProductSpec,
  SCHEMAS,
  uuid,
} from '@tandem/feature-core/testing';
import { SHOP_ORIGIN } from './catalogue.js';

/** The fields that vary per event, in line order; `F.x` is the slot of field x among them. */
const VARIABLE_FIELDS: readonly EnrichedFieldName[] = [
  'etl_tstamp',
  'collector_tstamp',
  'dvce_created_tstamp',
  'event',
  'event_id',
  'user_id',
  'domain_userid',
  'domain_sessionidx',
  'geo_country',
  'geo_region',
  'page_url',
  'page_title',
  'page_urlpath',
  'page_urlquery',
  'mkt_medium',
  'mkt_source',
  'mkt_term',
  'mkt_content',
  'mkt_campaign',
  'contexts',
  'unstruct_event',
  'useragent',
  'dvce_sent_tstamp',
  'domain_sessionid',
  'derived_tstamp',
  'event_vendor',
  'event_name',
  'event_format',
  'event_version',
  'event_fingerprint',
  'true_tstamp',
];

function at(name: EnrichedFieldName): number {
  const slot = VARIABLE_FIELDS.indexOf(name);
  if (slot < 0) throw new Error(`${name} is not a variable field`);
  return slot;
}

const F = {
  etl: at('etl_tstamp'),
  collector: at('collector_tstamp'),
  created: at('dvce_created_tstamp'),
  event: at('event'),
  eventId: at('event_id'),
  userId: at('user_id'),
  domainUserId: at('domain_userid'),
  sessionIdx: at('domain_sessionidx'),
  country: at('geo_country'),
  region: at('geo_region'),
  pageUrl: at('page_url'),
  pageTitle: at('page_title'),
  path: at('page_urlpath'),
  query: at('page_urlquery'),
  mktMedium: at('mkt_medium'),
  mktSource: at('mkt_source'),
  mktTerm: at('mkt_term'),
  mktContent: at('mkt_content'),
  mktCampaign: at('mkt_campaign'),
  contexts: at('contexts'),
  unstruct: at('unstruct_event'),
  useragent: at('useragent'),
  sent: at('dvce_sent_tstamp'),
  sessionId: at('domain_sessionid'),
  derived: at('derived_tstamp'),
  vendor: at('event_vendor'),
  name: at('event_name'),
  format: at('event_format'),
  version: at('event_version'),
  fingerprint: at('event_fingerprint'),
  trueTime: at('true_tstamp'),
} as const;

/**
 * The line split around the variable fields: `SEGMENTS[i]` is the text between variable field i − 1
 * and i (tabs included), taken from the reference builder's fields for a plain page view on the shop,
 * so every constant field is what the builder writes.
 */
const SEGMENTS: readonly string[] = (() => {
  const fields = enrichedFields({
    eventId: uuid(0),
    timeMs: Date.UTC(2025, 6, 1),
    domainUserId: uuid(1),
    sessionId: uuid(2),
    type: 'page_view',
    pageUrl: `${SHOP_ORIGIN}/`,
  });
  const positions = VARIABLE_FIELDS.map((name) => ENRICHED_FIELD_NAMES.indexOf(name));
  positions.forEach((position, i) => {
    if (position <= (positions[i - 1] ?? -1)) throw new Error('VARIABLE_FIELDS must be in line order');
  });
  const segments: string[] = [];
  let from = 0;
  positions.forEach((position, i) => {
    const constants = ENRICHED_FIELD_NAMES.slice(from, position).map((name) => `${fields[name]}\t`);
    segments.push((i === 0 ? '' : '\t') + constants.join(''));
    from = position + 1;
  });
  segments.push(
    ENRICHED_FIELD_NAMES.slice(from)
      .map((name) => `\t${fields[name]}`)
      .join(''),
  );
  return segments;
})();

const COLLECTOR_DELAY_MS = 150;
const SENT_DELAY_MS = 40;
const ETL_DELAY_MS = 400;

// ---------------------------------------------------------------------------------------------
// Timestamps: `YYYY-MM-DD hh:mm:ss.SSS` with the date part cached (events of one day share it).

let cachedDayStartMs = Number.NaN;
let cachedDay = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/** `[date, time]` of an epoch-ms integer, UTC: `2025-07-01` and `12:00:00.000`. */
function dateAndTime(ms: number): [string, string] {
  const dayStart = ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000);
  if (dayStart !== cachedDayStartMs) {
    cachedDayStartMs = dayStart;
    cachedDay = new Date(dayStart).toISOString().slice(0, 10);
  }
  let rest = ms - dayStart;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return [cachedDay, `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}`];
}

function enrichedTimestamp(ms: number): string {
  const [date, time] = dateAndTime(ms);
  return `${date} ${time}`;
}

function isoTimestamp(ms: number): string {
  const [date, time] = dateAndTime(ms);
  return `${date}T${time}Z`;
}

// ---------------------------------------------------------------------------------------------
// Self-describing JSON pieces, rendered once per distinct value where they repeat.

const ECOMMERCE_NAMES = eventNames(SCHEMAS.ecommerceAction);
const SITE_SEARCH_NAMES = eventNames(SCHEMAS.siteSearch);
const PAGE_VIEW_NAMES = ['page_view', 'com.snowplowanalytics.snowplow', 'page_view', 'jsonschema', '1-0-0'] as const;
const PAGE_PING_NAMES = ['page_ping', 'com.snowplowanalytics.snowplow', 'page_ping', 'jsonschema', '1-0-0'] as const;

function eventNames(schema: string): readonly [string, string, string, string, string] {
  const [, vendor, name, format, version] = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(schema) ?? [];
  return ['unstruct', vendor ?? '', name ?? '', format ?? '', version ?? ''];
}

/** The ecommerce types this encoder renders; anything else goes to the reference builder. */
const FAST_ECOMMERCE = new Set<string>([
  'product_view',
  'list_view',
  'list_click',
  'add_to_cart',
  'remove_from_cart',
  'checkout_step',
  'transaction',
  'promo_view',
  'promo_click',
]);

const MAX_CACHED = 10_000;
const entityCache = new Map<object, string>();
const unstructCache = new Map<string, string>();

function cached(key: object, render: () => string): string {
  let text = entityCache.get(key);
  if (text === undefined) {
    text = render();
    if (entityCache.size < MAX_CACHED) entityCache.set(key, text);
  }
  return text;
}

function productJson(p: ProductSpec): string {
  return cached(p, () =>
    JSON.stringify({
      schema: SCHEMAS.product,
      data: {
        id: p.id,
        name: p.name,
        category: p.category,
        price: p.price,
        currency: p.currency ?? 'USD',
        quantity: p.quantity,
        brand: p.brand,
      },
    }),
  );
}

function ecommerceUnstruct(type: string, listName: string | undefined): string {
  const named = type === 'list_view' || type === 'list_click';
  const key = named ? `${type}\u0000${listName ?? '\u0000'}` : type;
  let text = unstructCache.get(key);
  if (text === undefined) {
    const data = named ? { type, name: listName ?? null } : { type };
    text = JSON.stringify({ schema: SCHEMAS.unstructEvent, data: { schema: SCHEMAS.ecommerceAction, data } });
    if (unstructCache.size < MAX_CACHED) unstructCache.set(key, text);
  }
  return text;
}

function ecommerceEntities(spec: EventSpec): string {
  let out = '';
  const products = spec.products ?? [];
  const count = spec.type === 'product_view' ? Math.min(products.length, 1) : products.length;
  for (let i = 0; i < count; i++) out += `,${productJson(products[i] as ProductSpec)}`;
  if (spec.cart !== undefined) {
    const cart = spec.cart;
    out += `,${JSON.stringify({
      schema: SCHEMAS.cart,
      data: { cart_id: cart.cart_id, total_value: cart.total_value, currency: cart.currency ?? 'USD' },
    })}`;
  }
  if (spec.step !== undefined) out += `,{"schema":"${SCHEMAS.checkoutStep}","data":{"step":${spec.step}}}`;
  if (spec.transaction !== undefined) {
    const t = spec.transaction;
    let quantity = 0;
    for (const p of products) quantity += p.quantity ?? 1;
    out += `,${JSON.stringify({
      schema: SCHEMAS.transaction,
      data: {
        transaction_id: t.transaction_id,
        revenue: t.revenue,
        currency: t.currency ?? 'USD',
        payment_method: t.payment_method ?? 'card',
        total_quantity: t.total_quantity ?? quantity,
      },
    })}`;
  }
  if (spec.promotion !== undefined) {
    const promotion = spec.promotion;
    out += `,${cached(promotion, () => JSON.stringify({ schema: SCHEMAS.promotion, data: { ...promotion } }))}`;
  }
  return out;
}

/** FNV-1a over code points, then `uuid(hash)`: the reference builder's `web_page` id. */
function pageViewId(sessionId: string, url: string): string {
  const text = `${sessionId} ${url}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) as number;
    if (code > 0xffff) i++;
    hash = Math.imul(hash ^ code, 0x01000193) >>> 0;
  }
  return fastUuid(hash);
}

/** Two hex digits of each byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Eight hex digits of an unsigned 32-bit integer. */
function hex8(n: number): string {
  return (
    (HEX_BYTE[n >>> 24] as string) +
    (HEX_BYTE[(n >>> 16) & 255] as string) +
    (HEX_BYTE[(n >>> 8) & 255] as string) +
    (HEX_BYTE[n & 255] as string)
  );
}

/** `uuid(n)` of `@tandem/feature-core/testing` (n an integer 0..2^48−1), without its number formatting. */
export function fastUuid(n: number): string {
  const high = Math.floor(n / 4_294_967_296);
  return `00000000-0000-4000-8000-${HEX_BYTE[high >>> 8]}${HEX_BYTE[high & 255]}${hex8(n >>> 0)}`;
}

function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return hex8(a) + hex8(b);
}

/** True when `encodeEnrichedLine` renders the spec itself rather than calling the reference builder. */
export function isFastEncodable(spec: EventSpec): boolean {
  const url = spec.pageUrl;
  return (
    spec.mkt !== undefined &&
    url?.startsWith(`${SHOP_ORIGIN}/`) === true &&
    !url.includes('#') &&
    Number.isInteger(spec.timeMs) &&
    (spec.collectorTimeMs === undefined || Number.isInteger(spec.collectorTimeMs)) &&
    spec.platform === undefined &&
    spec.clientSession !== false &&
    spec.domainSessionId === undefined &&
    spec.networkUserId === undefined &&
    spec.refund === undefined &&
    (spec.type === 'page_view' ||
      spec.type === 'page_ping' ||
      spec.type === 'site_search' ||
      FAST_ECOMMERCE.has(spec.type))
  );
}

/**
 * One enriched TSV line (131 fields, no newline), identical to `enrichedTsv(spec)` except for
 * `event_fingerprint` (a hash of the event's id, time and sizes instead of its whole JSON).
 * Fast for specs with an explicit `mkt`, a page URL on `SHOP_ORIGIN` and the event types the load
 * generator makes; any other spec is encoded by `enrichedTsv` itself.
 */
export function encodeEnrichedLine(spec: EventSpec): string {
  if (!isFastEncodable(spec)) return enrichedTsv(spec);
  const url = spec.pageUrl as string;
  const mkt = spec.mkt ?? {};
  const timeMs = spec.timeMs;
  const collectorMs = spec.collectorTimeMs ?? timeMs + COLLECTOR_DELAY_MS;
  const eventTime = enrichedTimestamp(timeMs);

  let names: readonly string[] = PAGE_VIEW_NAMES;
  let unstruct = '';
  if (spec.type === 'page_ping') names = PAGE_PING_NAMES;
  else if (spec.type === 'site_search') {
    names = SITE_SEARCH_NAMES;
    unstruct = JSON.stringify({
      schema: SCHEMAS.unstructEvent,
      data: { schema: SCHEMAS.siteSearch, data: { terms: spec.searchTerms ?? [], totalResults: 24, pageResults: 12 } },
    });
  } else if (spec.type !== 'page_view') {
    names = ECOMMERCE_NAMES;
    unstruct = ecommerceUnstruct(spec.type, spec.listName);
  }

  const previous = spec.previousSessionId;
  const contexts =
    `{"schema":"${SCHEMAS.contexts}","data":[{"schema":"${SCHEMAS.webPage}","data":{"id":"${pageViewId(spec.sessionId, url)}"}},` +
    `{"schema":"${SCHEMAS.clientSession}","data":{"userId":${JSON.stringify(spec.domainUserId)},` +
    `"sessionId":${JSON.stringify(spec.sessionId)},"sessionIndex":${spec.sessionIndex ?? 1},` +
    `"previousSessionId":${previous === undefined || previous === null ? 'null' : JSON.stringify(previous)},` +
    `"storageMechanism":"COOKIE_1","firstEventId":${JSON.stringify(spec.firstEventId ?? spec.eventId)},` +
    `"firstEventTimestamp":"${isoTimestamp(spec.firstEventTimeMs ?? timeMs)}","eventIndex":${spec.eventIndex ?? 1}}}` +
    `${ecommerceEntities(spec)}]}`;

  const rest = url.slice(SHOP_ORIGIN.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);

  const v = new Array<string>(VARIABLE_FIELDS.length);
  v[F.etl] = enrichedTimestamp(collectorMs + ETL_DELAY_MS);
  v[F.collector] = enrichedTimestamp(collectorMs);
  v[F.created] = eventTime;
  v[F.event] = names[0] as string;
  v[F.eventId] = spec.eventId;
  v[F.userId] = spec.userId ?? '';
  v[F.domainUserId] = spec.domainUserId;
  v[F.sessionIdx] = String(spec.sessionIndex ?? 1);
  v[F.country] = spec.geo?.country ?? '';
  v[F.region] = spec.geo?.region ?? '';
  v[F.pageUrl] = url;
  v[F.pageTitle] = spec.pageTitle ?? 'Tandem Shop';
  v[F.path] = path === '' ? '/' : path;
  v[F.query] = q < 0 ? '' : rest.slice(q + 1);
  v[F.mktMedium] = mkt.medium ?? '';
  v[F.mktSource] = mkt.source ?? '';
  v[F.mktTerm] = mkt.term ?? '';
  v[F.mktContent] = mkt.content ?? '';
  v[F.mktCampaign] = mkt.campaign ?? '';
  v[F.contexts] = contexts;
  v[F.unstruct] = unstruct;
  v[F.useragent] = spec.useragent ?? DESKTOP_USER_AGENT;
  v[F.sent] = enrichedTimestamp(timeMs + SENT_DELAY_MS);
  v[F.sessionId] = spec.sessionId;
  v[F.derived] = eventTime;
  v[F.vendor] = names[1] as string;
  v[F.name] = names[2] as string;
  v[F.format] = names[3] as string;
  v[F.version] = names[4] as string;
  // The reference hashes the whole contexts text (a third of the cost of a line); this hashes the
  // event's identity instead. Nothing reads `event_fingerprint`: Tandem deduplicates by event_id.
  v[F.fingerprint] = fingerprint(`${spec.eventId}|${timeMs}|${spec.type}|${contexts.length}|${unstruct.length}`);
  v[F.trueTime] = eventTime;
  // Constant runs of fields are pre-joined: one concatenation per varying field, not a 131-way join.
  let line = SEGMENTS[0] as string;
  for (let i = 0; i < v.length; i++) line += (v[i] as string) + (SEGMENTS[i + 1] as string);
  return line;
}
