import { describe, expect, it } from 'vitest';
import {
  DESKTOP_USER_AGENT,
  ENRICHED_FIELD_NAMES,
  enrichedFields,
  enrichedTsv,
  enrichedTsvWith,
  PHONE_USER_AGENT,
  SCHEMAS,
  unstructEnvelope,
  uuid,
} from '../test-support/builders.js';
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
import { ENRICHED_FIELD_COUNT, ENRICHED_FIELDS, fromEnrichedTsv, parseEnrichedTimestamp } from './enriched-tsv.js';

function decoded(line: string) {
  return okValue(fromEnrichedTsv(line));
}

const DAY_MS = 24 * 3600_000;
const MINUTE_MS = 60_000;

describe('enriched field layout', () => {
  it('reads each field at its SNOWPLOW.md §3 position', () => {
    expect(ENRICHED_FIELD_COUNT).toBe(131);
    expect(ENRICHED_FIELD_NAMES).toHaveLength(131);
    for (const [name, index] of Object.entries(ENRICHED_FIELDS)) {
      expect(ENRICHED_FIELD_NAMES[index], name).toBe(name);
    }
  });

  it('builds lines of exactly 131 fields whose timestamps have the enriched format', () => {
    const fields = enrichedTsv(sampleSpec('page_view')).split('\t');
    expect(fields).toHaveLength(131);
    expect(fields[3]).toBe('2026-03-02 10:00:00.150'); // collector_tstamp
    expect(fields[124]).toBe('2026-03-02 10:00:00.000'); // derived_tstamp
  });
});

describe('fromEnrichedTsv: accepted events', () => {
  it.each(KINDS)('accepts a %s event', (kind, expectedType) => {
    const event = decoded(enrichedTsv(sampleSpec(kind)));
    expect(event.type).toBe(expectedType);
    expect(event.eventId).toBe(uuid(1));
  });

  it('maps every field of a signed-in shopper add_to_cart from a phone', () => {
    const spec = sampleSpec('add_to_cart', {
      userId: SAMPLE_USER_ID,
      useragent: PHONE_USER_AGENT,
      pageUrl: 'https://shop.example.com/product/sku-310?utm_source=ig&utm_medium=social&utm_campaign=socks',
      products: [{ id: 'sku-310', category: 'Socks', price: 19.99, quantity: 1 }],
      cart: { total_value: 19.99, currency: 'USD' },
      geo: { country: 'DE', region: 'BY' },
    });
    expect(fromEnrichedTsv(enrichedTsv(spec))).toEqual({
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
        type: 'add_to_cart',
        schema: SCHEMAS.ecommerceAction,
        products: [
          { id: 'sku-310', category: 'Socks', priceMinor: 1999, currency: 'USD', name: null, brand: null, quantity: 1 },
        ],
        cart: { totalValueMinor: 1999, currency: 'USD', cartId: null },
        listName: null,
        checkoutStep: null,
        transaction: null,
        promotion: null,
        searchTerms: null,
        pageUrl: 'https://shop.example.com/product/sku-310?utm_source=ig&utm_medium=social&utm_campaign=socks',
        marketing: { medium: 'social', source: 'ig', term: null, content: null, campaign: 'socks' },
        platform: 'web',
        userAgent: PHONE_USER_AGENT,
        deviceClass: 'Phone',
        geo: { country: 'DE', region: 'BY' },
      },
    });
  });

  it('maps a transaction, a checkout step and a list name', () => {
    expect(decoded(enrichedTsv(sampleSpec('transaction'))).transaction).toEqual({
      transactionId: 'T-1001',
      revenueMinor: 12498,
      currency: 'USD',
      paymentMethod: 'card',
      totalQuantity: 1,
    });
    expect(decoded(enrichedTsv(sampleSpec('checkout_step', { step: 90 }))).checkoutStep?.step).toBe(90);
    expect(decoded(enrichedTsv(sampleSpec('list_click'))).listName).toBe('Top this week');
  });

  it('converts 0.07 to 7 minor units and keeps the currency', () => {
    const spec = sampleSpec('product_view', {
      products: [{ id: 'pin', category: 'Pins', price: 0.07, currency: 'GBP' }],
    });
    expect(decoded(enrichedTsv(spec)).products[0]).toMatchObject({ priceMinor: 7, currency: 'GBP' });
  });

  it('reads campaign fields from the mkt_* columns, which Enrich fills, not from the URL', () => {
    const spec = sampleSpec('page_view', {
      mkt: { source: 'google', medium: 'cpc', term: 'trail shoes', campaign: 'brand' },
    });
    expect(decoded(enrichedTsv(spec)).marketing).toEqual({
      medium: 'cpc',
      source: 'google',
      term: 'trail shoes',
      content: null,
      campaign: 'brand',
    });
    // A URL with utm_* but empty mkt_* columns (attribution enrichment off) has no campaign.
    const line = enrichedTsvWith(sampleSpec('page_view'), {
      mkt_source: '',
      mkt_medium: '',
      mkt_campaign: '',
    });
    expect(decoded(line).marketing).toBeNull();
  });

  it('reads geo country and region, and no geo when the IP lookup found none', () => {
    expect(decoded(enrichedTsv(sampleSpec('page_view'))).geo).toEqual({ country: 'DE', region: 'BE' });
    expect(decoded(enrichedTsv(sampleSpec('page_view', { geo: { country: 'LU' } }))).geo).toEqual({
      country: 'LU',
      region: null,
    });
    expect(decoded(enrichedTsv(sampleSpec('page_view', { geo: undefined }))).geo).toBeNull();
  });

  it('classifies the device from the user agent', () => {
    expect(decoded(enrichedTsv(sampleSpec('page_view', { useragent: DESKTOP_USER_AGENT }))).deviceClass).toBe(
      'Desktop',
    );
    expect(decoded(enrichedTsv(sampleSpec('page_view', { useragent: PHONE_USER_AGENT }))).deviceClass).toBe('Phone');
    expect(decoded(enrichedTsvWith(sampleSpec('page_view'), { useragent: '' }))).toMatchObject({
      userAgent: null,
      deviceClass: null,
    });
  });

  it('keys the session by client_session.sessionId, else domain_sessionid', () => {
    expect(decoded(enrichedTsv(sampleSpec('page_view', { domainSessionId: uuid(77) }))).sessionKey).toBe(
      SAMPLE_SESSION,
    );
    const noClientSession = sampleSpec('page_view', { clientSession: false, domainSessionId: uuid(77) });
    expect(decoded(enrichedTsv(noClientSession)).sessionKey).toBe(uuid(77));
  });

  it('keys the user by user_id, else domain_userid', () => {
    expect(decoded(enrichedTsv(sampleSpec('page_view'))).userKey).toBe(SAMPLE_DUID);
    expect(decoded(enrichedTsv(sampleSpec('page_view', { userId: SAMPLE_USER_ID }))).userKey).toBe(SAMPLE_USER_ID);
  });

  it('takes derived_tstamp, else true_tstamp, else collector_tstamp as the event time', () => {
    const spec = sampleSpec('page_view');
    expect(decoded(enrichedTsvWith(spec, { derived_tstamp: '2026-03-02 09:59:58.000' })).eventTimeMs).toBe(
      SAMPLE_T0 - 2000,
    );
    expect(decoded(enrichedTsvWith(spec, { derived_tstamp: '' })).eventTimeMs).toBe(SAMPLE_T0);
    expect(decoded(enrichedTsvWith(spec, { derived_tstamp: '', true_tstamp: '' })).eventTimeMs).toBe(SAMPLE_T0 + 150);
  });

  it('reads entities from derived_contexts too', () => {
    const spec = sampleSpec('page_view', { clientSession: false, domainSessionId: uuid(77) });
    const derived = JSON.stringify({
      schema: SCHEMAS.contexts,
      data: [{ schema: SCHEMAS.clientSession, data: { sessionId: SAMPLE_SESSION, userId: SAMPLE_DUID } }],
    });
    expect(decoded(enrichedTsvWith(spec, { derived_contexts: derived })).sessionKey).toBe(SAMPLE_SESSION);
  });

  it('accepts a line with a trailing newline or CRLF, as read from a file or socket', () => {
    const line = enrichedTsv(sampleSpec('page_view'));
    expect(fromEnrichedTsv(`${line}\n`)).toEqual(fromEnrichedTsv(line));
    expect(fromEnrichedTsv(`${line}\r\n`)).toEqual(fromEnrichedTsv(line));
  });
});

describe('fromEnrichedTsv: clock skew', () => {
  const collector = SAMPLE_T0 + DAY_MS;
  const at = (timeMs: number) => decoded(enrichedTsv(sampleSpec('page_view', { timeMs, collectorTimeMs: collector })));

  it('replaces an event time 24 h + 1 ms before the collector time, and flags it', () => {
    expect(at(collector - DAY_MS - 1)).toMatchObject({ eventTimeMs: collector, clockSkewCorrected: true });
  });

  it('keeps an event time exactly 24 h before the collector time', () => {
    expect(at(collector - DAY_MS)).toMatchObject({ eventTimeMs: collector - DAY_MS, clockSkewCorrected: false });
  });

  it('keeps an event time 5 min after the collector time', () => {
    expect(at(collector + 5 * MINUTE_MS)).toMatchObject({
      eventTimeMs: collector + 5 * MINUTE_MS,
      clockSkewCorrected: false,
    });
  });

  it('replaces an event time 5 min + 1 ms after the collector time', () => {
    expect(at(collector + 5 * MINUTE_MS + 1)).toMatchObject({ eventTimeMs: collector, clockSkewCorrected: true });
  });

  it('keeps the collector time on the event either way', () => {
    expect(at(collector - DAY_MS - 1).collectorTimeMs).toBe(collector);
  });
});

describe('fromEnrichedTsv: rejections', () => {
  it.each(INVALID_SPECS)('rejects %s', (_label, spec, reason) => {
    expect(reasonOf(fromEnrichedTsv(enrichedTsv(spec)))).toBe(reason);
  });

  const spec = sampleSpec('add_to_cart');
  const line = enrichedTsv(spec);

  it('rejects 130 and 132 fields as wrong_field_count', () => {
    const fields = line.split('\t');
    expect(reasonOf(fromEnrichedTsv(fields.slice(0, 130).join('\t')))).toBe('wrong_field_count');
    expect(reasonOf(fromEnrichedTsv(`${line}\textra`))).toBe('wrong_field_count');
    expect(reasonOf(fromEnrichedTsv(''))).toBe('wrong_field_count');
  });

  it.each([
    ['an unknown event=foo', { event: 'foo' }, 'unknown_event'],
    ['an empty event', { event: '' }, 'missing_field'],
    ['an empty event_id', { event_id: '' }, 'missing_field'],
    ['an empty collector_tstamp', { collector_tstamp: '' }, 'missing_field'],
    ['a collector_tstamp that is not a timestamp', { collector_tstamp: 'yesterday' }, 'invalid_field'],
    ['a derived_tstamp that is not a timestamp', { derived_tstamp: '2026-03-02' }, 'invalid_field'],
    ['no user at all', { user_id: '', domain_userid: '' }, 'no_shopper'],
    ['an unstruct event without unstruct_event', { unstruct_event: '' }, 'missing_field'],
    ['unstruct_event that is not JSON', { unstruct_event: '{"schema":' }, 'bad_json'],
    ['contexts that is not JSON', { contexts: '[' }, 'bad_json'],
    ['derived_contexts that is not JSON', { derived_contexts: 'nope' }, 'bad_json'],
    [
      'unstruct_event with a bad envelope',
      { unstruct_event: '{"schema":"iglu:x/y/jsonschema/1-0-0","data":{}}' },
      'bad_envelope',
    ],
    [
      'contexts whose data is not an array',
      { contexts: JSON.stringify({ schema: SCHEMAS.contexts, data: 1 }) },
      'bad_envelope',
    ],
    [
      'an action type buy',
      { unstruct_event: JSON.stringify(unstructEnvelope({ schema: SCHEMAS.ecommerceAction, data: { type: 'buy' } })) },
      'invalid_field',
    ],
  ] as const)('rejects %s', (_label, overrides, reason) => {
    expect(reasonOf(fromEnrichedTsv(enrichedTsvWith(spec, overrides)))).toBe(reason);
  });

  it('never reads beyond the line: the fields of one event do not leak from another', () => {
    // Two lines joined without a newline have 261 fields, not two events.
    expect(reasonOf(fromEnrichedTsv(`${line}\t${line}`))).toBe('wrong_field_count');
  });

  it('uses the named fields of the builder in the right order', () => {
    const fields = enrichedFields(spec);
    expect(line.split('\t')[ENRICHED_FIELDS.contexts]).toBe(fields.contexts);
    expect(line.split('\t')[ENRICHED_FIELDS.true_tstamp]).toBe(fields.true_tstamp);
  });
});

describe('parseEnrichedTimestamp', () => {
  it('parses the enriched format and its ISO variants', () => {
    expect(parseEnrichedTimestamp('2026-03-02 10:00:00.000')).toBe(SAMPLE_T0);
    expect(parseEnrichedTimestamp('2026-03-02 10:00:00')).toBe(SAMPLE_T0);
    expect(parseEnrichedTimestamp('2026-03-02T10:00:00.150Z')).toBe(SAMPLE_T0 + 150);
    // Snowbridge trims trailing zeros and Enrich may write microseconds.
    expect(parseEnrichedTimestamp('2026-03-02T10:00:00.15Z')).toBe(SAMPLE_T0 + 150);
    expect(parseEnrichedTimestamp('2026-03-02 10:00:00.150999')).toBe(SAMPLE_T0 + 150);
  });

  it('rejects what is not a plausible timestamp', () => {
    for (const text of ['', '2026-03-02', '10:00:00', '2026-03-02 10:00', '1970-01-01 00:00:00.000', 'now']) {
      expect(parseEnrichedTimestamp(text), text).toBeNull();
    }
  });
});
