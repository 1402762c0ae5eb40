import { OFFER_RULES } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import {
  ageMs,
  conditionText,
  countStatuses,
  featureRows,
  formatAge,
  groupRows,
  laneMeta,
  parseServerFeatures,
  ruleRows,
  type ServerFeatures,
} from './feature-rows';

const server = (user: Record<string, string>, session: Record<string, string> = {}): ServerFeatures => ({
  userKey: 'u1',
  sessionKey: 's1',
  user,
  session,
  readAt: 10_000,
});
const row = (rows: ReturnType<typeof featureRows>, field: string) => rows.find((item) => item.field === field);

describe('drawer rows', () => {
  it('puts browser and server values side by side and marks agreement', () => {
    const rows = featureRows(
      { product_view_count_5m: '4', cart_add_count_1h: '1', session_page_count: '7' },
      server(
        { _v: 'v1', _at: '9000', _events: '12', product_view_count_5m: '4', cart_add_count_1h: '2' },
        { _at: '9500', _events: '7', session_page_count: '7' },
      ),
    );
    expect(row(rows, 'product_view_count_5m')).toMatchObject({
      group: '5m',
      lane: 'user',
      browser: '4',
      server: '4',
      status: 'match',
      empty: false,
    });
    expect(row(rows, 'cart_add_count_1h')).toMatchObject({ group: '1h', status: 'mismatch' });
    expect(row(rows, 'session_page_count')).toMatchObject({ group: 'session', lane: 'session', status: 'match' });
    expect(row(rows, '_at')).toBeUndefined();
  });

  it("counts an absent value as the feature's empty value", () => {
    // product_view_count's empty value is "0": the server may write it, the browser leaves it out.
    const rows = featureRows({}, server({ _at: '1', product_view_count_24h: '0' }));
    expect(row(rows, 'product_view_count_24h')).toMatchObject({
      browser: null,
      server: '0',
      status: 'match',
      empty: true,
    });
  });

  it('says when the server has no lane yet, and when a feature is not compared', () => {
    const rows = featureRows({ product_view_count_5m: '1' }, server({}, {}));
    expect(row(rows, 'product_view_count_5m')).toMatchObject({ status: 'not_on_server', server: null, empty: false });
    expect(row(rows, 'session_page_count')).toMatchObject({ status: 'not_on_server', empty: true });
    expect(row(featureRows({}, null), 'product_view_count_5m')?.status).toBe('not_on_server');
    expect(row(rows, 'shopper_locations')?.status).toBe('not_compared');
  });

  it('keeps fields it does not define, in an "other" group', () => {
    const rows = featureRows({ brand_new_feature_5m: '3' }, server({ _at: '1', server_only: 'x' }));
    expect(row(rows, 'brand_new_feature_5m')).toMatchObject({ group: 'other', status: 'mismatch' });
    expect(row(rows, 'server_only')).toMatchObject({ group: 'other', server: 'x' });
  });

  it('groups rows by window, then session, in that order', () => {
    const groups = groupRows(featureRows({}, null));
    expect(groups.map((group) => group.id)).toEqual(['5m', '1h', '24h', 'session']);
    expect(groups[2]?.rows.some((item) => item.field === 'last_cart_activity_at')).toBe(true);
    const counts = countStatuses(featureRows({}, null));
    expect(counts.match + counts.mismatch).toBe(0);
    expect(counts.not_compared).toBeGreaterThan(0);
  });

  it('reads the meta fields and the ages', () => {
    expect(laneMeta({ _at: '9000', _events: '12', _v: 'abc' })).toEqual({
      evaluatedAtMs: 9000,
      eventCount: 12,
      definitionVersion: 'abc',
    });
    expect(laneMeta(undefined)).toEqual({ evaluatedAtMs: null, eventCount: null, definitionVersion: null });
    expect(ageMs(10_000, 9_000)).toBe(1_000);
    expect(ageMs(10_000, 11_000)).toBe(0);
    expect(ageMs(10_000, null)).toBeNull();
    expect(formatAge(400)).toBe('0.4 s');
    expect(formatAge(12_700)).toBe('12 s');
    expect(formatAge(185_000)).toBe('3 min 5 s');
    expect(formatAge(7_800_000)).toBe('2 h 10 min');
    expect(formatAge(null)).toBe('unknown');
  });

  it('parses the features body and refuses anything else', () => {
    const body = { userKey: 'u', sessionKey: null, user: { a: '1', n: 2 }, session: {}, readAt: 5 };
    expect(parseServerFeatures(body)).toEqual({
      userKey: 'u',
      sessionKey: null,
      user: { a: '1' },
      session: {},
      readAt: 5,
    });
    expect(parseServerFeatures({ error: { code: 'unavailable' } })).toBeNull();
    expect(parseServerFeatures(null)).toBeNull();
  });
});

describe('drawer rules', () => {
  const discount = (rows: ReturnType<typeof ruleRows>) => rows.find((rule) => rule.id === 'price_sensitive_browser');

  it('checks each condition alone on the browser values', () => {
    const rows = ruleRows({ product_view_count_5m: '4', price_range_viewed_5m: '18.00-320.00' }, 1_000, {
      fired: ['price_sensitive_browser'],
      dismissed: [],
    });
    expect(rows.map((rule) => rule.id)).toEqual(OFFER_RULES.map((rule) => rule.id));
    const rule = discount(rows);
    expect(rule).toMatchObject({ holds: true, fired: true, dismissed: false, offer: 'discount' });
    expect(rule?.conditions.map((condition) => condition.holds)).toEqual([true, true, true]);
    expect(rule?.conditions[2]?.reading).toBe('18.00-320.00 (×17.78)');
    // cart_add_count_5m is absent: its empty value "0" satisfies "= 0".
    expect(rule?.conditions[1]).toMatchObject({ text: 'cart_add_count_5m = 0', reading: 'empty' });
  });

  it('reports partial progress and idle times', () => {
    const rows = ruleRows({ cart_value_1h: '320.00', last_cart_activity_at: '10000' }, 40_000);
    const chat = rows.find((rule) => rule.id === 'stalled_high_value_cart');
    expect(chat?.holds).toBe(false);
    expect(chat?.conditions.map((condition) => [condition.text, condition.reading, condition.holds])).toEqual([
      ['cart_value_1h ≥ 150', '320.00', true],
      ['time since last_cart_activity_at ≥ 60 s', '30 s ago', false],
    ]);
    expect(discount(rows)?.conditions[0]?.holds).toBe(false);
  });

  it('writes conditions for people', () => {
    expect(conditionText({ feature: 'price_range_viewed_5m', measure: 'rangeRatio', op: '>=', value: 2 })).toBe(
      'price_range_viewed_5m: highest ÷ lowest ≥ 2',
    );
    expect(conditionText({ feature: 'x', op: '!=', value: 1 })).toBe('x ≠ 1');
  });
});
