import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS_NETWORK_USER_ID,
  anonymizeIp,
  deriveTimestamp,
  enrichEvent,
  eventFingerprint,
  formatTimestamp,
  urlParts,
} from './enrich.js';
import {
  CHROME_DESKTOP,
  context,
  DUID,
  IPAD,
  IPHONE,
  NUID,
  PAGE_URL,
  pageView,
  productView,
  REFERRER,
  SCHEMAS,
  SID,
  T_COLLECTOR,
  T_CREATED,
  T_ETL,
  T_SENT,
} from './fixtures.test-support.js';
import { loadRangeTable, trustedProxyClientIp } from './geo.js';
import { ENRICHED_FIELD_NAMES } from './tsv.js';

const DEMO = fileURLToPath(new URL('../../geo/demo-ranges.csv', import.meta.url));
const ts = formatTimestamp;

/** Field values that are the same for the page view and the product view. */
function commonExpectations(event: Record<string, string>) {
  return {
    app_id: 'tandem-store',
    platform: 'web',
    etl_tstamp: ts(T_ETL),
    collector_tstamp: ts(T_COLLECTOR),
    dvce_created_tstamp: ts(T_CREATED),
    dvce_sent_tstamp: ts(T_SENT),
    true_tstamp: '',
    derived_tstamp: ts(T_COLLECTOR - (T_SENT - T_CREATED)),
    event_id: event.eid,
    txn_id: '',
    name_tracker: 'sp',
    v_tracker: 'js-4.10.0',
    v_collector: 'tandem-collector-0.1.0',
    v_etl: 'tandem-enrich-0.1.0',
    user_id: 'customer-20931',
    user_ipaddress: '192.0.2.44',
    domain_userid: DUID,
    domain_sessionidx: '3',
    domain_sessionid: SID,
    network_userid: NUID,
    page_url: PAGE_URL,
    page_title: 'Trail shoe | Tandem',
    page_referrer: REFERRER,
    page_urlscheme: 'https',
    page_urlhost: 'shop.example.com',
    page_urlport: '8443',
    page_urlpath: '/p/trail-shoe',
    page_urlquery: 'utm_source=news&utm_medium=email&utm_campaign=spring%20sale&utm_source=ignored',
    page_urlfragment: 'reviews',
    refr_urlscheme: 'http',
    refr_urlhost: 'www.example.org',
    refr_urlport: '80',
    refr_urlpath: '/search',
    refr_urlquery: 'q=shoes',
    refr_urlfragment: '',
    mkt_medium: 'email',
    mkt_source: 'news',
    mkt_term: '',
    mkt_content: '',
    mkt_campaign: 'spring sale',
    useragent: CHROME_DESKTOP,
    br_name: 'Chrome 120',
    br_family: 'Chrome',
    br_version: '120.0.0.0',
    br_type: 'Browser',
    br_renderengine: 'BLINK',
    br_lang: 'nl-NL',
    br_cookies: '1',
    br_colordepth: '24',
    br_viewwidth: '1280',
    br_viewheight: '720',
    os_name: 'Windows 10',
    os_family: 'Windows',
    os_manufacturer: 'Microsoft Corporation',
    os_timezone: 'Europe/Amsterdam',
    dvce_type: 'Computer',
    dvce_ismobile: '0',
    dvce_screenwidth: '1920',
    dvce_screenheight: '1080',
    doc_charset: 'UTF-8',
    doc_width: '1265',
    doc_height: '3400',
  };
}

describe('enrichEvent: every mapped field', () => {
  it('of a page view', () => {
    const event = pageView();
    const { fields, tsv, partitionKey } = enrichEvent(event, context());
    expect(fields).toMatchObject({
      ...commonExpectations(event),
      event: 'page_view',
      unstruct_event: '',
      event_vendor: 'com.snowplowanalytics.snowplow',
      event_name: 'page_view',
      event_format: 'jsonschema',
      event_version: '1-0-0',
    });
    expect(JSON.parse(fields.contexts)).toEqual(JSON.parse(event.co as string));
    expect(fields.contexts).toBe(JSON.stringify(JSON.parse(event.co as string)));
    expect(fields.event_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(partitionKey).toBe(DUID);
    const parts = tsv.split('\t');
    expect(parts).toHaveLength(131);
    ENRICHED_FIELD_NAMES.forEach((name, i) => {
      expect(parts[i]).toBe(fields[name]);
    });
    // Fields with no source stay empty.
    for (const name of ['geo_country', 'ip_isp', 'se_category', 'tr_orderid', 'ti_sku', 'derived_contexts'] as const) {
      expect(fields[name]).toBe('');
    }
  });

  it('of a self-describing ecommerce event, plain and base64', () => {
    const plain = enrichEvent(productView(), context());
    const encoded = enrichEvent(productView({ base64: true }), context());
    expect(plain.fields).toMatchObject({
      ...commonExpectations(productView()),
      event: 'unstruct',
      event_vendor: 'com.snowplowanalytics.snowplow.ecommerce',
      event_name: 'snowplow_ecommerce_action',
      event_format: 'jsonschema',
      event_version: '1-0-2',
    });
    expect(JSON.parse(plain.fields.unstruct_event)).toEqual({
      schema: SCHEMAS.unstructEvent,
      data: { schema: SCHEMAS.ecommerceAction, data: { type: 'product_view' } },
    });
    expect(JSON.parse(plain.fields.contexts).data[0].data.id).toBe('SKU-1042');
    expect(encoded.fields.unstruct_event).toBe(plain.fields.unstruct_event);
    expect(encoded.fields.contexts).toBe(plain.fields.contexts);
  });

  it('maps the event types, structured event and page ping fields', () => {
    const names: Record<string, string> = {
      pv: 'page_view',
      pp: 'page_ping',
      ue: 'unstruct',
      se: 'struct',
      tr: 'transaction',
      ti: 'transaction_item',
    };
    for (const [e, name] of Object.entries(names)) {
      expect(enrichEvent({ e, eid: 'x' }, context()).fields.event).toBe(name);
    }
    const se = enrichEvent(
      { e: 'se', eid: 'x', se_ca: 'video', se_ac: 'play', se_la: 'intro', se_pr: 'hd', se_va: '12.5' },
      context(),
    ).fields;
    expect([se.se_category, se.se_action, se.se_label, se.se_property, se.se_value]).toEqual([
      'video',
      'play',
      'intro',
      'hd',
      '12.5',
    ]);
    expect([se.event_vendor, se.event_name]).toEqual(['com.google.analytics', 'event']);
    const pp = enrichEvent({ e: 'pp', eid: 'x', pp_mix: '0', pp_max: '10', pp_miy: '200', pp_may: '900' }, context());
    expect([
      pp.fields.pp_xoffset_min,
      pp.fields.pp_xoffset_max,
      pp.fields.pp_yoffset_min,
      pp.fields.pp_yoffset_max,
    ]).toEqual(['0', '10', '200', '900']);
    expect(pp.fields.event_name).toBe('page_ping');
    expect(pp.partitionKey).toBe('x');
  });

  it('uses the app id fallback and the tracker network id (tnuid) when sent', () => {
    const { aid: _aid, ...noAid } = pageView();
    expect(enrichEvent(noAid, context({ appIdFallback: 'fallback' })).fields.app_id).toBe('fallback');
    expect(enrichEvent({ ...pageView(), tnuid: 'from-tracker' }, context()).fields.network_userid).toBe('from-tracker');
  });
});

describe('timestamps', () => {
  it('formats UTC with milliseconds', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006');
  });

  it('derived_tstamp is the true timestamp when sent', () => {
    const ttm = T_CREATED - 60_000;
    const f = enrichEvent({ ...pageView(), ttm: String(ttm) }, context()).fields;
    expect(f.true_tstamp).toBe(ts(ttm));
    expect(f.derived_tstamp).toBe(ts(ttm));
  });

  it('derived_tstamp is collector − (sent − created) without a true timestamp', () => {
    const f = enrichEvent(pageView(), context()).fields;
    expect(f.derived_tstamp).toBe(ts(T_COLLECTOR - 1_500));
    expect(deriveTimestamp(1_000_000, 100, 400, null)).toBe(999_700);
  });

  it('derived_tstamp is the collector time when dtm or stm is missing', () => {
    const { stm: _s, ...noStm } = pageView();
    expect(enrichEvent(noStm, context()).fields.derived_tstamp).toBe(ts(T_COLLECTOR));
    const { dtm: _d, ...noDtm } = pageView();
    const f = enrichEvent(noDtm, context()).fields;
    expect(f.derived_tstamp).toBe(ts(T_COLLECTOR));
    expect(f.dvce_created_tstamp).toBe('');
  });
});

describe('URLs and campaigns', () => {
  it('splits URLs with default and explicit ports', () => {
    expect(urlParts('https://a.example/x')).toEqual({
      scheme: 'https',
      host: 'a.example',
      port: '443',
      path: '/x',
      query: '',
      fragment: '',
    });
    expect(urlParts('http://a.example/')?.port).toBe('80');
    expect(urlParts('http://a.example:80/')?.port).toBe('80');
    expect(urlParts('http://a.example:8080/p?q=1#f')).toMatchObject({ port: '8080', query: 'q=1', fragment: 'f' });
    expect(urlParts('not a url')).toBeNull();
  });

  it('marks a same-host referrer as internal', () => {
    const f = enrichEvent({ ...pageView(), refr: 'https://shop.example.com/' }, context()).fields;
    expect(f.refr_medium).toBe('internal');
    expect(f.refr_urlport).toBe('443');
  });

  it('takes mkt_* from utm_* (first value wins, + and %20 are spaces)', () => {
    const url = 'https://s.example/?utm_term=red+shoes&utm_content=banner&utm_medium=cpc&utm_medium=x&utm_source=g';
    const f = enrichEvent({ e: 'pv', eid: 'x', url }, context()).fields;
    expect([f.mkt_medium, f.mkt_source, f.mkt_term, f.mkt_content, f.mkt_campaign]).toEqual([
      'cpc',
      'g',
      'red shoes',
      'banner',
      '',
    ]);
    const none = enrichEvent({ e: 'pv', eid: 'x', url: 'https://s.example/?q=1' }, context()).fields;
    expect(none.mkt_source).toBe('');
  });
});

describe('user agent', () => {
  it('parses desktop Chrome', () => {
    const f = enrichEvent(pageView(), context()).fields;
    expect([f.br_family, f.os_family, f.dvce_type, f.dvce_ismobile]).toEqual(['Chrome', 'Windows', 'Computer', '0']);
  });

  it('parses an iPhone (from the ua parameter, which wins over the header)', () => {
    const f = enrichEvent({ ...pageView(), ua: IPHONE }, context()).fields;
    expect(f).toMatchObject({
      useragent: IPHONE,
      br_name: 'Mobile Safari 17',
      br_family: 'Mobile Safari',
      br_version: '17.1',
      br_type: 'Browser (mobile)',
      br_renderengine: 'WEBKIT',
      os_name: 'iOS 17.1',
      os_family: 'iOS',
      os_manufacturer: 'Apple Inc.',
      dvce_type: 'Mobile',
      dvce_ismobile: '1',
    });
  });

  it('parses an iPad', () => {
    const f = enrichEvent(pageView(), context({ userAgentHeader: IPAD })).fields;
    expect(f).toMatchObject({ useragent: IPAD, os_family: 'iOS', dvce_type: 'Tablet', dvce_ismobile: '1' });
  });

  it('leaves the fields empty without a user agent', () => {
    const f = enrichEvent(pageView(), context({ userAgentHeader: null })).fields;
    expect([f.useragent, f.br_family, f.dvce_type, f.dvce_ismobile]).toEqual(['', '', '', '']);
  });
});

describe('IP address, anonymity and geo', () => {
  it('anonymises IPv4 octets and IPv6 groups', () => {
    expect(anonymizeIp('203.0.113.42', 0)).toBe('203.0.113.42');
    expect(anonymizeIp('203.0.113.42', 1)).toBe('203.0.113.x');
    expect(anonymizeIp('203.0.113.42', 2)).toBe('203.0.x.x');
    expect(anonymizeIp('203.0.113.42', 3)).toBe('203.x.x.x');
    expect(anonymizeIp('2001:db8::1', 2)).toBe('2001:db8:0:0:0:0:x:x');
    expect(enrichEvent(pageView(), context({ ipAnonymizationOctets: 2 })).fields.user_ipaddress).toBe('192.0.x.x');
  });

  it('looks up geo on the full address, before anonymisation', async () => {
    const geo = await loadRangeTable(DEMO);
    const f = enrichEvent(pageView(), context({ geo, ip: '198.51.100.23', ipAnonymizationOctets: 1 })).fields;
    expect(f).toMatchObject({
      user_ipaddress: '198.51.100.x',
      geo_country: 'DE',
      geo_region: 'BE',
      geo_city: 'Berlin',
      geo_zipcode: '10115',
      geo_latitude: '52.52',
      geo_longitude: '13.405',
      geo_region_name: 'Berlin',
      geo_timezone: 'Europe/Berlin',
    });
    expect(enrichEvent(pageView(), context({ geo, ip: '8.8.8.8' })).fields.geo_country).toBe('');
  });

  it('locates the client behind a trusted proxy through X-Forwarded-For', async () => {
    const geo = await loadRangeTable(DEMO);
    const ip = trustedProxyClientIp('127.0.0.1', '203.0.113.5', ['127.0.0.1']);
    const f = enrichEvent(pageView(), context({ geo, ip })).fields;
    expect([f.user_ipaddress, f.geo_country, f.geo_region]).toEqual(['203.0.113.5', 'GB', 'ENG']);
    const untrusted = trustedProxyClientIp('127.0.0.1', '203.0.113.5', []);
    expect(enrichEvent(pageView(), context({ geo, ip: untrusted })).fields.geo_country).toBe('NL');
  });

  it('SP-Anonymous: no IP, no geo, the zero network id', async () => {
    const geo = await loadRangeTable(DEMO);
    const f = enrichEvent(
      { ...pageView(), tnuid: 'ignored' },
      context({ anonymous: true, networkUserId: ANONYMOUS_NETWORK_USER_ID, geo }),
    ).fields;
    expect(f.user_ipaddress).toBe('');
    expect(f.geo_country).toBe('');
    expect(f.network_userid).toBe('00000000-0000-0000-0000-000000000000');
  });
});

describe('event fingerprint', () => {
  it('is stable across eid, stm, dtm, cv and nuid changes', () => {
    const a = pageView();
    const b = {
      ...a,
      eid: '11111111-2222-4333-8444-555555555555',
      stm: String(T_SENT + 9),
      dtm: '1',
      cv: 'x',
      nuid: 'y',
    };
    expect(enrichEvent(b, context()).fields.event_fingerprint).toBe(enrichEvent(a, context()).fields.event_fingerprint);
  });

  it('changes with any other parameter and ignores parameter order', () => {
    const a = pageView();
    expect(eventFingerprint({ ...a, page: 'Other' })).not.toBe(eventFingerprint(a));
    const reversed = Object.fromEntries(Object.entries(a).reverse());
    expect(eventFingerprint(reversed)).toBe(eventFingerprint(a));
  });

  it('is the MD5 of name U+001F value U+001F over the sorted parameters', () => {
    const expected = createHash('md5').update('a\u001f1\u001fb\u001f2\u001f').digest('hex');
    expect(eventFingerprint({ b: '2', eid: 'z', a: '1' })).toBe(expected);
  });
});
