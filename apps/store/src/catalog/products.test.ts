import { describe, expect, it } from 'vitest';
import { productImageSvg } from './image';
import {
  CATEGORIES,
  formatPrice,
  getProduct,
  newSeries,
  PRODUCTS,
  productsInCategory,
  recommendationsFor,
  searchProducts,
  searchTerms,
  toMajor,
  topThisWeek,
} from './products';

describe('catalogue', () => {
  it('has at least 24 products in at least 4 categories, each category stocked', () => {
    expect(PRODUCTS.length).toBeGreaterThanOrEqual(24);
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(4);
    for (const category of CATEGORIES) expect(productsInCategory(category.id).length).toBeGreaterThanOrEqual(4);
  });

  it('gives every product a unique URL-safe id, a known category, a brand, a description and a price in cents', () => {
    const ids = new Set(PRODUCTS.map((product) => product.id));
    expect(ids.size).toBe(PRODUCTS.length);
    const categoryIds = new Set(CATEGORIES.map((category) => category.id));
    for (const product of PRODUCTS) {
      expect(product.id).toMatch(/^[a-z0-9-]+$/);
      expect(categoryIds.has(product.category)).toBe(true);
      expect(product.brand).not.toBe('');
      expect(product.description).not.toBe('');
      expect(Number.isInteger(product.priceMinor)).toBe(true);
      expect(product.priceMinor).toBeGreaterThan(0);
    }
  });

  it('converts cents to the exact major-unit number the tracker schema wants', () => {
    for (const product of PRODUCTS) {
      const major = toMajor(product.priceMinor);
      // The schema's multipleOf 0.01: the decimal text has at most two fraction digits.
      expect(String(major)).toMatch(/^\d+(\.\d{1,2})?$/);
      expect(Math.round(major * 100)).toBe(product.priceMinor);
    }
    expect(toMajor(1999)).toBe(19.99);
    expect(formatPrice(12_999)).toBe('€129.99');
  });

  it('ranks "Top this week" and lists "New series"', () => {
    const top = topThisWeek();
    expect(top.length).toBeGreaterThanOrEqual(4);
    expect(top.map((product) => product.topRank)).toEqual(
      [...top.map((product) => product.topRank)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    expect(newSeries().length).toBeGreaterThanOrEqual(4);
  });

  it('searches every term across name, brand, category and description, name matches first', () => {
    expect(searchProducts('')).toEqual([]);
    expect(searchProducts('   ')).toEqual([]);
    const watches = searchProducts('watch');
    expect(watches.length).toBeGreaterThanOrEqual(4);
    expect(
      watches.every((product) =>
        `${product.name} ${product.description} ${product.category}`.toLowerCase().includes('watch'),
      ),
    ).toBe(true);
    expect(searchProducts('northpeak shell').map((product) => product.id)).toEqual(['storm-shell']);
    expect(searchProducts('TRAIL')[0]?.id).toBe('trail-runner-2');
    expect(searchProducts('no-such-thing-xyz')).toEqual([]);
    expect(searchTerms('  Rain  JACKET ')).toEqual(['rain', 'jacket']);
    expect(searchTerms('a b c d e f g h i j')).toHaveLength(8);
  });

  it('recommends other products, same category first, without duplicates', () => {
    for (const product of PRODUCTS) {
      const recommended = recommendationsFor(product.id);
      expect(recommended).toHaveLength(4);
      expect(recommended.some((other) => other.id === product.id)).toBe(false);
      expect(new Set(recommended.map((other) => other.id)).size).toBe(4);
      expect(recommended[0]?.category).toBe(product.category);
    }
    expect(recommendationsFor('unknown')).toHaveLength(4);
  });

  it('generates a deterministic, escaped SVG image per product', () => {
    const product = getProduct('trail-runner-2');
    if (product === undefined) throw new Error('missing product');
    const svg = productImageSvg(product);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toBe(productImageSvg(product));
    expect(productImageSvg({ ...product, name: 'A <b> & "c"', brand: '<script>' })).not.toMatch(/<script>|<b>/);
  });
});
