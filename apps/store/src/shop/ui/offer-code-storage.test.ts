import { describe, expect, it } from 'vitest';
import {
  type CodeStorage,
  clearOfferCode,
  OFFER_CODE_KEY,
  readOfferCode,
  type StoredOfferCode,
  saveOfferCode,
} from './offer-code-storage';

function memoryStorage(): CodeStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

const throwing: CodeStorage = {
  getItem: () => {
    throw new Error('SecurityError');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
  removeItem: () => {
    throw new Error('SecurityError');
  },
};

const code: StoredOfferCode = {
  code: 'TND-D1mxq9k2-7QH3K9ZP4W-Xb8f0_Lq2mA9c1Zq',
  offer: 'discount',
  ruleId: 'price_sensitive_browser',
  expiresAtMs: 2_000,
};

describe('offer code storage', () => {
  it('keeps the latest code under tandem.offerCode until it expires', () => {
    const storage = memoryStorage();
    expect(readOfferCode(storage, 1_000)).toBeNull();
    expect(saveOfferCode(storage, code)).toBe(true);
    expect(storage.items.has(OFFER_CODE_KEY)).toBe(true);
    expect(OFFER_CODE_KEY).toBe('tandem.offerCode');
    expect(readOfferCode(storage, 1_999)).toEqual(code);
    const later = { ...code, code: 'TND-F1-2', offer: 'free_shipping', ruleId: 'hesitant_cart' };
    saveOfferCode(storage, later);
    expect(readOfferCode(storage, 1_000)).toEqual(later);
  });

  it('drops an expired code', () => {
    const storage = memoryStorage();
    saveOfferCode(storage, code);
    expect(readOfferCode(storage, 2_000)).toBeNull();
    expect(storage.items.size).toBe(0);
  });

  it('ignores text that is not a stored code', () => {
    const storage = memoryStorage();
    for (const text of ['nope', '{"code":""}', 'null', '{"code":"x","offer":"discount","ruleId":"r"}']) {
      storage.items.set(OFFER_CODE_KEY, text);
      expect(readOfferCode(storage, 0)).toBeNull();
    }
  });

  it('clears the code after use', () => {
    const storage = memoryStorage();
    saveOfferCode(storage, code);
    clearOfferCode(storage);
    expect(readOfferCode(storage, 0)).toBeNull();
  });

  it('never throws when storage is missing or refuses', () => {
    expect(saveOfferCode(null, code)).toBe(false);
    expect(readOfferCode(null, 0)).toBeNull();
    expect(saveOfferCode(throwing, code)).toBe(false);
    expect(readOfferCode(throwing, 0)).toBeNull();
    expect(() => clearOfferCode(throwing)).not.toThrow();
    expect(() => clearOfferCode(null)).not.toThrow();
  });
});
