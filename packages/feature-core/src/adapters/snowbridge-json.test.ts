import { describe, expect, it } from 'vitest';
import { SCHEMAS, type SnowbridgeMessage, snowbridgeJson, uuid } from '../test-support/builders.js';
import { okValue, reasonOf } from '../test-support/results.js';
import {
  INVALID_SPECS,
  KINDS,
  SAMPLE_DUID,
  SAMPLE_SESSION,
  SAMPLE_T0,
  SAMPLE_USER_ID,
  sampleSpec,
} from '../test-support/sample-specs.js';
import { fromSnowbridgeJson } from './snowbridge-json.js';

function decoded(message: unknown) {
  return okValue(fromSnowbridgeJson(message));
}

/** A message with one nested field replaced, e.g. `edit(m, ['enrich', 'user'], {...})`. */
function edit(message: SnowbridgeMessage, path: readonly string[], value: unknown): SnowbridgeMessage {
  const copy = JSON.parse(JSON.stringify(message)) as SnowbridgeMessage;
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const DAY_MS = 24 * 3600_000;

describe('fromSnowbridgeJson: accepted events', () => {
  it.each(KINDS)('accepts a %s message', (kind, expectedType) => {
    const event = decoded(snowbridgeJson(sampleSpec(kind)));
    // The transformer keeps only ecommerce data: a site search arrives as a bare `unstruct`.
    expect(event.type).toBe(kind === 'site_search' ? 'other' : expectedType);
    expect(event.sessionKey).toBe(SAMPLE_SESSION);
  });

  it('reads the message as JSON text the same as parsed', () => {
    const message = snowbridgeJson(sampleSpec('add_to_cart'));
    expect(fromSnowbridgeJson(JSON.stringify(message))).toEqual(fromSnowbridgeJson(message));
  });

  it('maps every field of a product_view message', () => {
    const spec = sampleSpec('product_view', {
      userId: SAMPLE_USER_ID,
      products: [{ id: '5', name: 'SP Flex Runner 2', brand: 'Snowplow', category: 'Kid shoes', price: 42.99 }],
      pageUrl: 'https://shop.example.com/product/5?utm_source=newsletter&utm_campaign=spring',
    });
    expect(fromSnowbridgeJson(snowbridgeJson(spec))).toEqual({
      ok: true,
      value: {
        eventId: uuid(1),
        eventTimeMs: SAMPLE_T0,
        collectorTimeMs: SAMPLE_T0 + 150,
        clockSkewCorrected: false,
        userKey: SAMPLE_USER_ID,
        userId: SAMPLE_USER_ID,
        domainUserId: SAMPLE_DUID,
        sessionKey: SAMPLE_SESSION,
        type: 'product_view',
        schema: SCHEMAS.ecommerceAction,
        products: [
          {
            id: '5',
            category: 'Kid shoes',
            priceMinor: 4299,
            currency: 'USD',
            name: 'SP Flex Runner 2',
            brand: 'Snowplow',
            quantity: null,
          },
        ],
        cart: null,
        listName: null,
        checkoutStep: null,
        transaction: null,
        promotion: null,
        searchTerms: null,
        pageUrl: 'https://shop.example.com/product/5?utm_source=newsletter&utm_campaign=spring',
        marketing: { medium: null, source: 'newsletter', term: null, content: null, campaign: 'spring' },
        platform: 'web',
        userAgent: expect.stringContaining('Macintosh'),
        deviceClass: 'Desktop',
        // The accelerator's message carries no geolocation.
        geo: null,
      },
    });
  });

  it('maps cart, list, checkout and transaction payloads', () => {
    expect(decoded(snowbridgeJson(sampleSpec('add_to_cart'))).cart).toEqual({
      totalValueMinor: 2998,
      currency: 'USD',
      cartId: 'cart-1',
    });
    const list = decoded(snowbridgeJson(sampleSpec('list_view')));
    expect(list.listName).toBe('Top this week');
    expect(list.products.map((p) => p.id)).toEqual(['sku-101', 'sku-310']);
    expect(decoded(snowbridgeJson(sampleSpec('checkout_step', { step: 1 }))).checkoutStep?.step).toBe(1);
    expect(decoded(snowbridgeJson(sampleSpec('transaction'))).transaction?.revenueMinor).toBe(12498);
  });

  it('treats the `{}` the transformer writes for a missing cart as absent', () => {
    // A checkout_step message always has `cart`, `{}` when the event had none.
    const message = snowbridgeJson(sampleSpec('checkout_step'));
    expect((message.payload as Record<string, unknown>).cart).toEqual({});
    expect(decoded(message).cart).toBeNull();
  });

  it('keys the session by the client_session entity, else domain_sessionid', () => {
    const withoutEntity = snowbridgeJson(sampleSpec('page_view', { clientSession: false, domainSessionId: uuid(77) }));
    expect(withoutEntity.session).toEqual({ domain_sessionid: uuid(77), domain_sessionidx: 1 });
    expect(decoded(withoutEntity).sessionKey).toBe(uuid(77));
  });

  it('keys the user by user_id, else domain_userid', () => {
    expect(decoded(snowbridgeJson(sampleSpec('page_view'))).userKey).toBe(SAMPLE_DUID);
    expect(decoded(snowbridgeJson(sampleSpec('page_view', { userId: SAMPLE_USER_ID }))).userKey).toBe(SAMPLE_USER_ID);
  });

  it('reads campaign fields from enrich.marketing, null when the transformer wrote null', () => {
    expect(decoded(snowbridgeJson(sampleSpec('page_view'))).marketing).toEqual({
      medium: 'email',
      source: 'newsletter',
      term: null,
      content: null,
      campaign: 'spring',
    });
    const message = snowbridgeJson(sampleSpec('product_view'));
    expect(message.enrich).toMatchObject({ marketing: null });
    expect(decoded(message).marketing).toBeNull();
  });

  it('falls back to payload.page_url when enrich.client.page is missing', () => {
    const message = edit(snowbridgeJson(sampleSpec('page_view')), ['enrich', 'client', 'page'], undefined);
    expect(decoded(message).pageUrl).toMatch(/^https:\/\/shop\.example\.com\/search\?q=shoes/);
  });

  it('reads timestamps with trimmed fractional digits, as Snowbridge writes them', () => {
    const message = edit(snowbridgeJson(sampleSpec('page_view')), ['timestamp'], '2026-03-02T10:00:00.96Z');
    expect(decoded(message).eventTimeMs).toBe(SAMPLE_T0 + 960);
  });

  it('accepts the event types the transformer passes through for non-ecommerce events', () => {
    expect(decoded(edit(snowbridgeJson(sampleSpec('struct')), ['type'], 'struct')).type).toBe('other');
    expect(decoded(edit(snowbridgeJson(sampleSpec('page_view')), ['type'], 'transaction_item')).type).toBe('other');
  });
});

describe('fromSnowbridgeJson: clock skew against metadata.collector_tstamp', () => {
  const collector = SAMPLE_T0 + DAY_MS;
  const at = (timeMs: number) =>
    decoded(snowbridgeJson(sampleSpec('page_view', { timeMs, collectorTimeMs: collector })));

  it('replaces 24 h + 1 ms before and 5 min + 1 ms after; keeps the bounds themselves', () => {
    expect(at(collector - DAY_MS - 1)).toMatchObject({ eventTimeMs: collector, clockSkewCorrected: true });
    expect(at(collector - DAY_MS)).toMatchObject({ eventTimeMs: collector - DAY_MS, clockSkewCorrected: false });
    expect(at(collector + 300_000)).toMatchObject({ eventTimeMs: collector + 300_000, clockSkewCorrected: false });
    expect(at(collector + 300_001)).toMatchObject({ eventTimeMs: collector, clockSkewCorrected: true });
  });

  it('applies no bound when the message has no collector time', () => {
    const message = edit(snowbridgeJson(sampleSpec('page_view', { timeMs: SAMPLE_T0 })), ['metadata'], undefined);
    expect(decoded(message)).toMatchObject({
      eventTimeMs: SAMPLE_T0,
      collectorTimeMs: null,
      clockSkewCorrected: false,
    });
  });
});

describe('fromSnowbridgeJson: rejections', () => {
  it.each(INVALID_SPECS)('rejects %s', (_label, spec, reason) => {
    expect(reasonOf(fromSnowbridgeJson(snowbridgeJson(spec)))).toBe(reason);
  });

  const message = snowbridgeJson(sampleSpec('add_to_cart'));

  it.each([
    ['type unknown (the transformer fallback)', ['type'], 'unknown', 'unknown_event'],
    ['type unknown_ecommerce (an action without type)', ['type'], 'unknown_ecommerce', 'unknown_event'],
    ['an action type buy', ['type'], 'buy', 'unknown_event'],
    ['no type', ['type'], undefined, 'missing_field'],
    ['no id', ['id'], undefined, 'missing_field'],
    ['an id that is not a UUID', ['id'], 'e-1', 'invalid_field'],
    ['no timestamp', ['timestamp'], undefined, 'missing_field'],
    ['a timestamp that is not ISO', ['timestamp'], 'Monday', 'invalid_field'],
    ['a collector_tstamp that is not ISO', ['metadata', 'collector_tstamp'], '1772445600000', 'invalid_field'],
    ['no user', ['enrich', 'user'], {}, 'no_shopper'],
    ['no cart entity', ['payload', 'cart'], {}, 'missing_entity'],
    ['a product price with 3 decimals', ['payload', 'product', 'price'], 19.999, 'invalid_field'],
  ] as const)('rejects %s', (_label, path, value, reason) => {
    expect(reasonOf(fromSnowbridgeJson(edit(message, path, value)))).toBe(reason);
  });

  it('rejects a list_view whose list_name is not a string', () => {
    const list = edit(snowbridgeJson(sampleSpec('list_view')), ['payload', 'list_name'], 42);
    expect(reasonOf(fromSnowbridgeJson(list))).toBe('invalid_field');
  });

  it('rejects a transaction without the transaction extension, as the stock transformer writes it', () => {
    const stock = edit(snowbridgeJson(sampleSpec('transaction')), ['payload'], {});
    expect(reasonOf(fromSnowbridgeJson(stock))).toBe('missing_entity');
  });

  it('rejects text that is not JSON, and JSON that is not an object', () => {
    expect(reasonOf(fromSnowbridgeJson('{"id":'))).toBe('bad_json');
    expect(reasonOf(fromSnowbridgeJson('[1,2]'))).toBe('bad_json');
    expect(reasonOf(fromSnowbridgeJson('null'))).toBe('bad_json');
    expect(reasonOf(fromSnowbridgeJson(null))).toBe('bad_json');
    expect(reasonOf(fromSnowbridgeJson(42))).toBe('bad_json');
  });
});
