import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHundredths, serializeValue } from './canonical.js';
import {
  hashRecordOf,
  parseCanonicalValue,
  parseFeatureHash,
  SESSION_READ_FIELDS,
  USER_READ_FIELDS,
} from './read-values.js';

const ok = (value: unknown) => ({ ok: true, value });

describe('parseCanonicalValue', () => {
  it('reads each value type into its JavaScript type', () => {
    expect(parseCanonicalValue('integer', '3')).toEqual(ok(3));
    expect(parseCanonicalValue('integer', '0')).toEqual(ok(0));
    expect(parseCanonicalValue('decimal', '117.66')).toEqual(ok(117.66));
    expect(parseCanonicalValue('decimal', '0.50')).toEqual(ok(0.5));
    expect(parseCanonicalValue('range', '12.99-149.95')).toEqual(ok({ min: 12.99, max: 149.95 }));
    expect(parseCanonicalValue('json-object', '{"1":2,"sku-101":1}')).toEqual(ok({ '1': 2, 'sku-101': 1 }));
    expect(parseCanonicalValue('json-array', '["DE/BB","DE/BE"]')).toEqual(ok(['DE/BB', 'DE/BE']));
    expect(parseCanonicalValue('boolean', 'true')).toEqual(ok(true));
    expect(parseCanonicalValue('boolean', 'false')).toEqual(ok(false));
    expect(parseCanonicalValue('epoch-ms', '1772446325000')).toEqual(ok(1772446325000));
    // A string stays exactly as stored, even when it looks like JSON or a number.
    for (const text of ['1e3', 'null', 'true', '"quoted"', '[1]', 'Running Shoes']) {
      expect(parseCanonicalValue('string', text)).toEqual(ok(text));
    }
  });

  it('refuses text the canonical serializer never writes, saying why', () => {
    const refused: [Parameters<typeof parseCanonicalValue>[0], string][] = [
      ['integer', '3.0'],
      ['integer', '007'],
      ['integer', '-1'],
      ['integer', ''],
      ['integer', '9007199254740993'],
      ['decimal', '117.6'],
      ['decimal', '117'],
      ['decimal', '1e2'],
      ['range', '12.99'],
      ['range', '20.00-10.00'],
      ['json-object', '{"a":"b"}'],
      ['json-object', '[1]'],
      ['json-object', '{'],
      ['json-array', '[1]'],
      ['json-array', '{}'],
      ['boolean', 'True'],
      ['boolean', '1'],
      ['string', ''],
    ];
    for (const [type, text] of refused) {
      const parsed = parseCanonicalValue(type, text);
      expect(parsed.ok, `${type} ${JSON.stringify(text)}`).toBe(false);
      if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(5);
    }
  });

  it('a decimal read as a number loses nothing: toFixed(2) gives the canonical text back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_99 }), (hundredths) => {
        const text = serializeValue('money', hundredths) as string;
        const parsed = parseCanonicalValue('decimal', text);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect((parsed.value as number).toFixed(2)).toBe(text);
      }),
    );
  });

  it('ranges and JSON read back what the serializer wrote', () => {
    fc.assert(
      fc.property(fc.nat(9_999_999_00), fc.nat(9_999_999_00), (a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        const parsed = parseCanonicalValue('range', serializeValue('range', [min, max]) as string);
        expect(parsed).toEqual(ok({ min: Number(formatHundredths(min)), max: Number(formatHundredths(max)) }));
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.nat()), (counts) => {
        expect(parseCanonicalValue('json-object', serializeValue('json', counts) as string)).toEqual(ok(counts));
      }),
    );
  });
});

describe('parseFeatureHash', () => {
  it('gives every field a value: absent fields get the documented empty value', () => {
    const parsed = parseFeatureHash(
      { product_view_count_5m: '2', _v: '1-x', _at: '1772449505000', _events: '26', unknown_field: 'x' },
      USER_READ_FIELDS,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { values, meta } = parsed.value;
    expect(Object.keys(values)).toEqual(USER_READ_FIELDS.map((f) => f.field));
    expect(values.product_view_count_5m).toBe(2);
    expect(values.product_view_count_1h).toBe(0);
    expect(values.order_value_24h).toBe(0);
    expect(values.return_view_count_1h).toEqual({});
    expect(values.avg_viewed_price_5m).toBeNull();
    expect(values.top_category_24h).toBeNull();
    expect(values.last_cart_activity_at).toBeNull();
    expect(values).not.toHaveProperty('unknown_field');
    expect(meta).toEqual({ version: '1-x', evaluatedAtMs: 1772449505000, eventsApplied: 26, overflowed: [] });
  });

  it('an absent session hash reads as an empty session: a bounce with no devices', () => {
    const parsed = parseFeatureHash({}, SESSION_READ_FIELDS);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.values.session_bounce).toBe(true);
    expect(parsed.value.values.session_page_count).toBe(0);
    expect(parsed.value.values.shopper_device_types).toEqual([]);
    expect(parsed.value.values.session_marketing_campaign).toBeNull();
    expect(parsed.value.meta).toEqual({ version: null, evaluatedAtMs: null, eventsApplied: null, overflowed: [] });
  });

  it('reports every field that does not parse, and the overflow list', () => {
    const parsed = parseFeatureHash(
      { session_page_count: '2.5', session_bounce: 'yes', _at: 'soon', _overflow: 'a,b' },
      SESSION_READ_FIELDS,
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.invalid.map((f) => f.field)).toEqual(['session_page_count', 'session_bounce', '_at']);
    expect(parsed.invalid[0]).toMatchObject({ text: '2.5', reason: 'not a canonical integer (integer)' });
  });
});

describe('hashRecordOf', () => {
  it('takes ioredis objects and the flat arrays of @upstash/redis without deserialization', () => {
    expect(hashRecordOf({ a: '1' })).toEqual(ok({ a: '1' }));
    expect(hashRecordOf(['a', '1', 'b', 'true'])).toEqual(ok({ a: '1', b: 'true' }));
    expect(hashRecordOf([])).toEqual(ok({}));
    expect(hashRecordOf(null)).toEqual(ok({}));
  });

  it('refuses values a client has already parsed, and replies that are no hash', () => {
    expect(hashRecordOf({ a: 1 })).toMatchObject({ ok: false, reason: 'deserialized_reply' });
    expect(hashRecordOf({ a: { x: 1 } })).toMatchObject({ ok: false, reason: 'deserialized_reply' });
    expect(hashRecordOf(['a', true])).toMatchObject({ ok: false, reason: 'deserialized_reply' });
    expect(hashRecordOf(['a'])).toMatchObject({ ok: false, reason: 'unexpected_reply' });
    expect(hashRecordOf('OK')).toMatchObject({ ok: false, reason: 'unexpected_reply' });
  });
});
