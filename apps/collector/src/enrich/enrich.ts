/**
 * Enrichment of one tracker event (one `payload_data` 1-0-4 item, already schema-validated) into the
 * 131-field Snowplow enriched event (SNOWPLOW.md §3). Pure: the clock, the client address, the
 * network user id and the geo lookup come in through `EnrichContext`.
 *
 * What each group of fields follows:
 * - timestamps: `YYYY-MM-DD hh:mm:ss.SSS` UTC; `derived_tstamp` by Snowplow's rule (true_tstamp when
 *   sent, else collector − (dvce_sent − dvce_created) when both are sent, else collector).
 * - URL parts: WHATWG URL; the port is the explicit one, else 80 for http and 443 for https (as Enrich).
 * - mkt_*: the page URL's utm_* parameters, first value of each wins (feature-core's marketingFromUrl).
 * - br_* / os_* / dvce_*: ua-parser-js, mapped onto the legacy user-agent-utils vocabulary.
 * - event_vendor/name/format/version: the self-describing event's Iglu URI; for the built-in events
 *   the schema Enrich assigns them.
 * - event_fingerprint: see `eventFingerprint`.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { marketingFromUrl } from '@tandem/feature-core/enriched';
import UAParser from 'ua-parser-js';
import type { GeoLookup } from './geo.js';
import { type EnrichedFields, emptyFields, toTsvLine } from './tsv.js';

export const ANONYMOUS_NETWORK_USER_ID = '00000000-0000-0000-0000-000000000000';

export interface EnrichContext {
  /** When the collector received the request (epoch ms). */
  collectorTimeMs: number;
  /** When enrichment ran (epoch ms). */
  etlTimeMs: number;
  /** Client address (after proxy handling); null when unknown. */
  ip: string | null;
  /** The request's User-Agent header; used when the event has no `ua` parameter. */
  userAgentHeader: string | null;
  /** The `sp` cookie value, or the zero id under SP-Anonymous. */
  networkUserId: string;
  /** The request carried `SP-Anonymous: *`: no IP (and so no geo), network id as passed in. */
  anonymous: boolean;
  geo: GeoLookup | null;
  /** IP anonymisation: how many trailing IPv4 octets (IPv6: 16-bit groups) become `x`. Default 0. */
  ipAnonymizationOctets?: 0 | 1 | 2 | 3;
  /** v_collector, e.g. `tandem-collector-0.1.0`. */
  collectorName: string;
  /** v_etl, e.g. `tandem-enrich-0.1.0`. */
  etlName: string;
  /** app_id when the event has no `aid`. */
  appIdFallback?: string;
}

export interface EnrichedEvent {
  fields: EnrichedFields;
  /** The enriched TSV line (no trailing newline). */
  tsv: string;
  /** Kafka key: domain_userid, else event_id. */
  partitionKey: string;
}

type TrackerEvent = Readonly<Record<string, string>>;

const EVENT_NAMES: Readonly<Record<string, string>> = {
  pv: 'page_view',
  pp: 'page_ping',
  ue: 'unstruct',
  se: 'struct',
  tr: 'transaction',
  ti: 'transaction_item',
};

/** The schema Enrich assigns to the events that are not self-describing. */
const BUILT_IN_SCHEMAS: Readonly<Record<string, string>> = {
  pv: 'iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0',
  pp: 'iglu:com.snowplowanalytics.snowplow/page_ping/jsonschema/1-0-0',
  se: 'iglu:com.google.analytics/event/jsonschema/1-0-0',
  tr: 'iglu:com.snowplowanalytics.snowplow/transaction/jsonschema/1-0-0',
  ti: 'iglu:com.snowplowanalytics.snowplow/transaction_item/jsonschema/1-0-0',
};

/** Tracker parameters copied verbatim into an enriched field. */
const DIRECT: ReadonlyArray<readonly [string, keyof EnrichedFields]> = [
  ['eid', 'event_id'],
  ['tid', 'txn_id'],
  ['tna', 'name_tracker'],
  ['tv', 'v_tracker'],
  ['uid', 'user_id'],
  ['fp', 'user_fingerprint'],
  ['duid', 'domain_userid'],
  ['vid', 'domain_sessionidx'],
  ['sid', 'domain_sessionid'],
  ['url', 'page_url'],
  ['page', 'page_title'],
  ['refr', 'page_referrer'],
  ['se_ca', 'se_category'],
  ['se_ac', 'se_action'],
  ['se_la', 'se_label'],
  ['se_pr', 'se_property'],
  ['se_va', 'se_value'],
  ['tr_id', 'tr_orderid'],
  ['tr_af', 'tr_affiliation'],
  ['tr_tt', 'tr_total'],
  ['tr_tx', 'tr_tax'],
  ['tr_sh', 'tr_shipping'],
  ['tr_ci', 'tr_city'],
  ['tr_st', 'tr_state'],
  ['tr_co', 'tr_country'],
  ['tr_cu', 'tr_currency'],
  ['ti_id', 'ti_orderid'],
  ['ti_sk', 'ti_sku'],
  ['ti_nm', 'ti_name'],
  ['ti_ca', 'ti_category'],
  ['ti_pr', 'ti_price'],
  ['ti_qu', 'ti_quantity'],
  ['ti_cu', 'ti_currency'],
  ['pp_mix', 'pp_xoffset_min'],
  ['pp_max', 'pp_xoffset_max'],
  ['pp_miy', 'pp_yoffset_min'],
  ['pp_may', 'pp_yoffset_max'],
  ['lang', 'br_lang'],
  ['f_pdf', 'br_features_pdf'],
  ['f_fla', 'br_features_flash'],
  ['f_java', 'br_features_java'],
  ['f_dir', 'br_features_director'],
  ['f_qt', 'br_features_quicktime'],
  ['f_realp', 'br_features_realplayer'],
  ['f_wma', 'br_features_windowsmedia'],
  ['f_gears', 'br_features_gears'],
  ['f_ag', 'br_features_silverlight'],
  ['cookie', 'br_cookies'],
  ['cd', 'br_colordepth'],
  ['cs', 'doc_charset'],
  ['tz', 'os_timezone'],
];

// ---------------------------------------------------------------------------------------------
// Small pieces (exported for tests and for the collector)

/** Epoch ms → `YYYY-MM-DD hh:mm:ss.SSS` (UTC). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A tracker timestamp parameter (epoch ms digits) as a number; null when absent or not digits. */
function epochParam(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/** Snowplow's rule for derived_tstamp (SNOWPLOW.md §3). */
export function deriveTimestamp(
  collectorMs: number,
  dvceCreatedMs: number | null,
  dvceSentMs: number | null,
  trueMs: number | null,
): number {
  if (trueMs !== null) return trueMs;
  if (dvceCreatedMs !== null && dvceSentMs !== null) return collectorMs - (dvceSentMs - dvceCreatedMs);
  return collectorMs;
}

/**
 * Replaces the last `octets` IPv4 octets with `x` (Snowplow's IP anonymisation enrichment:
 * `203.0.113.42` with 2 → `203.0.x.x`). IPv6: the same number of trailing 16-bit groups of the
 * expanded address. Anything else is returned unchanged.
 */
export function anonymizeIp(ip: string, octets: 0 | 1 | 2 | 3): string {
  if (octets === 0) return ip;
  if (isIPv4(ip)) {
    const parts = ip.split('.');
    return parts.map((part, i) => (i >= 4 - octets ? 'x' : part)).join('.');
  }
  if (isIPv6(ip) && !ip.includes('.')) {
    const [head = '', tail = ''] = ip.split('::');
    const headParts = head === '' ? [] : head.split(':');
    const tailParts = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
    const groups = ip.includes('::')
      ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
      : headParts;
    return groups.map((group, i) => (i >= 8 - octets ? 'x' : group)).join(':');
  }
  return ip;
}

interface UrlParts {
  scheme: string;
  host: string;
  port: string;
  path: string;
  query: string;
  fragment: string;
}

/** Scheme, host, port (explicit, else 80/443 for http/https), path, query and fragment of a URL. */
export function urlParts(text: string): UrlParts | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const scheme = url.protocol.replace(/:$/, '');
  const port = url.port !== '' ? url.port : scheme === 'http' ? '80' : scheme === 'https' ? '443' : '';
  return {
    scheme,
    host: url.hostname,
    port,
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    fragment: url.hash.replace(/^#/, ''),
  };
}

/** `1280x720` → [`1280`, `720`]; empty strings when malformed. */
function dimensions(value: string | undefined): [string, string] {
  const m = value === undefined ? null : /^(\d+)x(\d+)$/.exec(value);
  return m === null ? ['', ''] : [m[1] as string, m[2] as string];
}

/** A JSON parameter sent plain (`plain`) or as URL-safe base64 (`encoded`), re-serialized compactly. */
function jsonParam(event: TrackerEvent, plain: string, encoded: string): { text: string; value: unknown } | null {
  let text = event[plain];
  if (text === undefined || text === '') {
    const base64 = event[encoded];
    if (base64 === undefined || base64 === '') return null;
    text = Buffer.from(base64, 'base64url').toString('utf8');
  }
  try {
    const value = JSON.parse(text) as unknown;
    return { text: JSON.stringify(value), value };
  } catch {
    return null;
  }
}

const IGLU_URI = /^iglu:([a-zA-Z0-9._-]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/([0-9]+-[0-9]+-[0-9]+)$/;

/** vendor, name, format, version of an Iglu URI; null when malformed. */
export function parseIgluUri(uri: string): [string, string, string, string] | null {
  const m = IGLU_URI.exec(uri);
  return m === null ? null : [m[1] as string, m[2] as string, m[3] as string, m[4] as string];
}

/** The inner event's schema URI of an unstruct_event envelope. */
function unstructSchema(envelope: unknown): string | null {
  if (typeof envelope !== 'object' || envelope === null) return null;
  const data = (envelope as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return null;
  const schema = (data as { schema?: unknown }).schema;
  return typeof schema === 'string' ? schema : null;
}

/** Tracker parameters left out of the fingerprint: they differ between retries of the same event. */
export const FINGERPRINT_EXCLUDED = ['cv', 'dtm', 'eid', 'nuid', 'stm'] as const;

/**
 * event_fingerprint: MD5 (hex) over the tracker parameters sorted by name, excluding
 * `FINGERPRINT_EXCLUDED`. Each kept parameter contributes `name` U+001F `value` U+001F (the unit
 * separator keeps `a=bc` and `ab=c` apart). Snowplow's event fingerprint enrichment excludes cv,
 * eid, nuid and stm by default; `dtm` is excluded here too so that a tracker re-sending an event
 * with a fresh device time still fingerprints the same (duplicates are what the field is for).
 */
export function eventFingerprint(event: TrackerEvent): string {
  const excluded: ReadonlySet<string> = new Set(FINGERPRINT_EXCLUDED);
  const names = Object.keys(event)
    .filter((name) => !excluded.has(name))
    .sort();
  const hash = createHash('md5');
  for (const name of names) hash.update(`${name}\u001f${event[name] ?? ''}\u001f`, 'utf8');
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// User agent

export interface UserAgentFields {
  br_name: string;
  br_family: string;
  br_version: string;
  br_type: string;
  br_renderengine: string;
  os_name: string;
  os_family: string;
  os_manufacturer: string;
  dvce_type: string;
  dvce_ismobile: string;
}

const OS_MANUFACTURERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(Windows|Xbox)/i, 'Microsoft Corporation'],
  [/^(Mac OS|macOS|iOS|iPadOS|watchOS|tvOS)/i, 'Apple Inc.'],
  [/^(Android|Chrome OS|Chromium OS|Fuchsia)/i, 'Google Inc.'],
  [/^(BlackBerry|RIM)/i, 'Research In Motion'],
  [/^(Symbian|MeeGo|Maemo)/i, 'Nokia'],
  [/^(Tizen|Bada)/i, 'Samsung'],
  [/^(Sony|PlayStation)/i, 'Sony'],
];

/**
 * The br_* / os_* / dvce_* fields from a user agent, parsed with ua-parser-js and written in the
 * vocabulary of Snowplow's legacy user-agent-utils enrichment: br_name `Chrome 120`, br_family
 * `Chrome`, br_type `Browser` or `Browser (mobile)`, br_renderengine `WEBKIT`/`BLINK`/`GECKO`…,
 * os_name `iOS 17.1`, os_family `iOS`, dvce_type `Computer` / `Mobile` / `Tablet` / `Game console`…,
 * dvce_ismobile `1`/`0`. Empty fields when the parser knows nothing.
 */
/** Parsed user agents, by string: one shopper sends many events with the same one, and parsing is regex-heavy. */
const userAgentCache = new Map<string, UserAgentFields>();
const USER_AGENT_CACHE_SIZE = 1_000;

/** `parseUserAgent` with a small cache (oldest entry evicted first). */
export function parseUserAgentCached(userAgent: string | null): UserAgentFields {
  if (userAgent === null) return parseUserAgent(null);
  let fields = userAgentCache.get(userAgent);
  if (fields === undefined) {
    fields = parseUserAgent(userAgent);
    if (userAgentCache.size >= USER_AGENT_CACHE_SIZE) {
      userAgentCache.delete(userAgentCache.keys().next().value as string);
    }
    userAgentCache.set(userAgent, fields);
  }
  return fields;
}

export function parseUserAgent(userAgent: string | null): UserAgentFields {
  const out: UserAgentFields = {
    br_name: '',
    br_family: '',
    br_version: '',
    br_type: '',
    br_renderengine: '',
    os_name: '',
    os_family: '',
    os_manufacturer: '',
    dvce_type: '',
    dvce_ismobile: '',
  };
  if (userAgent === null || userAgent === '') return out;
  const result = new UAParser(userAgent).getResult();
  const { browser, engine, os, device } = result;
  const mobile = device.type === 'mobile' || device.type === 'tablet' || device.type === 'wearable';
  if (browser.name !== undefined) {
    out.br_family = browser.name;
    out.br_name = browser.major !== undefined ? `${browser.name} ${browser.major}` : browser.name;
    out.br_version = browser.version ?? '';
    out.br_type = mobile ? 'Browser (mobile)' : 'Browser';
  }
  out.br_renderengine = engine.name?.toUpperCase() ?? '';
  if (os.name !== undefined) {
    out.os_family = os.name;
    out.os_name = os.version !== undefined ? `${os.name} ${os.version}` : os.name;
    out.os_manufacturer = OS_MANUFACTURERS.find(([pattern]) => pattern.test(os.name as string))?.[1] ?? 'Other';
  }
  switch (device.type) {
    case 'mobile':
      out.dvce_type = 'Mobile';
      break;
    case 'tablet':
      out.dvce_type = 'Tablet';
      break;
    case 'wearable':
      out.dvce_type = 'Wearable computer';
      break;
    case 'console':
      out.dvce_type = 'Game console';
      break;
    case 'smarttv':
      out.dvce_type = 'Digital media receiver';
      break;
    case 'embedded':
      out.dvce_type = 'Unknown';
      break;
    default:
      out.dvce_type = os.name !== undefined || browser.name !== undefined ? 'Computer' : 'Unknown';
  }
  out.dvce_ismobile = mobile ? '1' : '0';
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Enriches one tracker event. Never throws on odd values: a field it cannot fill stays empty. */
export function enrichEvent(event: TrackerEvent, context: EnrichContext): EnrichedEvent {
  const f = emptyFields();
  const e = event.e ?? '';

  f.app_id = event.aid || context.appIdFallback || '';
  f.platform = event.p ?? '';
  f.etl_tstamp = formatTimestamp(context.etlTimeMs);
  f.collector_tstamp = formatTimestamp(context.collectorTimeMs);
  f.event = EVENT_NAMES[e] ?? '';
  f.v_collector = context.collectorName;
  f.v_etl = context.etlName;
  for (const [param, field] of DIRECT) f[field] = event[param] ?? '';

  // Timestamps.
  const created = epochParam(event.dtm);
  const sent = epochParam(event.stm);
  const trueTime = epochParam(event.ttm);
  if (created !== null) f.dvce_created_tstamp = formatTimestamp(created);
  if (sent !== null) f.dvce_sent_tstamp = formatTimestamp(sent);
  if (trueTime !== null) f.true_tstamp = formatTimestamp(trueTime);
  f.derived_tstamp = formatTimestamp(deriveTimestamp(context.collectorTimeMs, created, sent, trueTime));

  // Network identity, address and location. Geo is looked up on the full address, before anonymisation.
  f.network_userid = context.anonymous ? context.networkUserId : event.tnuid || context.networkUserId;
  const ip = context.anonymous ? null : context.ip;
  if (ip !== null && ip !== '') {
    f.user_ipaddress = anonymizeIp(ip, context.ipAnonymizationOctets ?? 0);
    const geo = context.geo?.lookup(ip) ?? null;
    if (geo !== null) {
      f.geo_country = geo.country;
      f.geo_region = geo.region ?? '';
      f.geo_city = geo.city ?? '';
      f.geo_zipcode = geo.zipcode ?? '';
      f.geo_latitude = geo.latitude === null ? '' : String(geo.latitude);
      f.geo_longitude = geo.longitude === null ? '' : String(geo.longitude);
      f.geo_region_name = geo.regionName ?? '';
      f.geo_timezone = geo.timezone ?? '';
    }
  }

  // Page and referrer URLs.
  const page = f.page_url === '' ? null : urlParts(f.page_url);
  if (page !== null) {
    f.page_urlscheme = page.scheme;
    f.page_urlhost = page.host;
    f.page_urlport = page.port;
    f.page_urlpath = page.path;
    f.page_urlquery = page.query;
    f.page_urlfragment = page.fragment;
  }
  const referrer = f.page_referrer === '' ? null : urlParts(f.page_referrer);
  if (referrer !== null) {
    f.refr_urlscheme = referrer.scheme;
    f.refr_urlhost = referrer.host;
    f.refr_urlport = referrer.port;
    f.refr_urlpath = referrer.path;
    f.refr_urlquery = referrer.query;
    f.refr_urlfragment = referrer.fragment;
    if (page !== null && referrer.host === page.host) f.refr_medium = 'internal';
  }

  // Campaign attribution.
  if (f.page_url !== '') {
    // feature-core's own reading of utm_*, so the browser derives exactly the same mkt_* values.
    const marketing = marketingFromUrl(f.page_url);
    f.mkt_medium = marketing?.medium ?? '';
    f.mkt_source = marketing?.source ?? '';
    f.mkt_term = marketing?.term ?? '';
    f.mkt_content = marketing?.content ?? '';
    f.mkt_campaign = marketing?.campaign ?? '';
  }

  // Entities and the self-describing event.
  f.contexts = jsonParam(event, 'co', 'cx')?.text ?? '';
  const unstruct = jsonParam(event, 'ue_pr', 'ue_px');
  f.unstruct_event = unstruct?.text ?? '';
  const schema =
    e === 'ue' ? (unstruct === null ? null : unstructSchema(unstruct.value)) : (BUILT_IN_SCHEMAS[e] ?? null);
  const iglu = schema === null ? null : parseIgluUri(schema);
  if (iglu !== null) [f.event_vendor, f.event_name, f.event_format, f.event_version] = iglu;

  // Browser, OS and device.
  f.useragent = event.ua || context.userAgentHeader || '';
  Object.assign(f, parseUserAgentCached(f.useragent === '' ? null : f.useragent));
  [f.br_viewwidth, f.br_viewheight] = dimensions(event.vp);
  [f.dvce_screenwidth, f.dvce_screenheight] = dimensions(event.res);
  [f.doc_width, f.doc_height] = dimensions(event.ds);

  f.event_fingerprint = eventFingerprint(event);

  return { fields: f, tsv: toTsvLine(f), partitionKey: f.domain_userid || f.event_id };
}
