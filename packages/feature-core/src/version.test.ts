import { describe, expect, it } from 'vitest';
import { rollingField, sessionFeatureKey, sessionHashKey, userFeatureKey, userHashKey } from './keys.js';
import { DEFINITION_REVISION, definitionDescription, definitionVersion } from './version.js';

describe('definition version', () => {
  it('is stable for the same definitions and configuration', () => {
    expect(definitionVersion()).toBe(definitionVersion({ baseCurrency: 'USD', fxRates: {} }));
    expect(definitionVersion()).toMatch(new RegExp(`^${DEFINITION_REVISION}-[0-9a-z]+$`));
  });

  it('changes with anything that changes values: currency settings, windows, caps, features', () => {
    expect(definitionVersion({ baseCurrency: 'EUR', fxRates: {} })).not.toBe(definitionVersion());
    expect(definitionVersion({ baseCurrency: 'USD', fxRates: { EUR: 1.08 } })).not.toBe(definitionVersion());
    const description = JSON.parse(definitionDescription());
    expect(description.windows).toHaveLength(3);
    expect(description.limits.distinctValues).toBe(1000);
    expect(description.features.length).toBeGreaterThanOrEqual(26);
  });
});

describe('Redis keys', () => {
  it('follow the accelerator naming and the project hashes', () => {
    expect(userFeatureKey('u1', rollingField('product_view_count', '5m'))).toBe('user:u1:product_view_count_5m');
    expect(userFeatureKey('u1', 'last_cart_activity_at')).toBe('user:u1:last_cart_activity_at');
    expect(sessionFeatureKey('s1', 'session_page_count')).toBe('session:s1:session_page_count');
    expect(userHashKey('u1')).toBe('features:user:u1');
    expect(sessionHashKey('s1')).toBe('features:session:s1');
  });
});
