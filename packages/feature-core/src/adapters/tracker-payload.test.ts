import { describe, expect, it } from 'vitest';
import {
  base64UrlText,
  contextsEnvelope,
  encodeBase64Url,
  SCHEMAS,
  trackerPayload,
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
import { fromTrackerPayload } from './tracker-payload.js';

function decoded(payload: unknown) {
  return okValue(fromTrackerPayload(payload));
}

describe('fromTrackerPayload: accepted events', () => {
  describe.each([false, true])('with base64 %s', (base64) => {
    it.each(KINDS)('accepts a %s event', (kind, expectedType) => {
      const event = decoded(trackerPayload(sampleSpec(kind), { base64 }));
      expect(event.type).toBe(expectedType);
      expect(event.eventId).toBe(uuid(1));
      expect(event.sessionKey).toBe(SAMPLE_SESSION);
    });
  });

  it('maps every field of an add_to_cart the browser sends', () => {
    const spec = sampleSpec('add_to_cart', {
      products: [
        { id: 'sku-310', name: 'Merino Hiking Sock', category: 'Socks', price: 19.99, quantity: 2, brand: 'Ullr' },
      ],
      cart: { total_value: 39.98, cart_id: 'cart-1' },
    });
    expect(fromTrackerPayload(trackerPayload(spec))).toEqual({
      ok: true,
      value: {
        eventId: uuid(1),
        eventTimeMs: SAMPLE_T0,
        collectorTimeMs: null,
        clockSkewCorrected: false,
        userKey: SAMPLE_DUID,
        userId: null,
        domainUserId: SAMPLE_DUID,
        sessionKey: SAMPLE_SESSION,
        type: 'add_to_cart',
        schema: SCHEMAS.ecommerceAction,
        products: [
          {
            id: 'sku-310',
            category: 'Socks',
            priceMinor: 1999,
            currency: 'USD',
            name: 'Merino Hiking Sock',
            brand: 'Ullr',
            quantity: 2,
          },
        ],
        cart: { totalValueMinor: 3998, currency: 'USD', cartId: 'cart-1' },
        listName: null,
        checkoutStep: null,
        transaction: null,
        promotion: null,
        searchTerms: null,
        pageUrl: 'https://shop.example.com/product/sku-101',
        marketing: null,
        platform: 'web',
        // User agent, device class and geo come from the collector and enrichment, not the tracker.
        userAgent: null,
        deviceClass: null,
        geo: null,
      },
    });
  });

  it('converts prices to integer minor units, 0.07 included', () => {
    const event = decoded(
      trackerPayload(
        sampleSpec('product_view', { products: [{ id: 'pin', category: 'Pins', price: 0.07, currency: 'EUR' }] }),
      ),
    );
    expect(event.products[0]).toMatchObject({ priceMinor: 7, currency: 'EUR' });
  });

  it('maps a transaction, its products and the revenue in minor units', () => {
    const event = decoded(trackerPayload(sampleSpec('transaction')));
    expect(event.transaction).toEqual({
      transactionId: 'T-1001',
      revenueMinor: 12498,
      currency: 'USD',
      paymentMethod: 'card',
      totalQuantity: 1,
    });
    expect(event.products.map((p) => p.id)).toEqual(['sku-101']);
  });

  it('maps the list name, the checkout step, the promotion and the search terms', () => {
    expect(decoded(trackerPayload(sampleSpec('list_view'))).listName).toBe('Top this week');
    expect(decoded(trackerPayload(sampleSpec('list_view'))).products).toHaveLength(2);
    expect(decoded(trackerPayload(sampleSpec('checkout_step', { step: 3 }))).checkoutStep).toEqual({
      step: 3,
      paymentMethod: null,
      deliveryMethod: null,
    });
    expect(decoded(trackerPayload(sampleSpec('promo_view'))).promotion).toEqual({
      id: 'spring-hero',
      name: 'Spring sale',
    });
    expect(decoded(trackerPayload(sampleSpec('site_search'))).searchTerms).toEqual(['rain', 'jacket']);
  });

  it('keys the user by user_id once signed in, else by domain_userid', () => {
    expect(decoded(trackerPayload(sampleSpec('page_view'))).userKey).toBe(SAMPLE_DUID);
    const signedIn = decoded(trackerPayload(sampleSpec('page_view', { userId: SAMPLE_USER_ID })));
    expect(signedIn).toMatchObject({ userKey: SAMPLE_USER_ID, userId: SAMPLE_USER_ID, domainUserId: SAMPLE_DUID });
    // An empty uid is "not set" in the tracker protocol.
    expect(decoded({ ...trackerPayload(sampleSpec('page_view')), uid: '' }).userKey).toBe(SAMPLE_DUID);
  });

  it('keys the session by client_session.sessionId, else by sid, else none', () => {
    const both = decoded(trackerPayload(sampleSpec('page_view', { domainSessionId: uuid(77) })));
    expect(both.sessionKey).toBe(SAMPLE_SESSION);
    const sidOnly = decoded(
      trackerPayload(sampleSpec('page_view', { clientSession: false, domainSessionId: uuid(77) })),
    );
    expect(sidOnly.sessionKey).toBe(uuid(77));
    const { sid: _sid, ...neither } = trackerPayload(sampleSpec('page_view', { clientSession: false }));
    expect(decoded(neither).sessionKey).toBeNull();
  });

  it('takes the true timestamp (ttm) over the device timestamp (dtm)', () => {
    const payload = trackerPayload(sampleSpec('page_view'));
    expect(decoded({ ...payload, dtm: String(SAMPLE_T0 - 5000) }).eventTimeMs).toBe(SAMPLE_T0);
    const { ttm: _ttm, ...deviceOnly } = payload;
    expect(decoded({ ...deviceOnly, dtm: String(SAMPLE_T0 - 5000) }).eventTimeMs).toBe(SAMPLE_T0 - 5000);
  });

  it('applies no clock-skew bound: the browser has no collector time', () => {
    const event = decoded(trackerPayload(sampleSpec('page_view', { timeMs: SAMPLE_T0 - 3 * 24 * 3600_000 })));
    expect(event).toMatchObject({ eventTimeMs: SAMPLE_T0 - 3 * 24 * 3600_000, clockSkewCorrected: false });
  });

  it('derives campaign fields from the page URL utm_* parameters', () => {
    expect(decoded(trackerPayload(sampleSpec('page_view'))).marketing).toEqual({
      source: 'newsletter',
      medium: 'email',
      campaign: 'spring',
      term: null,
      content: null,
    });
    expect(decoded(trackerPayload(sampleSpec('product_view'))).marketing).toBeNull();
  });

  it('normalizes the event id to lower case, so both spellings deduplicate as one', () => {
    const payload = trackerPayload(sampleSpec('page_view', { eventId: 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D' }));
    expect(decoded(payload).eventId).toBe('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
  });

  it('carries the platform', () => {
    expect(decoded(trackerPayload(sampleSpec('page_view', { platform: 'mob' }))).platform).toBe('mob');
  });

  it('gives the same event from the plain JSON and the base64 forms', () => {
    for (const [kind] of KINDS) {
      const spec = sampleSpec(kind);
      expect(fromTrackerPayload(trackerPayload(spec, { base64: true }))).toEqual(
        fromTrackerPayload(trackerPayload(spec)),
      );
    }
  });

  it('decodes base64 of non-ASCII text (names, list names) as UTF-8', () => {
    const spec = sampleSpec('list_view', { listName: 'Größte Auswahl – Schuhe 👟' });
    expect(decoded(trackerPayload(spec, { base64: true })).listName).toBe('Größte Auswahl – Schuhe 👟');
  });
});

describe('fromTrackerPayload: rejections', () => {
  it.each(INVALID_SPECS)('rejects %s', (_label, spec, reason) => {
    expect(reasonOf(fromTrackerPayload(trackerPayload(spec)))).toBe(reason);
    expect(reasonOf(fromTrackerPayload(trackerPayload(spec, { base64: true })))).toBe(reason);
  });

  const valid = trackerPayload(sampleSpec('add_to_cart'));
  const validPageView = trackerPayload(sampleSpec('page_view'));
  const actionWith = (data: unknown) => JSON.stringify(unstructEnvelope({ schema: SCHEMAS.ecommerceAction, data }));

  it.each([
    ['an unknown event type e=xx', { ...validPageView, e: 'xx' }, 'unknown_event'],
    ['no event type', { ...validPageView, e: '' }, 'missing_field'],
    ['no event id', { ...validPageView, eid: undefined }, 'missing_field'],
    ['no time at all', { ...validPageView, dtm: undefined, ttm: undefined }, 'missing_field'],
    ['a device time that is not a number', { ...validPageView, dtm: 'yesterday', ttm: undefined }, 'invalid_field'],
    ['a time in seconds, not ms', { ...validPageView, ttm: String(Math.floor(SAMPLE_T0 / 1000)) }, 'invalid_field'],
    ['a negative time', { ...validPageView, ttm: '-1' }, 'invalid_field'],
    ['a value that is an object', { ...validPageView, vid: { n: 2 } }, 'invalid_field'],
    ['a self-describing event without ue_pr or ue_px', { ...valid, ue_pr: undefined }, 'missing_field'],
    ['ue_pr that is not JSON', { ...valid, ue_pr: '{"schema":' }, 'bad_json'],
    ['co that is not JSON', { ...valid, co: 'not json' }, 'bad_json'],
    ['ue_px that is not base64', { ...valid, ue_pr: undefined, ue_px: 'eyJ*' }, 'bad_base64'],
    [
      'ue_px that is base64 of invalid UTF-8',
      { ...valid, ue_pr: undefined, ue_px: encodeBase64Url(Uint8Array.of(0xc3, 0x28)) },
      'bad_base64',
    ],
    [
      'ue_px that decodes to something not JSON',
      { ...valid, ue_pr: undefined, ue_px: base64UrlText('{oops') },
      'bad_json',
    ],
    ['cx that is not base64', { ...valid, co: undefined, cx: 'a' }, 'bad_base64'],
    [
      'ue_pr with the contexts envelope schema',
      { ...valid, ue_pr: JSON.stringify(contextsEnvelope([])) },
      'bad_envelope',
    ],
    [
      'ue_pr without inner schema',
      { ...valid, ue_pr: JSON.stringify({ schema: SCHEMAS.unstructEvent, data: { data: {} } }) },
      'bad_envelope',
    ],
    [
      'co whose data is not an array',
      { ...valid, co: JSON.stringify({ schema: SCHEMAS.contexts, data: {} }) },
      'bad_envelope',
    ],
    ['an action type buy', { ...valid, ue_pr: actionWith({ type: 'buy' }) }, 'invalid_field'],
  ])('rejects %s', (_label, payload, reason) => {
    expect(reasonOf(fromTrackerPayload(payload))).toBe(reason);
  });

  it('rejects input that is not a payload object', () => {
    for (const input of [null, undefined, 'e=pv', 42, [validPageView]]) {
      expect(reasonOf(fromTrackerPayload(input))).toBe('bad_json');
    }
  });
});

describe('fromTrackerPayload on an afterTrack payload', () => {
  it('takes numbers and booleans as their string form, as the tracker sends them', () => {
    const payload = { ...trackerPayload(sampleSpec('page_view')), cd: 24, cookie: true } as Record<string, unknown>;
    const fromPlugin = fromTrackerPayload(payload);
    const fromWire = fromTrackerPayload({ ...payload, cd: '24', cookie: '1' });
    expect(fromPlugin.ok).toBe(true);
    expect(fromPlugin).toEqual(fromWire);
  });
});
