/**
 * Builders of realistic Snowplow inputs from one compact spec, for adapter tests, the golden journey,
 * property tests and the benchmark. The same spec gives the three wire formats the adapters read:
 *
 * - `trackerPayload`: one event of `payload_data` 1-0-4 as `@snowplow/browser-tracker` v4 and the
 *   ecommerce plugin send it (SNOWPLOW.md §1), plain JSON (`ue_pr`, `co`) or base64 (`ue_px`, `cx`);
 * - `enrichedTsv`: the 131-field line Snowplow Enrich writes to Kafka (SNOWPLOW.md §3);
 * - `snowbridgeJson`: the message the accelerator's Snowbridge transformer makes of that event.
 *
 * The builders encode what a spec says and check nothing, so a test can build an invalid event
 * (a price of 19.999, an add_to_cart without its cart) and see the adapter reject it.
 * They use no platform API (no Buffer, btoa or URL), like the code under test.
 */
import { ENRICHED_FIELD_NAMES, type EnrichedFieldName } from '../adapters/enriched-fields.js';

/** A product entity (`product` 1-0-0). `price` is a decimal in major units, as the schema has it. */
export interface ProductSpec {
  readonly id: string;
  readonly category: string;
  readonly price: number;
  /** Default `USD`. */
  readonly currency?: string;
  readonly name?: string;
  readonly brand?: string;
  readonly quantity?: number;
}

export interface CartSpec {
  readonly total_value: number;
  /** Default `USD`. */
  readonly currency?: string;
  readonly cart_id?: string;
}

export interface TransactionSpec {
  readonly transaction_id: string;
  readonly revenue: number;
  /** Default `USD`. */
  readonly currency?: string;
  /** Default `card`. */
  readonly payment_method?: string;
  /** Default: the sum of the products' quantities (1 each when unset), as the plugin computes it. */
  readonly total_quantity?: number;
}

export interface MarketingSpec {
  readonly medium?: string;
  readonly source?: string;
  readonly term?: string;
  readonly content?: string;
  readonly campaign?: string;
}

export type EcommerceSpecType =
  | 'product_view'
  | 'list_view'
  | 'list_click'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'checkout_step'
  | 'transaction'
  | 'refund'
  | 'trns_error'
  | 'promo_view'
  | 'promo_click';

/** `struct` is a structured (`se`) event; `link_click` a self-describing event no feature reads. */
export type EventSpecType = EcommerceSpecType | 'page_view' | 'page_ping' | 'site_search' | 'struct' | 'link_click';

export interface EventSpec {
  /** A UUID (see `uuid`). */
  readonly eventId: string;
  /** Event time, epoch ms: sent as the true timestamp, so it is also the enriched `derived_tstamp`. */
  readonly timeMs: number;
  /** Set once the shopper has signed in. */
  readonly userId?: string;
  readonly domainUserId: string;
  /** The tracker's session id: `sid`, `domain_sessionid` and `client_session.sessionId`. */
  readonly sessionId: string;
  readonly type: EventSpecType;
  readonly products?: readonly ProductSpec[];
  readonly cart?: CartSpec;
  /** The ecommerce action's `name`, sent for list_view / list_click. */
  readonly listName?: string;
  /** checkout_step's `step`. */
  readonly step?: number;
  readonly transaction?: TransactionSpec;
  readonly promotion?: { readonly id: string; readonly name?: string };
  readonly refund?: { readonly transaction_id: string; readonly refund_amount: number; readonly currency?: string };
  /** site_search's `terms`. */
  readonly searchTerms?: readonly string[];
  /** Default `https://shop.example.com/`. */
  readonly pageUrl?: string;
  readonly pageTitle?: string;
  /** Default `web`. */
  readonly platform?: string;
  /** Default: a desktop Chrome on macOS. Ignored by the tracker payload (the collector reads the header). */
  readonly useragent?: string;
  /** IP-lookup enrichment result; absent means the enrichment found nothing. */
  readonly geo?: { readonly country: string; readonly region?: string };
  /** When the collector received the event; default `timeMs + 150`. */
  readonly collectorTimeMs?: number;
  /** Campaign fields; default: derived from the page URL's `utm_*` as Enrich does. */
  readonly mkt?: MarketingSpec;
  /** client_session fields; defaults make a first session whose first event is this one. */
  readonly sessionIndex?: number;
  readonly previousSessionId?: string | null;
  readonly firstEventId?: string;
  readonly firstEventTimeMs?: number;
  readonly eventIndex?: number;
  /** False leaves the client_session entity out (tracker created without `contexts.session`). */
  readonly clientSession?: boolean;
  /** Overrides `domain_sessionid` / `sid` when a test needs it to differ from `sessionId`. */
  readonly domainSessionId?: string;
  readonly networkUserId?: string;
}

/** A self-describing JSON: `{schema, data}`. */
export interface SelfDescribingJson {
  readonly schema: string;
  readonly data: unknown;
}

export const DEFAULT_PAGE_URL = 'https://shop.example.com/';
export const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36';
export const PHONE_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
/** Default network user id (the collector's `sp` cookie). */
export const DEFAULT_NETWORK_USER_ID = 'c0ffee00-0000-4000-8000-000000000001';

/** Delay from event to collector when the spec does not set one, ms. */
export const DEFAULT_COLLECTOR_DELAY_MS = 150;

export const SCHEMAS = {
  payloadData: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
  unstructEvent: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
  contexts: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
  webPage: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0',
  clientSession: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
  siteSearch: 'iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0',
  linkClick: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1',
  ecommerceAction: 'iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2',
  product: 'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0',
  cart: 'iglu:com.snowplowanalytics.snowplow.ecommerce/cart/jsonschema/1-0-0',
  checkoutStep: 'iglu:com.snowplowanalytics.snowplow.ecommerce/checkout_step/jsonschema/1-0-0',
  transaction: 'iglu:com.snowplowanalytics.snowplow.ecommerce/transaction/jsonschema/1-0-0',
  transactionError: 'iglu:com.snowplowanalytics.snowplow.ecommerce/transaction_error/jsonschema/1-0-0',
  refund: 'iglu:com.snowplowanalytics.snowplow.ecommerce/refund/jsonschema/1-0-0',
  promotion: 'iglu:com.snowplowanalytics.snowplow.ecommerce/promotion/jsonschema/1-0-0',
} as const;

const ECOMMERCE_TYPES: ReadonlySet<string> = new Set<EcommerceSpecType>([
  'product_view',
  'list_view',
  'list_click',
  'add_to_cart',
  'remove_from_cart',
  'checkout_step',
  'transaction',
  'refund',
  'trns_error',
  'promo_view',
  'promo_click',
]);

export function isEcommerceType(type: EventSpecType): type is EcommerceSpecType {
  return ECOMMERCE_TYPES.has(type);
}

/**
 * A deterministic, valid (version 4, variant 1) UUID whose last 12 hex digits are `n`:
 * `uuid(1)` is `00000000-0000-4000-8000-000000000001`. `n` is an integer 0..2^48−1.
 */
export function uuid(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 48) throw new RangeError(`uuid(n): n out of range: ${n}`);
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** When the collector received the event, epoch ms. */
export function collectorTimeOf(spec: EventSpec): number {
  return spec.collectorTimeMs ?? spec.timeMs + DEFAULT_COLLECTOR_DELAY_MS;
}

// ---------------------------------------------------------------------------------------------
// Text encoding: the inverse of what the adapters decode, written independently of encoding.ts.

/** UTF-8 bytes of a string; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function encodeUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    let code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else {
      bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
  }
  return Uint8Array.from(bytes);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** URL-safe base64 without padding, as the tracker writes `ue_px` and `cx`. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const triple = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += BASE64URL_ALPHABET[(triple >> 18) & 63];
    out += BASE64URL_ALPHABET[(triple >> 12) & 63];
    if (b1 !== undefined) out += BASE64URL_ALPHABET[(triple >> 6) & 63];
    if (b2 !== undefined) out += BASE64URL_ALPHABET[triple & 63];
  }
  return out;
}

/** URL-safe base64 (no padding) of the UTF-8 bytes of `text`. */
export function base64UrlText(text: string): string {
  return encodeBase64Url(encodeUtf8(text));
}

// ---------------------------------------------------------------------------------------------
// URLs, parsed the way Enrich splits `page_url` and reads `utm_*` (no URL global in the core's libs).

export interface UrlParts {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly query: string;
  readonly fragment: string;
}

const URL_PATTERN = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/:?#]+)(?::(\d+))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

/** Splits an absolute http(s) URL; the port defaults by scheme, as Enrich's `page_urlport` does. */
export function urlParts(url: string): UrlParts | null {
  const m = URL_PATTERN.exec(url);
  if (m === null) return null;
  const scheme = (m[1] as string).toLowerCase();
  return {
    scheme,
    host: m[2] as string,
    port: m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : 80,
    path: m[4] === undefined || m[4] === '' ? '/' : m[4],
    query: m[5] ?? '',
    fragment: m[6] ?? '',
  };
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Campaign fields as Enrich's campaign attribution derives them from `utm_*` (first value wins). */
export function marketingOfUrl(url: string): MarketingSpec {
  const query = urlParts(url)?.query ?? '';
  const found: Record<string, string> = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = decodeFormComponent(pair.slice(0, eq));
    const value = decodeFormComponent(pair.slice(eq + 1));
    if (name.startsWith('utm_') && !(name in found) && value !== '') found[name] = value;
  }
  const out: { -readonly [K in keyof MarketingSpec]: string } = {};
  if (found.utm_medium !== undefined) out.medium = found.utm_medium;
  if (found.utm_source !== undefined) out.source = found.utm_source;
  if (found.utm_term !== undefined) out.term = found.utm_term;
  if (found.utm_content !== undefined) out.content = found.utm_content;
  if (found.utm_campaign !== undefined) out.campaign = found.utm_campaign;
  return out;
}

/** The spec's campaign fields: `mkt` when given, else the page URL's `utm_*`. */
export function marketingOf(spec: EventSpec): MarketingSpec {
  return spec.mkt ?? marketingOfUrl(spec.pageUrl ?? DEFAULT_PAGE_URL);
}

// ---------------------------------------------------------------------------------------------
// Self-describing JSON shared by the three formats.

/** Drops keys whose value is undefined, so JSON text and the parsed object agree. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function productData(product: ProductSpec): Record<string, unknown> {
  return compact({
    id: product.id,
    name: product.name,
    category: product.category,
    price: product.price,
    currency: product.currency ?? 'USD',
    quantity: product.quantity,
    brand: product.brand,
  });
}

export function cartData(cart: CartSpec): Record<string, unknown> {
  return compact({ cart_id: cart.cart_id, total_value: cart.total_value, currency: cart.currency ?? 'USD' });
}

export function transactionData(spec: EventSpec, transaction: TransactionSpec): Record<string, unknown> {
  const quantity = (spec.products ?? []).reduce((sum, p) => sum + (p.quantity ?? 1), 0);
  return {
    transaction_id: transaction.transaction_id,
    revenue: transaction.revenue,
    currency: transaction.currency ?? 'USD',
    payment_method: transaction.payment_method ?? 'card',
    total_quantity: transaction.total_quantity ?? quantity,
  };
}

export function clientSessionData(spec: EventSpec): Record<string, unknown> {
  return {
    userId: spec.domainUserId,
    sessionId: spec.sessionId,
    sessionIndex: spec.sessionIndex ?? 1,
    previousSessionId: spec.previousSessionId ?? null,
    storageMechanism: 'COOKIE_1',
    firstEventId: spec.firstEventId ?? spec.eventId,
    firstEventTimestamp: new Date(spec.firstEventTimeMs ?? spec.timeMs).toISOString(),
    eventIndex: spec.eventIndex ?? 1,
  };
}

/** The page view id of `web_page`: stable for one page of one session, like the tracker's. */
function pageViewId(spec: EventSpec): string {
  let hash = 0x811c9dc5;
  for (const char of `${spec.sessionId} ${spec.pageUrl ?? DEFAULT_PAGE_URL}`) {
    hash = Math.imul(hash ^ (char.codePointAt(0) as number), 0x01000193) >>> 0;
  }
  return uuid(hash);
}

/** The self-describing event of a `ue` event, or null for page views, pings and structured events. */
export function selfDescribingEvent(spec: EventSpec): SelfDescribingJson | null {
  if (isEcommerceType(spec.type)) {
    const named = spec.type === 'list_view' || spec.type === 'list_click';
    return {
      schema: SCHEMAS.ecommerceAction,
      data: named ? { type: spec.type, name: spec.listName ?? null } : { type: spec.type },
    };
  }
  if (spec.type === 'site_search') {
    return { schema: SCHEMAS.siteSearch, data: { terms: spec.searchTerms ?? [], totalResults: 24, pageResults: 12 } };
  }
  if (spec.type === 'link_click') {
    return { schema: SCHEMAS.linkClick, data: { targetUrl: 'https://help.example.com/returns' } };
  }
  return null;
}

/** The ecommerce entities the plugin attaches for the spec's action (SNOWPLOW.md §1). */
export function ecommerceEntities(spec: EventSpec): SelfDescribingJson[] {
  const entities: SelfDescribingJson[] = [];
  const products = (spec.products ?? []).map((p) => ({ schema: SCHEMAS.product, data: productData(p) }));
  // trackProductView attaches exactly one product; the other functions attach all they are given.
  entities.push(...(spec.type === 'product_view' ? products.slice(0, 1) : products));
  if (spec.cart !== undefined) entities.push({ schema: SCHEMAS.cart, data: cartData(spec.cart) });
  if (spec.step !== undefined) entities.push({ schema: SCHEMAS.checkoutStep, data: { step: spec.step } });
  if (spec.transaction !== undefined) {
    entities.push({ schema: SCHEMAS.transaction, data: transactionData(spec, spec.transaction) });
  }
  if (spec.type === 'trns_error') {
    entities.push({
      schema: SCHEMAS.transactionError,
      data: { error_code: 'E402', error_shortcode: 'declined', error_description: 'Card declined', error_type: 'hard' },
    });
  }
  if (spec.refund !== undefined) {
    entities.push({
      schema: SCHEMAS.refund,
      data: {
        transaction_id: spec.refund.transaction_id,
        currency: spec.refund.currency ?? 'USD',
        refund_amount: spec.refund.refund_amount,
      },
    });
  }
  if (spec.promotion !== undefined) entities.push({ schema: SCHEMAS.promotion, data: compact({ ...spec.promotion }) });
  return entities;
}

/** Every entity of the event: web_page, client_session (unless turned off), then the ecommerce ones. */
export function allEntities(spec: EventSpec): SelfDescribingJson[] {
  const entities: SelfDescribingJson[] = [{ schema: SCHEMAS.webPage, data: { id: pageViewId(spec) } }];
  if (spec.clientSession !== false) entities.push({ schema: SCHEMAS.clientSession, data: clientSessionData(spec) });
  entities.push(...ecommerceEntities(spec));
  return entities;
}

/** `{schema: unstruct_event, data: <event>}`. */
export function unstructEnvelope(event: SelfDescribingJson): SelfDescribingJson {
  return { schema: SCHEMAS.unstructEvent, data: event };
}

/** `{schema: contexts, data: [<entities>]}`. */
export function contextsEnvelope(entities: readonly SelfDescribingJson[]): SelfDescribingJson {
  return { schema: SCHEMAS.contexts, data: entities };
}

// ---------------------------------------------------------------------------------------------
// Tracker payload.

export type TrackerPayloadEvent = Record<string, string>;

/** The tracker's `e` for each spec type. */
function trackerEventCode(type: EventSpecType): string {
  switch (type) {
    case 'page_view':
      return 'pv';
    case 'page_ping':
      return 'pp';
    case 'struct':
      return 'se';
    default:
      return 'ue';
  }
}

/**
 * One event of a `payload_data` POST body, as the browser tracker v4 sends it: every value a string.
 * `ttm` (the true timestamp) is set beside `dtm`, as Tandem's tracker plugin does in `beforeTrack`
 * so that browser and server agree on the event time. With `{ base64: true }` the self-describing
 * event and entities go as `ue_px` / `cx` (the GET form) instead of `ue_pr` / `co`.
 */
export function trackerPayload(spec: EventSpec, options: { readonly base64?: boolean } = {}): TrackerPayloadEvent {
  const url = spec.pageUrl ?? DEFAULT_PAGE_URL;
  const payload: TrackerPayloadEvent = {
    e: trackerEventCode(spec.type),
    eid: spec.eventId,
    tv: 'js-4.10.0',
    tna: 'sp',
    aid: 'tandem-shop',
    p: spec.platform ?? 'web',
    dtm: String(spec.timeMs),
    ttm: String(spec.timeMs),
    stm: String(spec.timeMs + 40),
    duid: spec.domainUserId,
    sid: spec.domainSessionId ?? spec.sessionId,
    vid: String(spec.sessionIndex ?? 1),
    url,
    page: spec.pageTitle ?? 'Tandem Shop',
    lang: 'en-US',
    tz: 'Europe/Berlin',
    cs: 'UTF-8',
    cd: '24',
    cookie: '1',
    res: '1920x1080',
    vp: '1512x823',
    ds: '1512x3200',
  };
  if (spec.userId !== undefined) payload.uid = spec.userId;
  if (spec.type === 'struct') {
    payload.se_ca = 'ui';
    payload.se_ac = 'toggle_filters';
  }
  if (spec.type === 'page_ping') {
    payload.pp_mix = '0';
    payload.pp_max = '0';
    payload.pp_miy = '0';
    payload.pp_may = '640';
  }
  const event = selfDescribingEvent(spec);
  const encode = (json: unknown) => {
    const text = JSON.stringify(json);
    return options.base64 === true ? base64UrlText(text) : text;
  };
  if (event !== null) payload[options.base64 === true ? 'ue_px' : 'ue_pr'] = encode(unstructEnvelope(event));
  payload[options.base64 === true ? 'cx' : 'co'] = encode(contextsEnvelope(allEntities(spec)));
  return payload;
}

/** The POST body that carries tracker payload events. */
export function trackerPostBody(events: readonly TrackerPayloadEvent[]): {
  schema: string;
  data: TrackerPayloadEvent[];
} {
  return { schema: SCHEMAS.payloadData, data: [...events] };
}

// ---------------------------------------------------------------------------------------------
// Enriched TSV.

export type { EnrichedFieldName };
export { ENRICHED_FIELD_NAMES };

/** Enriched timestamp text: `YYYY-MM-DD hh:mm:ss.SSS`, UTC. */
export function enrichedTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** `event`, `event_vendor`, `event_name`, `event_format`, `event_version` as Enrich fills them. */
function enrichedEventNames(spec: EventSpec): [string, string, string, string, string] {
  const event = selfDescribingEvent(spec);
  if (event !== null) {
    const [, vendor, name, format, version] = /^iglu:([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(event.schema) ?? [];
    return ['unstruct', vendor ?? '', name ?? '', format ?? '', version ?? ''];
  }
  switch (spec.type) {
    case 'page_ping':
      return ['page_ping', 'com.snowplowanalytics.snowplow', 'page_ping', 'jsonschema', '1-0-0'];
    case 'struct':
      return ['struct', 'com.google.analytics', 'event', 'jsonschema', '1-0-0'];
    default:
      return ['page_view', 'com.snowplowanalytics.snowplow', 'page_view', 'jsonschema', '1-0-0'];
  }
}

function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The enriched event as a record of field name → value ('' for empty); `enrichedTsv` joins it. */
export function enrichedFields(spec: EventSpec): Record<EnrichedFieldName, string> {
  const fields = Object.fromEntries(ENRICHED_FIELD_NAMES.map((name) => [name, ''])) as Record<
    EnrichedFieldName,
    string
  >;
  const collectorMs = collectorTimeOf(spec);
  const url = spec.pageUrl ?? DEFAULT_PAGE_URL;
  const parts = urlParts(url);
  const mkt = marketingOf(spec);
  const [event, vendor, name, format, version] = enrichedEventNames(spec);
  const unstruct = selfDescribingEvent(spec);
  Object.assign(fields, {
    app_id: 'tandem-shop',
    platform: spec.platform ?? 'web',
    etl_tstamp: enrichedTimestamp(collectorMs + 400),
    collector_tstamp: enrichedTimestamp(collectorMs),
    dvce_created_tstamp: enrichedTimestamp(spec.timeMs),
    event,
    event_id: spec.eventId,
    name_tracker: 'sp',
    v_tracker: 'js-4.10.0',
    v_collector: 'ssc-3.2.0-kafka',
    v_etl: 'snowplow-enrich-kafka-5.2.0',
    user_id: spec.userId ?? '',
    user_ipaddress: '203.0.113.42',
    domain_userid: spec.domainUserId,
    domain_sessionidx: String(spec.sessionIndex ?? 1),
    network_userid: spec.networkUserId ?? DEFAULT_NETWORK_USER_ID,
    geo_country: spec.geo?.country ?? '',
    geo_region: spec.geo?.region ?? '',
    page_url: url,
    page_title: spec.pageTitle ?? 'Tandem Shop',
    page_urlscheme: parts?.scheme ?? '',
    page_urlhost: parts?.host ?? '',
    page_urlport: parts === null ? '' : String(parts.port),
    page_urlpath: parts?.path ?? '',
    page_urlquery: parts?.query ?? '',
    page_urlfragment: parts?.fragment ?? '',
    mkt_medium: mkt.medium ?? '',
    mkt_source: mkt.source ?? '',
    mkt_term: mkt.term ?? '',
    mkt_content: mkt.content ?? '',
    mkt_campaign: mkt.campaign ?? '',
    contexts: JSON.stringify(contextsEnvelope(allEntities(spec))),
    unstruct_event: unstruct === null ? '' : JSON.stringify(unstructEnvelope(unstruct)),
    useragent: spec.useragent ?? DESKTOP_USER_AGENT,
    br_lang: 'en-US',
    br_cookies: '1',
    br_colordepth: '24',
    br_viewwidth: '1512',
    br_viewheight: '823',
    os_timezone: 'Europe/Berlin',
    dvce_screenwidth: '1920',
    dvce_screenheight: '1080',
    doc_charset: 'UTF-8',
    doc_width: '1512',
    doc_height: '3200',
    dvce_sent_tstamp: enrichedTimestamp(spec.timeMs + 40),
    domain_sessionid: spec.domainSessionId ?? spec.sessionId,
    // The tracker sent a true timestamp, so Enrich takes it as the derived one.
    derived_tstamp: enrichedTimestamp(spec.timeMs),
    event_vendor: vendor,
    event_name: name,
    event_format: format,
    event_version: version,
    true_tstamp: enrichedTimestamp(spec.timeMs),
  } satisfies Partial<Record<EnrichedFieldName, string>>);
  if (spec.type === 'struct') {
    fields.se_category = 'ui';
    fields.se_action = 'toggle_filters';
  }
  fields.event_fingerprint = fingerprint(`${spec.eventId}|${spec.timeMs}|${fields.contexts}|${fields.unstruct_event}`);
  return fields;
}

/** Joins enriched fields (by name) into one TSV line, in SNOWPLOW.md §3 order. */
export function toTsvLine(fields: Record<EnrichedFieldName, string>): string {
  return ENRICHED_FIELD_NAMES.map((name) => fields[name]).join('\t');
}

/** One enriched event, 131 tab-separated fields, no trailing newline. */
export function enrichedTsv(spec: EventSpec): string {
  return toTsvLine(enrichedFields(spec));
}

/** An enriched line with some fields replaced (by name), for tests of one field. */
export function enrichedTsvWith(spec: EventSpec, overrides: Partial<Record<EnrichedFieldName, string>>): string {
  return toTsvLine({ ...enrichedFields(spec), ...overrides });
}

// ---------------------------------------------------------------------------------------------
// Snowbridge JSON (the accelerator's transformer output).

export type SnowbridgeMessage = Record<string, unknown>;

/** The message `type`: the action type for ecommerce, else the enriched `event`. */
function snowbridgeType(spec: EventSpec): string {
  if (isEcommerceType(spec.type)) return spec.type;
  return enrichedEventNames(spec)[0];
}

function snowbridgePayload(spec: EventSpec): Record<string, unknown> {
  const products = (spec.products ?? []).map(productData);
  const cart = spec.cart === undefined ? {} : cartData(spec.cart);
  switch (spec.type) {
    case 'page_view':
      return compact({ page_title: spec.pageTitle ?? 'Tandem Shop', page_url: spec.pageUrl ?? DEFAULT_PAGE_URL });
    case 'product_view':
      // The transformer writes `{}` when the entity is missing.
      return { product: products[0] ?? {} };
    case 'add_to_cart':
    case 'remove_from_cart':
      return { product: products[0] ?? {}, cart };
    case 'checkout_step':
      return { checkout_step: spec.step === undefined ? {} : { step: spec.step }, cart };
    case 'list_view':
    case 'list_click':
      return { products, list_name: spec.listName ?? null };
    case 'promo_view':
    case 'promo_click':
      return { promotion: spec.promotion === undefined ? {} : compact({ ...spec.promotion }) };
    case 'transaction':
    case 'trns_error':
      // The accelerator's transformer writes nothing for these; Tandem documents this extension
      // (products + transaction entity) for deployments that switch to it.
      return compact({
        products,
        transaction: spec.transaction === undefined ? undefined : transactionData(spec, spec.transaction),
      });
    default:
      return {};
  }
}

/**
 * The accelerator's Snowbridge message for the event (its `event-transformer.js` applied to
 * Snowbridge's `spEnrichedToJson` output), as parsed JSON: `timestamp` is the derived timestamp,
 * `session` the client_session entity (or `domain_sessionid`/`domain_sessionidx` without one),
 * `enrich.marketing` the non-empty `mkt_*` fields or null. It carries no geolocation.
 */
export function snowbridgeJson(spec: EventSpec): SnowbridgeMessage {
  const collectorMs = collectorTimeOf(spec);
  const url = spec.pageUrl ?? DEFAULT_PAGE_URL;
  const mkt = marketingOf(spec);
  const marketing = compact({
    mkt_medium: mkt.medium,
    mkt_source: mkt.source,
    mkt_term: mkt.term,
    mkt_content: mkt.content,
    mkt_campaign: mkt.campaign,
  });
  const [, vendor, , format, version] = enrichedEventNames(spec);
  const message = {
    id: spec.eventId,
    type: snowbridgeType(spec),
    timestamp: new Date(spec.timeMs).toISOString(),
    payload: snowbridgePayload(spec),
    enrich: {
      client: {
        useragent: spec.useragent ?? DESKTOP_USER_AGENT,
        browser: {
          viewport: '1512x823',
          resolution: '1920x1080',
          color_depth: '24',
          cookies_enabled: true,
          language: 'en-US',
        },
        device: {
          created_tstamp: new Date(spec.timeMs).toISOString(),
          sent_tstamp: new Date(spec.timeMs + 40).toISOString(),
          screen_width: 1920,
          screen_height: 1080,
          os_timezone: 'Europe/Berlin',
        },
        page: { page_url: url, page_title: spec.pageTitle ?? 'Tandem Shop' },
      },
      performance: {},
      user: compact({
        user_id: spec.userId,
        domain_userid: spec.domainUserId,
        network_userid: spec.networkUserId ?? DEFAULT_NETWORK_USER_ID,
        ip_address: '203.0.113.42',
      }),
      marketing: Object.keys(marketing).length > 0 ? marketing : null,
      platform: spec.platform ?? 'web',
    },
    session:
      spec.clientSession === false
        ? { domain_sessionid: spec.domainSessionId ?? spec.sessionId, domain_sessionidx: spec.sessionIndex ?? 1 }
        : clientSessionData(spec),
    metadata: {
      event_version: version,
      event_format: format,
      event_vendor: vendor,
      app_id: 'tandem-shop',
      etl_tstamp: new Date(collectorMs + 400).toISOString(),
      collector_tstamp: new Date(collectorMs).toISOString(),
      v_tracker: 'js-4.10.0',
      v_collector: 'ssc-3.2.0-kafka',
      v_etl: 'snowplow-enrich-kafka-5.2.0',
      name_tracker: 'sp',
    },
  };
  return message;
}
