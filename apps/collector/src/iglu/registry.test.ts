import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFeatureDigest, definitionVersion, eventSetHashOf, FEATURE_DIGEST_SCHEMA_URI } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import {
  CONTEXTS_SCHEMA,
  createSchemaRegistry,
  decodeBase64Field,
  PAYLOAD_DATA_SCHEMA,
  parseIgluUri,
  SELF_DESC_META_SCHEMA,
  toJsonPath,
  UNSTRUCT_EVENT_SCHEMA,
} from './registry';

const SP = 'iglu:com.snowplowanalytics.snowplow';
const EC = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
const ACTION = `${EC}/snowplow_ecommerce_action/jsonschema/1-0-2`;
const PRODUCT = `${EC}/product/jsonschema/1-0-0`;
const CART = `${EC}/cart/jsonschema/1-0-0`;
const CHECKOUT_STEP = `${EC}/checkout_step/jsonschema/1-0-0`;
const TRANSACTION = `${EC}/transaction/jsonschema/1-0-0`;
const TRANSACTION_ERROR = `${EC}/transaction_error/jsonschema/1-0-0`;
const PROMOTION = `${EC}/promotion/jsonschema/1-0-0`;
const REFUND = `${EC}/refund/jsonschema/1-0-0`;
const PAGE = `${EC}/page/jsonschema/1-0-0`;
const USER = `${EC}/user/jsonschema/1-0-0`;
const WEB_PAGE = `${SP}/web_page/jsonschema/1-0-0`;
const CLIENT_SESSION = `${SP}/client_session/jsonschema/1-0-2`;
const BROWSER_CONTEXT = `${SP}/browser_context/jsonschema/2-0-0`;
const SITE_SEARCH = `${SP}/site_search/jsonschema/1-0-0`;

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UUID2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const product = {
  id: 'sku-1',
  name: 'Shoe',
  category: 'shoes',
  price: 19.99,
  currency: 'USD',
  quantity: 2,
  position: 1,
};

const registry = createSchemaRegistry();

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A valid example and representative invalid ones (with the message expected for each) per schema. */
const DIGEST = buildFeatureDigest({
  definitionVersion: definitionVersion(),
  userKey: UUID,
  sessionKey: UUID,
  lastEventId: UUID,
  eventCount: 2,
  eventSetHash: eventSetHashOf([UUID, '00000000-0000-4000-8000-000000000002']),
  atMs: 1_764_300_000_000,
  values: [
    new Map([
      ['product_view_count_5m', '2'],
      ['price_range_viewed_5m', '18.00-320.00'],
    ]),
  ],
});

const cases: { uri: string; valid: unknown[]; invalid: [unknown, string][] }[] = [
  {
    // The project's own schema, defined in feature-core and loaded from code (PROJECT_SCHEMAS).
    uri: FEATURE_DIGEST_SCHEMA_URI,
    valid: [DIGEST],
    invalid: [
      [{ ...DIGEST, n: -1 }, '$.n: must be >= 0'],
      [{ ...DIGEST, extra: 1 }, '$: must NOT have additional properties (extra)'],
      [(({ v: _v, ...rest }) => rest)(DIGEST), "$: must have required property 'v'"],
    ],
  },
  {
    uri: PAYLOAD_DATA_SCHEMA,
    valid: [[{ e: 'pv', p: 'web', tv: 'js-4.10.0', eid: UUID, url: 'http://shop/' }]],
    invalid: [
      [[], '$: must NOT have fewer than 1 items'],
      [[{ p: 'web', tv: 'js-4' }], "$[0]: must have required property 'e'"],
      [[{ e: 'pv', p: 'web', tv: 'js-4', dtm: 1700000000000 }], '$[0].dtm: must be string'],
      [[{ e: 'pv', p: 'web', tv: 'js-4', bogus: 'x' }], '$[0]: must NOT have additional properties (bogus)'],
      [[{ e: 'zz', p: 'web', tv: 'js-4' }], '$[0].e: must be equal to one of the allowed values'],
      [{ e: 'pv' }, '$: must be array'],
    ],
  },
  {
    uri: UNSTRUCT_EVENT_SCHEMA,
    valid: [{ schema: ACTION, data: { type: 'product_view' } }],
    invalid: [
      [{ schema: ACTION }, "$: must have required property 'data'"],
      [{ schema: 'not-iglu', data: {} }, '$.schema: must match pattern'],
      [{ schema: ACTION, data: {}, extra: 1 }, '$: must NOT have additional properties (extra)'],
    ],
  },
  {
    uri: CONTEXTS_SCHEMA,
    valid: [[{ schema: WEB_PAGE, data: { id: UUID } }], []],
    invalid: [
      [{ schema: WEB_PAGE, data: { id: UUID } }, '$: must be array'],
      [[{ data: {} }], "$[0]: must have required property 'schema'"],
    ],
  },
  {
    uri: WEB_PAGE,
    valid: [{ id: UUID }],
    invalid: [
      [{ id: 'not-a-uuid' }, '$.id: must match format "uuid"'],
      [{}, "$: must have required property 'id'"],
      [{ id: UUID, x: 1 }, '$: must NOT have additional properties (x)'],
    ],
  },
  {
    uri: CLIENT_SESSION,
    valid: [
      {
        userId: UUID,
        sessionId: UUID2,
        sessionIndex: 3,
        eventIndex: 7,
        previousSessionId: null,
        storageMechanism: 'LOCAL_STORAGE',
        firstEventId: UUID,
        firstEventTimestamp: '2024-05-01T10:00:00.123Z',
      },
    ],
    invalid: [
      [
        { userId: UUID, sessionId: UUID2, sessionIndex: '3', storageMechanism: 'COOKIE_1' },
        '$.sessionIndex: must be integer',
      ],
      [
        { userId: UUID, sessionId: UUID2, sessionIndex: 1, storageMechanism: 'DISK' },
        '$.storageMechanism: must be equal',
      ],
      [{ userId: UUID, sessionIndex: 1, storageMechanism: 'COOKIE_1' }, "$: must have required property 'sessionId'"],
    ],
  },
  {
    uri: BROWSER_CONTEXT,
    valid: [
      {
        viewport: '1280x720',
        documentSize: '1280x3000',
        resolution: '1920x1080',
        colorDepth: 24,
        devicePixelRatio: 2,
        cookiesEnabled: true,
        online: true,
        browserLanguage: 'en-GB',
        documentLanguage: 'en',
        webdriver: false,
        deviceMemory: 8,
        hardwareConcurrency: 8,
        tabId: UUID,
      },
      {},
    ],
    invalid: [
      [{ cookiesEnabled: 'yes' }, '$.cookiesEnabled: must be boolean,null'],
      [{ unknownProp: 1 }, '$: must NOT have additional properties (unknownProp)'],
    ],
  },
  {
    uri: SITE_SEARCH,
    valid: [{ terms: ['red', 'shoes'], filters: { size: '42', inStock: true }, totalResults: 10, pageResults: 5 }],
    invalid: [
      [{ terms: [] }, '$.terms: must NOT have fewer than 1 items'],
      [{ filters: {} }, "$: must have required property 'terms'"],
      [{ terms: ['a'], filters: { n: 1 } }, '$.filters.n: must be string,boolean'],
    ],
  },
  {
    uri: ACTION,
    valid: [{ type: 'list_view', name: 'Shoes' }, { type: 'product_view', name: null }, { type: 'trns_error' }],
    invalid: [
      [{ type: 'purchase' }, '$.type: must be equal to one of the allowed values'],
      [{ type: 'list_view', name: 'x'.repeat(129) }, '$.name: must NOT have more than 128 characters'],
      [{ name: 'Shoes' }, "$: must have required property 'type'"],
      [{ type: 'list_view', extra: true }, '$: must NOT have additional properties (extra)'],
    ],
  },
  {
    uri: PRODUCT,
    valid: [product, { id: 'p', category: 'c', price: 0, currency: 'EUR', list_price: null, quantity: null }],
    invalid: [
      [{ ...product, price: 19.999 }, '$.price: must be multiple of 0.01'],
      [{ ...product, price: 10000000 }, '$.price: must be <= 9999999'],
      [{ ...product, price: -1 }, '$.price: must be >= 0'],
      [{ ...product, price: '19.99' }, '$.price: must be number'],
      [{ ...product, currency: 'US' }, '$.currency: must NOT have fewer than 3 characters'],
      [{ ...product, currency: 'USDX' }, '$.currency: must NOT have more than 3 characters'],
      [{ ...product, quantity: 1.5 }, '$.quantity: must be integer'],
      [{ ...product, position: 'first' }, '$.position: must be integer,null'],
      [{ id: 'p', price: 1, currency: 'USD' }, "$: must have required property 'category'"],
      [{ ...product, id: 'x'.repeat(4097) }, '$.id: must NOT have more than 4096 characters'],
      [{ ...product, colour: 'red' }, '$: must NOT have additional properties (colour)'],
    ],
  },
  {
    uri: CART,
    valid: [{ cart_id: 'c1', total_value: 39.98, currency: 'USD' }],
    invalid: [
      [{ total_value: 39.985, currency: 'USD' }, '$.total_value: must be multiple of 0.01'],
      [{ total_value: 1 }, "$: must have required property 'currency'"],
    ],
  },
  {
    uri: CHECKOUT_STEP,
    valid: [{ step: 1 }, { step: 90, delivery_method: 'express', marketing_opt_in: false, coupon_code: null }],
    invalid: [
      [{ step: 0 }, '$.step: must be >= 1'],
      [{ step: 91 }, '$.step: must be <= 90'],
      [{ step: 2.5 }, '$.step: must be integer'],
      [{}, "$: must have required property 'step'"],
    ],
  },
  {
    uri: TRANSACTION,
    valid: [
      {
        transaction_id: 't-1',
        revenue: 45.97,
        currency: 'USD',
        payment_method: 'card',
        total_quantity: 3,
        tax: 1.5,
        shipping: null,
        discount_code: 'SPRING',
        discount_amount: 5,
        credit_order: false,
      },
    ],
    invalid: [
      [
        { transaction_id: 't', revenue: 1, currency: 'USD', payment_method: 'card', total_quantity: -1 },
        '$.total_quantity: must be >= 0',
      ],
      // The plugin sums product quantities; with none, NaN serialises to null, which the schema refuses.
      [
        { transaction_id: 't', revenue: 1, currency: 'USD', payment_method: 'card', total_quantity: null },
        '$.total_quantity: must be integer',
      ],
      [
        { transaction_id: 't', revenue: 1, currency: 'USD', payment_method: 'x'.repeat(129) },
        '$.payment_method: must NOT have more than 128',
      ],
      [
        { transaction_id: 't', revenue: 1, currency: 'USD', payment_method: 'c', discount_code: 'x'.repeat(100) },
        '$.discount_code: must NOT have more than 99',
      ],
      [{ revenue: 1, currency: 'USD', payment_method: 'card' }, "$: must have required property 'transaction_id'"],
    ],
  },
  {
    uri: TRANSACTION_ERROR,
    valid: [
      {
        error_code: 'E1',
        error_shortcode: 'declined',
        error_description: 'Card declined',
        error_type: 'hard',
        resolution: 'rejection',
      },
      { error_type: null },
    ],
    invalid: [[{ error_type: 'fatal' }, '$.error_type: must be equal to one of the allowed values']],
  },
  {
    uri: PROMOTION,
    valid: [
      {
        id: 'promo-1',
        name: 'Spring',
        product_ids: ['a', 'b'],
        position: 1,
        creative_id: 'c',
        type: 'banner',
        slot: 'top',
      },
    ],
    invalid: [
      [{ name: 'Spring' }, "$: must have required property 'id'"],
      [{ id: 'p', product_ids: [1] }, '$.product_ids[0]: must be string'],
    ],
  },
  {
    uri: REFUND,
    valid: [{ transaction_id: 't-1', currency: 'USD', refund_amount: 19.99, refund_reason: 'damaged' }],
    invalid: [
      [{ transaction_id: 't-1', currency: 'USD', refund_amount: 0.001 }, '$.refund_amount: must be multiple of 0.01'],
      [{ transaction_id: 't-1', currency: 'USD' }, "$: must have required property 'refund_amount'"],
    ],
  },
  {
    uri: PAGE,
    valid: [{ type: 'product', language: 'en', locale: 'en-GB' }],
    invalid: [
      [{ type: 'x'.repeat(129) }, '$.type: must NOT have more than 128 characters'],
      [{ type: 7 }, '$.type: must be string'],
    ],
  },
  {
    uri: USER,
    valid: [{ id: 'user-1', is_guest: false, email: 'a@b.c' }],
    invalid: [
      [{ id: 'x'.repeat(129) }, '$.id: must NOT have more than 128 characters'],
      [{ is_guest: true }, "$: must have required property 'id'"],
    ],
  },
];

describe('schema files', () => {
  it('loads every schema the collector needs, each named by its path', () => {
    expect(registry.uris).toEqual(cases.map((c) => c.uri).sort());
    for (const uri of registry.uris) {
      const resolved = registry.resolve(uri);
      const key = parseIgluUri(uri);
      expect(resolved?.schema.$schema).toBe(SELF_DESC_META_SCHEMA);
      expect(resolved?.schema.self).toEqual(key);
      expect(
        resolved?.schema.additionalProperties ??
          (resolved?.schema.items as { additionalProperties?: unknown })?.additionalProperties,
      ).toBe(false);
      const inCode = uri === FEATURE_DIGEST_SCHEMA_URI;
      expect(
        inCode ? resolved?.path : resolved?.path.endsWith(`${key?.vendor}/${key?.name}/jsonschema/${key?.version}`),
      ).toBe(inCode ? `(in code) ${uri}` : true);
    }
  });

  for (const { uri, valid, invalid } of cases) {
    describe(uri, () => {
      it.each(valid.map((v) => [JSON.stringify(v).slice(0, 80), v]))('accepts %s', (_label, data) => {
        expect(registry.validate(uri, data)).toEqual({ ok: true });
      });
      it.each(invalid.map(([v, m]) => [m, v]))('rejects with "%s"', (message, data) => {
        const result = registry.validate(uri, data);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.reason).toBe('invalid_data');
        expect(result.messages.some((m) => m.startsWith(message))).toBe(true);
      });
    });
  }
});

describe('multipleOf 0.01 and floating point', () => {
  it.each([19.99, 0.07, 0.1, 1.1, 4.35, 1234567.89, 9999999])('accepts price %s', (price) => {
    expect(registry.validate(PRODUCT, { ...product, price })).toEqual({ ok: true });
  });
  it.each([19.999, 0.005, 1234567.891])('rejects price %s', (price) => {
    expect(registry.validate(PRODUCT, { ...product, price }).ok).toBe(false);
  });
});

describe('messages', () => {
  it('reports every error in Snowplow style', () => {
    const result = registry.validate(PRODUCT, { id: 5, category: 'c', price: 10000000, currency: 'US' });
    expect(result).toEqual({
      ok: false,
      reason: 'invalid_data',
      messages: expect.arrayContaining([
        '$.id: must be string',
        '$.price: must be <= 9999999',
        '$.currency: must NOT have fewer than 3 characters',
      ]),
    });
  });
  it('turns JSON pointers into JSONPath', () => {
    expect(toJsonPath('')).toBe('$');
    expect(toJsonPath('/products/0/price')).toBe('$.products[0].price');
    expect(toJsonPath('/a~1b/odd key')).toBe("$['a/b']['odd key']");
  });
});

describe('Iglu URIs and unknown schemas', () => {
  it('parses and resolves URIs', () => {
    expect(parseIgluUri(PRODUCT)).toEqual({
      vendor: 'com.snowplowanalytics.snowplow.ecommerce',
      name: 'product',
      format: 'jsonschema',
      version: '1-0-0',
    });
    expect(registry.resolve(PRODUCT)?.name).toBe('product');
    expect(registry.resolve(`${EC}/product/jsonschema/1-0-1`)).toBeUndefined();
  });

  it.each([
    'com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0',
    'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0',
    'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/0-0-0',
    'iglu:com.snowplowanalytics.snowplow.ecommerce/product/1-0-0',
    'iglu:vendor/na me/jsonschema/1-0-0',
    'iglu:com.acme/x/jsonschema/1-01-0',
    '',
  ])('refuses the bad URI %j', (uri) => {
    expect(parseIgluUri(uri)).toBeUndefined();
    expect(registry.validate(uri, {})).toMatchObject({ ok: false, reason: 'invalid_uri' });
  });

  it('fails unknown schemas unless configured to pass them through', () => {
    const uri = 'iglu:com.acme/unknown_thing/jsonschema/1-0-0';
    expect(registry.validate(uri, { a: 1 })).toEqual({
      ok: false,
      reason: 'unknown_schema',
      messages: [`schema ${uri} is not in the registry`],
    });
    const lenient = createSchemaRegistry({ passThroughUnknown: true });
    expect(lenient.passThroughUnknown).toBe(true);
    expect(lenient.validate(uri, { a: 1 })).toEqual({ ok: true });
    // Known schemas are still enforced, and bad URIs still fail.
    expect(lenient.validate(PRODUCT, { id: 'x' }).ok).toBe(false);
    expect(lenient.validate('nope', {})).toMatchObject({ ok: false, reason: 'invalid_uri' });
  });
});

describe('validateSelfDescribing', () => {
  it('validates {schema, data}', () => {
    expect(registry.validateSelfDescribing({ schema: WEB_PAGE, data: { id: UUID } })).toEqual({ ok: true });
    expect(registry.validateSelfDescribing({ schema: WEB_PAGE, data: { id: 'x' } })).toMatchObject({
      ok: false,
      reason: 'invalid_data',
    });
    expect(registry.validateSelfDescribing({ schema: 'iglu:bad', data: {} })).toMatchObject({
      ok: false,
      reason: 'invalid_uri',
    });
    expect(registry.validateSelfDescribing({ schema: 1, data: {} })).toMatchObject({
      ok: false,
      reason: 'invalid_uri',
    });
  });
  it.each([null, 'x', [], { schema: WEB_PAGE }, { data: {} }, { schema: WEB_PAGE, data: { id: UUID }, more: 1 }])(
    'refuses the malformed %j',
    (value) => {
      expect(registry.validateSelfDescribing(value)).toMatchObject({ ok: false, reason: 'invalid_data' });
    },
  );
  it('validates a whole tp2 payload', () => {
    const body = { schema: PAYLOAD_DATA_SCHEMA, data: [{ e: 'pv', p: 'web', tv: 'js-4.10.0' }] };
    expect(registry.validateSelfDescribing(body)).toEqual({ ok: true });
  });
});

describe('validatePayloadEvent', () => {
  const action = { schema: UNSTRUCT_EVENT_SCHEMA, data: { schema: ACTION, data: { type: 'add_to_cart' } } };
  const contexts = {
    schema: CONTEXTS_SCHEMA,
    data: [
      { schema: WEB_PAGE, data: { id: UUID } },
      { schema: PRODUCT, data: product },
      { schema: CART, data: { total_value: 39.98, currency: 'USD' } },
    ],
  };
  const event = { e: 'ue', p: 'web', tv: 'js-4.10.0', eid: UUID2 };

  it('accepts the plain JSON form (POST) and returns the decoded parts', () => {
    const result = registry.validatePayloadEvent({
      ...event,
      ue_pr: JSON.stringify(action),
      co: JSON.stringify(contexts),
    });
    expect(result).toEqual({ ok: true, failures: [], unstructEvent: action.data, contexts: contexts.data });
  });

  it('accepts the base64 form (GET), URL-safe without padding', () => {
    const ue_px = base64url(action);
    const cx = base64url(contexts);
    expect(ue_px).not.toMatch(/[+/=]/);
    const result = registry.validatePayloadEvent({ ...event, ue_px, cx });
    expect(result).toEqual({ ok: true, failures: [], unstructEvent: action.data, contexts: contexts.data });
  });

  it('accepts standard padded base64 too', () => {
    const cx = Buffer.from(JSON.stringify(contexts)).toString('base64');
    expect(registry.validatePayloadEvent({ e: 'pv', p: 'web', tv: 'js', cx }).ok).toBe(true);
  });

  it('accepts events with neither field', () => {
    expect(registry.validatePayloadEvent({ e: 'pv', p: 'web', tv: 'js' })).toEqual({
      ok: true,
      failures: [],
      contexts: [],
    });
  });

  it('reports every failure with the field it came from', () => {
    const badAction = { schema: UNSTRUCT_EVENT_SCHEMA, data: { schema: ACTION, data: { type: 'buy' } } };
    const badContexts = {
      schema: CONTEXTS_SCHEMA,
      data: [
        { schema: WEB_PAGE, data: { id: UUID } },
        { schema: PRODUCT, data: { ...product, price: 19.999 } },
        { schema: 'iglu:com.acme/mystery/jsonschema/1-0-0', data: {} },
      ],
    };
    const result = registry.validatePayloadEvent({
      ...event,
      ue_px: base64url(badAction),
      co: JSON.stringify(badContexts),
    });
    expect(result.ok).toBe(false);
    expect(result.unstructEvent).toBeUndefined();
    expect(result.contexts).toEqual([badContexts.data[0]]);
    expect(result.failures).toEqual([
      {
        field: 'ue_px',
        reason: 'invalid_data',
        schema: ACTION,
        messages: [expect.stringContaining('$.type: must be equal')],
      },
      {
        field: 'co',
        reason: 'invalid_data',
        schema: PRODUCT,
        index: 1,
        messages: ['$.price: must be multiple of 0.01'],
      },
      {
        field: 'co',
        reason: 'unknown_schema',
        schema: 'iglu:com.acme/mystery/jsonschema/1-0-0',
        index: 2,
        messages: ['schema iglu:com.acme/mystery/jsonschema/1-0-0 is not in the registry'],
      },
    ]);
    const lenient = createSchemaRegistry({ passThroughUnknown: true });
    const lenientResult = lenient.validatePayloadEvent({
      ...event,
      ue_pr: JSON.stringify(action),
      co: JSON.stringify(badContexts),
    });
    expect(lenientResult.failures.map((f) => f.index)).toEqual([1]);
  });

  it.each([
    [{ ue_px: 'not base64!' }, 'ue_px', 'invalid_base64'],
    [{ cx: 'abcde' }, 'cx', 'invalid_base64'],
    [{ ue_px: Buffer.from('{"schema":').toString('base64url') }, 'ue_px', 'invalid_json'],
    [{ ue_pr: '{"schema":' }, 'ue_pr', 'invalid_json'],
    [{ co: 'null' }, 'co', 'invalid_data'],
    [{ co: JSON.stringify({ schema: CONTEXTS_SCHEMA, data: {} }) }, 'co', 'invalid_data'],
    [{ co: JSON.stringify({ schema: UNSTRUCT_EVENT_SCHEMA, data: action.data }) }, 'co', 'invalid_data'],
    [{ ue_pr: JSON.stringify(contexts) }, 'ue_pr', 'invalid_data'],
    [
      {
        ue_pr: JSON.stringify({
          schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/9-9-9',
          data: {},
        }),
      },
      'ue_pr',
      'unknown_schema',
    ],
    [{ ue_pr: JSON.stringify({ schema: 'unstruct', data: {} }) }, 'ue_pr', 'invalid_uri'],
    [{ e: 'ue' }, 'ue_pr', 'missing'],
  ])('fails %j as %s / %s', (fields, field, reason) => {
    const result = registry.validatePayloadEvent({ ...event, e: 'pv', ...(fields as Record<string, string>) });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([expect.objectContaining({ field, reason })]);
  });

  it('does not crash on malformed envelopes when unknown schemas pass through', () => {
    const lenient = createSchemaRegistry({ passThroughUnknown: true });
    const ue = JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-9',
      data: 'x',
    });
    const co = JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-9', data: 'x' });
    const result = lenient.validatePayloadEvent({ ...event, ue_pr: ue, co });
    expect(result.failures).toEqual([expect.objectContaining({ field: 'ue_pr', reason: 'invalid_uri' })]);
    expect(result.contexts).toEqual([]);
  });
});

describe('decodeBase64Field', () => {
  it('decodes both alphabets with or without padding', () => {
    const text = '{"a":"ü~?>"}';
    expect(decodeBase64Field(Buffer.from(text).toString('base64url'))).toBe(text);
    expect(decodeBase64Field(Buffer.from(text).toString('base64'))).toBe(text);
    expect(decodeBase64Field('a')).toBeUndefined();
    expect(decodeBase64Field('a b')).toBeUndefined();
  });
});

describe('loading', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'iglu-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }
  const schema = (self: Record<string, string>) =>
    JSON.stringify({
      $schema: SELF_DESC_META_SCHEMA,
      self,
      type: 'object',
      properties: {},
      additionalProperties: false,
    });

  it('loads a custom directory (such as the project schemas)', () => {
    const self = { vendor: 'com.tandem', name: 'thing', format: 'jsonschema', version: '1-0-0' };
    const reg = createSchemaRegistry({
      schemasDir: dirWith({ 'com.tandem/thing/jsonschema/1-0-0': schema(self) }),
      documents: [],
    });
    expect(reg.uris).toEqual(['iglu:com.tandem/thing/jsonschema/1-0-0']);
    expect(reg.validate('iglu:com.tandem/thing/jsonschema/1-0-0', {})).toEqual({ ok: true });
  });

  it('refuses a schema whose self block does not match its path', () => {
    const self = { vendor: 'com.tandem', name: 'other', format: 'jsonschema', version: '1-0-0' };
    expect(() =>
      createSchemaRegistry({ schemasDir: dirWith({ 'com.tandem/thing/jsonschema/1-0-0': schema(self) }) }),
    ).toThrow(/self block/);
  });

  it('refuses files that are not JSON or not at vendor/name/format/version', () => {
    expect(() => createSchemaRegistry({ schemasDir: dirWith({ 'com.tandem/thing/jsonschema/1-0-0': '{' }) })).toThrow(
      /not JSON/,
    );
    expect(() => createSchemaRegistry({ schemasDir: dirWith({ 'com.tandem/thing/1-0-0': '{}' }) })).toThrow(/not at/);
  });
});
