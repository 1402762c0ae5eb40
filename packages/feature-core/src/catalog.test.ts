import { describe, expect, it } from 'vitest';
import { buildFeatureCatalog, CATALOG_VALUE_TYPES, type CatalogFeature } from './catalog.js';
import { FEATURE_DEFINITIONS } from './definitions.js';
import { DEFAULT_CONFIG } from './engine/config.js';
import { WINDOW_IDS } from './engine/windows.js';
import { CHECKPOINTS } from './golden-journey.fixture.js';
import { parseCanonicalValue } from './read-values.js';
import { definitionVersion } from './version.js';

const catalog = buildFeatureCatalog();

function byName(name: string): CatalogFeature {
  const feature = catalog.features.find((f) => f.name === name);
  if (feature === undefined) throw new Error(`${name} is not in the catalogue`);
  return feature;
}

describe('feature catalogue', () => {
  it('lists every definition once, in definition order, with every field filled in', () => {
    expect(catalog.features.map((f) => f.name)).toEqual(FEATURE_DEFINITIONS.map((d) => d.name));
    const valueTypes = new Set(CATALOG_VALUE_TYPES.map((t) => t.id));
    for (const feature of catalog.features) {
      const def = FEATURE_DEFINITIONS.find((d) => d.name === feature.name);
      expect(feature.meaning, feature.name).toBe(def?.meaning);
      expect(feature.emptyValue, feature.name).toBe(def?.emptyValue);
      expect(feature.coreType, feature.name).toBe(def?.type);
      expect(valueTypes.has(feature.valueType), feature.name).toBe(true);
      for (const text of [feature.key, feature.hash, feature.field, feature.lifetime, feature.meaning]) {
        expect(text.length, feature.name).toBeGreaterThan(0);
      }
      expect(feature.key.endsWith(`:${feature.field}`), feature.name).toBe(true);
      expect(feature.fields.length, feature.name).toBe(feature.windowSuffix ? feature.windows.length : 1);
      expect(feature.origin, feature.name).toBe(def?.origin);
      expect(feature.parity, feature.name).toBe(def?.origin === 'accelerator');
    }
  });

  it('names the keys a reader looks up: string key, hash and field per window', () => {
    expect(byName('product_view_count')).toMatchObject({
      lane: 'user',
      key: 'user:{userKey}:product_view_count_{window}',
      hash: 'features:user:{userKey}',
      field: 'product_view_count_{window}',
      fields: ['product_view_count_5m', 'product_view_count_1h', 'product_view_count_24h'],
      windows: [...WINDOW_IDS],
      valueType: 'integer',
      emptyValue: '0',
      origin: 'accelerator',
      parity: true,
    });
    expect(byName('last_cart_activity_at')).toMatchObject({
      lane: 'user',
      key: 'user:{userKey}:last_cart_activity_at',
      fields: ['last_cart_activity_at'],
      windows: ['24h'],
      windowSuffix: false,
      valueType: 'epoch-ms',
      emptyValue: null,
      origin: 'documented',
      parity: false,
    });
    expect(byName('session_bounce')).toMatchObject({
      lane: 'session',
      key: 'session:{sessionKey}:session_bounce',
      hash: 'features:session:{sessionKey}',
      windows: [],
      valueType: 'boolean',
      emptyValue: 'true',
    });
  });

  it('tells JSON objects from JSON arrays, decimals from integers, and gives money its currency', () => {
    expect(byName('return_view_count').valueType).toBe('json-object');
    expect(byName('shopper_device_types').valueType).toBe('json-array');
    expect(byName('avg_order_value')).toMatchObject({ valueType: 'decimal', unit: 'USD' });
    expect(byName('session_cart_ratio')).toMatchObject({ valueType: 'decimal', unit: 'ratio' });
    expect(byName('session_duration')).toMatchObject({ valueType: 'integer', unit: 'ms' });
    expect(byName('price_range_viewed')).toMatchObject({ valueType: 'range', unit: 'USD' });
    expect(buildFeatureCatalog({ baseCurrency: 'EUR', fxRates: {} }).baseCurrency).toBe('EUR');
  });

  it('carries the definition version every hash is stamped with', () => {
    expect(catalog.definitionVersion).toBe(definitionVersion(DEFAULT_CONFIG));
    expect(catalog.metaFields.map((m) => m.field)).toEqual(['_v', '_at', '_events', '_overflow']);
  });

  it('is plain JSON: stringifying and parsing gives the same document', () => {
    expect(JSON.parse(JSON.stringify(catalog))).toEqual(catalog);
  });

  it("every empty value, and every value the golden journey writes, parses as its feature's type", () => {
    for (const feature of catalog.features) {
      if (feature.emptyValue === null) continue;
      expect(parseCanonicalValue(feature.valueType, feature.emptyValue).ok, feature.name).toBe(true);
    }
    const written = CHECKPOINTS.flatMap((checkpoint) => Object.entries(checkpoint.expected));
    expect(written.length).toBeGreaterThan(100);
    for (const [key, text] of written) {
      const feature = catalog.features.find((f) => f.fields.some((field) => key.endsWith(`:${field}`)));
      expect(feature, key).toBeDefined();
      if (feature === undefined) continue;
      expect(parseCanonicalValue(feature.valueType, text), `${key}=${text}`).toMatchObject({ ok: true });
    }
  });
});
