import { definitionVersion } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import { CURRENCY } from '../catalog/products.js';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from './engine-config.js';

describe('the shop’s engine settings', () => {
  it('count money in the catalogue’s currency, under their own definition version', () => {
    expect(STORE_ENGINE_CONFIG.baseCurrency).toBe(CURRENCY);
    expect(STORE_DEFINITION_VERSION).toBe(definitionVersion(STORE_ENGINE_CONFIG));
    // Another base currency is another definition: browser and server must agree on it.
    expect(STORE_DEFINITION_VERSION).not.toBe(definitionVersion());
  });
});
