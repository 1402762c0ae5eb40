import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, divideHalfEven, formatHundredths, roundHalfEven, serializeValue } from './canonical.js';

describe('divideHalfEven', () => {
  it('rounds halves to the even neighbour and everything else to the nearest', () => {
    expect(divideHalfEven(5, 2)).toBe(2); // 2.5 → 2
    expect(divideHalfEven(7, 2)).toBe(4); // 3.5 → 4
    expect(divideHalfEven(35299, 3)).toBe(11766); // 11766.33 → 11766 ("117.66")
    expect(divideHalfEven(2, 3)).toBe(1); // 0.67 → 1
    expect(divideHalfEven(1, 3)).toBe(0);
    expect(divideHalfEven(0, 7)).toBe(0);
  });

  it('agrees with exact BigInt arithmetic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 10_000 }), (n, d) => {
        const q = BigInt(n) / BigInt(d);
        const r = BigInt(n) % BigInt(d);
        const expected = r * 2n > BigInt(d) || (r * 2n === BigInt(d) && q % 2n === 1n) ? q + 1n : q;
        expect(divideHalfEven(n, d)).toBe(Number(expected));
      }),
    );
  });
});

describe('roundHalfEven', () => {
  it('rounds converted prices half-even', () => {
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(3.4999)).toBe(3);
    expect(roundHalfEven(1079.92)).toBe(1080);
  });
});

describe('formatHundredths', () => {
  it('writes exactly two decimals', () => {
    expect(formatHundredths(11766)).toBe('117.66');
    expect(formatHundredths(50)).toBe('0.50');
    expect(formatHundredths(11999)).toBe('119.99');
    expect(formatHundredths(5)).toBe('0.05');
    expect(formatHundredths(0)).toBe('0.00');
    expect(formatHundredths(100)).toBe('1.00');
  });
});

describe('canonicalJson', () => {
  it('sorts object keys by code unit, so integer-like keys do not jump ahead', () => {
    expect(canonicalJson({ b: 1, '10': 2, a: 3, '5': 4 })).toBe('{"10":2,"5":4,"a":3,"b":1}');
  });

  it('sorts arrays by value and writes compactly', () => {
    expect(canonicalJson(['Phone', 'Desktop'])).toBe('["Desktop","Phone"]');
    expect(canonicalJson([10, 9, 100])).toBe('[9,10,100]');
    expect(canonicalJson({ x: [2, 1], y: 'a"b' })).toBe('{"x":[1,2],"y":"a\\"b"}');
  });

  it('gives the same text for any insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(record);
      }),
    );
  });
});

describe('serializeValue', () => {
  it('writes each value type in its one canonical form', () => {
    expect(serializeValue('count', 3)).toBe('3');
    expect(serializeValue('money', 11766)).toBe('117.66');
    expect(serializeValue('ratio', 50)).toBe('0.50');
    expect(serializeValue('range', [4299, 18999])).toBe('42.99-189.99');
    expect(serializeValue('json', { '5': 2, '3': 1 })).toBe('{"3":1,"5":2}');
    expect(serializeValue('string', 'Shoes')).toBe('Shoes');
    expect(serializeValue('boolean', false)).toBe('false');
    expect(serializeValue('epochMs', 1772445600000)).toBe('1772445600000');
    expect(serializeValue('durationMs', 0)).toBe('0');
  });

  it('turns empty values into null, so the key is deleted', () => {
    expect(serializeValue('count', 0)).toBeNull();
    expect(serializeValue('string', '')).toBeNull();
    expect(serializeValue('money', null)).toBeNull();
  });
});
