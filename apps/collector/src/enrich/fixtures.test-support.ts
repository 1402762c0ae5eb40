/** Tracker payloads shared by the enrich tests: what @snowplow/browser-tracker v4 sends (SNOWPLOW.md §1). */
import type { EnrichContext } from './enrich.js';

export const T_CREATED = Date.UTC(2026, 10, 27, 10, 0, 0, 0);
export const T_SENT = T_CREATED + 1_500;
export const T_COLLECTOR = T_SENT + 40_000;
export const T_ETL = T_COLLECTOR + 25;

export const CHROME_DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
export const IPAD =
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1';

export const SCHEMAS = {
  unstructEvent: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
  contexts: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
  webPage: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0',
  clientSession: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
  ecommerceAction: 'iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2',
  product: 'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0',
} as const;

export const DUID = '5b3e1d7e-2c1a-4f7e-9f00-0a1b2c3d4e5f';
export const SID = 'c6a1f2e3-4b5c-4d6e-8f70-112233445566';
export const NUID = '9d8c7b6a-5f4e-4d3c-8b2a-102938475665';
export const PAGE_URL =
  'https://shop.example.com:8443/p/trail-shoe?utm_source=news&utm_medium=email&utm_campaign=spring%20sale&utm_source=ignored#reviews';
export const REFERRER = 'http://www.example.org/search?q=shoes';

const clientSession = {
  schema: SCHEMAS.clientSession,
  data: {
    userId: DUID,
    sessionId: SID,
    sessionIndex: 3,
    eventIndex: 7,
    previousSessionId: null,
    storageMechanism: 'LOCAL_STORAGE',
    firstEventId: 'e1e1e1e1-0000-4000-8000-000000000001',
    firstEventTimestamp: '2026-11-27T09:58:00.000Z',
  },
};
const webPage = { schema: SCHEMAS.webPage, data: { id: 'a0a0a0a0-1111-4222-8333-444455556666' } };
const product = {
  schema: SCHEMAS.product,
  data: { id: 'SKU-1042', name: 'Trail shoe', category: 'shoes/trail', price: 89.95, currency: 'EUR' },
};

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

interface Options {
  base64?: boolean;
}

function common(eid: string): Record<string, string> {
  return {
    eid,
    dtm: String(T_CREATED),
    stm: String(T_SENT),
    tv: 'js-4.10.0',
    tna: 'sp',
    aid: 'tandem-store',
    p: 'web',
    duid: DUID,
    sid: SID,
    vid: '3',
    uid: 'customer-20931',
    url: PAGE_URL,
    refr: REFERRER,
    page: 'Trail shoe | Tandem',
    res: '1920x1080',
    vp: '1280x720',
    ds: '1265x3400',
    cd: '24',
    cs: 'UTF-8',
    lang: 'nl-NL',
    tz: 'Europe/Amsterdam',
    cookie: '1',
  };
}

function withJson(
  event: Record<string, string>,
  plain: string,
  encoded: string,
  value: unknown,
  options: Options,
): Record<string, string> {
  const text = JSON.stringify(value);
  if (options.base64) event[encoded] = base64(text);
  else event[plain] = text;
  return event;
}

/** A page view with web_page + client_session entities. */
export function pageView(options: Options = {}): Record<string, string> {
  const event = { e: 'pv', ...common('0f1e2d3c-4b5a-4697-8877-665544332211') };
  return withJson(event, 'co', 'cx', { schema: SCHEMAS.contexts, data: [webPage, clientSession] }, options);
}

/** trackProductView: a snowplow_ecommerce_action product_view with product + client_session entities. */
export function productView(options: Options = {}): Record<string, string> {
  const event = { e: 'ue', ...common('7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d') };
  withJson(
    event,
    'ue_pr',
    'ue_px',
    { schema: SCHEMAS.unstructEvent, data: { schema: SCHEMAS.ecommerceAction, data: { type: 'product_view' } } },
    options,
  );
  return withJson(event, 'co', 'cx', { schema: SCHEMAS.contexts, data: [product, webPage, clientSession] }, options);
}

export function context(overrides: Partial<EnrichContext> = {}): EnrichContext {
  return {
    collectorTimeMs: T_COLLECTOR,
    etlTimeMs: T_ETL,
    ip: '192.0.2.44',
    userAgentHeader: CHROME_DESKTOP,
    networkUserId: NUID,
    anonymous: false,
    geo: null,
    collectorName: 'tandem-collector-0.1.0',
    etlName: 'tandem-enrich-0.1.0',
    ...overrides,
  };
}
