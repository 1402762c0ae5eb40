import { describe, expect, it } from 'vitest';
import {
  buildEventBody,
  classifyDevice,
  ECOMMERCE_ACTION_SCHEMA,
  marketingFromUrl,
  parseContextsEnvelope,
  parseIgluUri,
  parseUnstructEnvelope,
  type SelfDescribing,
} from './snowplow.js';
import { DESKTOP_USER_AGENT, PHONE_USER_AGENT, SCHEMAS } from './test-support/builders.js';
import { reasonOf } from './test-support/results.js';

function sd(uri: string, data: unknown): SelfDescribing {
  const schema = parseIgluUri(uri);
  if (schema === null) throw new Error(`test setup: bad URI ${uri}`);
  return { schema, uri, data };
}

const product = (id: string) => sd(SCHEMAS.product, { id, category: 'Running Shoes', price: 89.5, currency: 'USD' });
const cart = sd(SCHEMAS.cart, { total_value: 89.5, currency: 'USD' });
const action = (type: string, name?: string) =>
  sd(ECOMMERCE_ACTION_SCHEMA, name === undefined ? { type } : { type, name });

describe('parseIgluUri', () => {
  it('splits vendor, name, format and version', () => {
    expect(parseIgluUri(SCHEMAS.ecommerceAction)).toEqual({
      vendor: 'com.snowplowanalytics.snowplow.ecommerce',
      name: 'snowplow_ecommerce_action',
      format: 'jsonschema',
      model: 1,
      revision: 0,
      addition: 2,
    });
  });

  it.each([
    'com.acme/x/jsonschema/1-0-0',
    'iglu:com.acme/x/jsonschema/1-0',
    'iglu:com.acme/x/jsonschema/01-0-0',
    'iglu:com.acme/x/jsonschema/1-0-0/extra',
    'iglu:com acme/x/jsonschema/1-0-0',
    '',
  ])('rejects %j', (uri) => {
    expect(parseIgluUri(uri)).toBeNull();
  });
});

describe('parseUnstructEnvelope', () => {
  it('returns the self-describing event inside the envelope', () => {
    const result = parseUnstructEnvelope({
      schema: SCHEMAS.unstructEvent,
      data: { schema: SCHEMAS.siteSearch, data: { terms: ['x'] } },
    });
    expect(result.ok && result.value.uri).toBe(SCHEMAS.siteSearch);
    expect(result.ok && result.value.data).toEqual({ terms: ['x'] });
  });

  it.each([
    ['not an object', 'x'],
    ['an array', [SCHEMAS.unstructEvent]],
    ['the contexts envelope schema', { schema: SCHEMAS.contexts, data: { schema: SCHEMAS.siteSearch, data: {} } }],
    ['no data', { schema: SCHEMAS.unstructEvent }],
    ['a bad Iglu URI', { schema: 'unstruct_event', data: { schema: SCHEMAS.siteSearch, data: {} } }],
    ['an inner event without schema', { schema: SCHEMAS.unstructEvent, data: { data: {} } }],
    ['an inner event with a bad URI', { schema: SCHEMAS.unstructEvent, data: { schema: 'iglu:x', data: {} } }],
  ])('rejects an envelope with %s as bad_envelope', (_label, value) => {
    expect(reasonOf(parseUnstructEnvelope(value))).toBe('bad_envelope');
  });
});

describe('parseContextsEnvelope', () => {
  it('returns every entity in order', () => {
    const result = parseContextsEnvelope({
      schema: SCHEMAS.contexts,
      data: [
        { schema: SCHEMAS.webPage, data: { id: 'p' } },
        { schema: SCHEMAS.cart, data: { total_value: 1, currency: 'USD' } },
      ],
    });
    expect(result.ok && result.value.map((e) => e.schema.name)).toEqual(['web_page', 'cart']);
  });

  it('accepts an empty entity list', () => {
    expect(parseContextsEnvelope({ schema: SCHEMAS.contexts, data: [] })).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['data that is not an array', { schema: SCHEMAS.contexts, data: { schema: SCHEMAS.webPage, data: {} } }],
    ['the unstruct_event envelope schema', { schema: SCHEMAS.unstructEvent, data: [] }],
    ['an entity without schema', { schema: SCHEMAS.contexts, data: [{ data: {} }] }],
    ['an entity that is a string', { schema: SCHEMAS.contexts, data: ['web_page'] }],
    ['null', null],
  ])('rejects %s as bad_envelope', (_label, value) => {
    expect(reasonOf(parseContextsEnvelope(value))).toBe('bad_envelope');
  });
});

describe('buildEventBody', () => {
  it('maps a page view with a client_session to its session id', () => {
    const body = buildEventBody('page_view', null, [
      sd(SCHEMAS.clientSession, { sessionId: 's-1', userId: 'd-1', sessionIndex: 1 }),
    ]);
    expect(body).toMatchObject({ ok: true, value: { type: 'page_view', schema: null, clientSessionId: 's-1' } });
  });

  it('takes the list name for list_view and list_click only', () => {
    const listView = buildEventBody('self_describing', action('list_view', 'Top this week'), [product('a')]);
    expect(listView.ok && listView.value.listName).toBe('Top this week');
    const listClick = buildEventBody('self_describing', action('list_click', 'Top this week'), [product('a')]);
    expect(listClick.ok && listClick.value.listName).toBe('Top this week');
    // `name` on another action is valid per the schema but means nothing to features.
    const view = buildEventBody('self_describing', action('product_view', 'Top this week'), [product('a')]);
    expect(view.ok && view.value.listName).toBeNull();
  });

  it('reads site_search terms', () => {
    const body = buildEventBody('self_describing', sd(SCHEMAS.siteSearch, { terms: ['rain', 'jacket'] }), []);
    expect(body).toMatchObject({ ok: true, value: { type: 'site_search', searchTerms: ['rain', 'jacket'] } });
  });

  it('treats a self-describing event of another schema as other activity', () => {
    const body = buildEventBody('self_describing', sd(SCHEMAS.linkClick, { targetUrl: 'https://x.test' }), []);
    expect(body).toMatchObject({ ok: true, value: { type: 'other', schema: SCHEMAS.linkClick } });
  });

  it('keeps the first cart, checkout_step and transaction entity and every product', () => {
    const body = buildEventBody('self_describing', action('add_to_cart'), [
      product('a'),
      product('b'),
      cart,
      sd(SCHEMAS.cart, { total_value: 1, currency: 'USD' }),
    ]);
    expect(body.ok && body.value.products.map((p) => p.id)).toEqual(['a', 'b']);
    expect(body.ok && body.value.cart?.totalValueMinor).toBe(8950);
  });

  it('ignores entities of other vendors and other major versions', () => {
    const body = buildEventBody('self_describing', action('product_view'), [
      product('a'),
      sd('iglu:com.acme/product/jsonschema/1-0-0', { anything: true }),
      sd('iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/2-0-0', { id: 5 }),
    ]);
    expect(body.ok && body.value.products.map((p) => p.id)).toEqual(['a']);
  });

  it.each([
    ['product_view without a product', 'product_view', []],
    ['add_to_cart without a cart', 'add_to_cart', [product('a')]],
    ['add_to_cart without a product', 'add_to_cart', [cart]],
    ['remove_from_cart without a cart', 'remove_from_cart', [product('a')]],
    ['checkout_step without a checkout_step', 'checkout_step', [cart]],
    ['transaction without a transaction', 'transaction', [product('a')]],
    ['trns_error without a transaction', 'trns_error', []],
    ['promo_view without a promotion', 'promo_view', []],
  ] as const)('rejects %s as missing_entity', (_label, type, entities) => {
    expect(reasonOf(buildEventBody('self_describing', action(type), entities))).toBe('missing_entity');
  });

  it('accepts actions that need no entity (list views of an empty list, refunds)', () => {
    expect(reasonOf(buildEventBody('self_describing', action('list_view', 'Empty'), []))).toBe('ok');
    expect(reasonOf(buildEventBody('self_describing', action('refund'), []))).toBe('ok');
  });

  it('checks an entity features read wherever it appears, even on a page view', () => {
    const badProduct = sd(SCHEMAS.product, { id: 'a', category: 'x', price: 19.999, currency: 'USD' });
    expect(reasonOf(buildEventBody('page_view', null, [badProduct]))).toBe('invalid_field');
  });

  it('rejects a self_describing kind without its event', () => {
    expect(reasonOf(buildEventBody('self_describing', null, []))).toBe('missing_field');
  });

  it('rejects an invalid action type as invalid_field', () => {
    expect(reasonOf(buildEventBody('self_describing', action('buy'), [product('a')]))).toBe('invalid_field');
  });
});

describe('marketingFromUrl', () => {
  it('maps utm_* to the mkt_* fields', () => {
    expect(
      marketingFromUrl(
        'https://shop.example.com/search?q=shoes&utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=trail&utm_content=hero',
      ),
    ).toEqual({ source: 'newsletter', medium: 'email', campaign: 'spring', term: 'trail', content: 'hero' });
  });

  it('decodes the values and leaves missing ones null', () => {
    expect(marketingFromUrl('https://x.test/?utm_campaign=spring+sale%21')).toEqual({
      source: null,
      medium: null,
      campaign: 'spring sale!',
      term: null,
      content: null,
    });
  });

  it('is null when the URL has no non-empty utm_* parameter', () => {
    expect(marketingFromUrl('https://x.test/search?q=shoes')).toBeNull();
    expect(marketingFromUrl('https://x.test/?utm_campaign=')).toBeNull();
    expect(marketingFromUrl('https://x.test/#utm_campaign=spring')).toBeNull();
    expect(marketingFromUrl(null)).toBeNull();
  });
});

describe('classifyDevice', () => {
  it.each([
    [DESKTOP_USER_AGENT, 'Desktop'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Safari/537.36',
      'Desktop',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0', 'Desktop'],
    [PHONE_USER_AGENT, 'Phone'],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Mobile Safari/537.36',
      'Phone',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/604.1',
      'Tablet',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Safari/537.36',
      'Tablet',
    ],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Other'],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/134.0 Safari/537.36',
      'Other',
    ],
    ['curl/8.5.0', 'Other'],
  ])('classifies %s as %s', (userAgent, expected) => {
    expect(classifyDevice(userAgent)).toBe(expected);
  });

  it('gives null without a user agent', () => {
    expect(classifyDevice(null)).toBeNull();
    expect(classifyDevice('')).toBeNull();
  });
});
