/**
 * Generated product images: a small SVG per product (a category glyph on a gradient in the product's
 * hue), served by the store itself, so the shop needs no image host.
 */
import type { Product } from './products';

/** The URL path the store serves a product's image at. */
export function productImagePath(productId: string): string {
  return `/images/products/${encodeURIComponent(productId)}.svg`;
}

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.codePointAt(0)};`);
}

const GLYPHS: Record<string, string> = {
  shoes:
    '<path d="M90 250 q10-70 60-80 l40 30 q50 20 120 25 q40 5 45 45 l0 20 h-265 z" fill="#fff" fill-opacity=".9"/>' +
    '<path d="M90 290 h265" stroke="#222" stroke-opacity=".35" stroke-width="10"/>',
  jackets:
    '<path d="M150 110 l50-20 h40 l50 20 l45 60 l-30 30 l-25-25 v145 h-120 v-145 l-25 25 l-30-30 z" fill="#fff" fill-opacity=".9"/>' +
    '<path d="M220 95 v225" stroke="#222" stroke-opacity=".35" stroke-width="6"/>',
  bags:
    '<rect x="130" y="140" width="180" height="180" rx="28" fill="#fff" fill-opacity=".9"/>' +
    '<path d="M175 140 q0-60 45-60 q45 0 45 60" fill="none" stroke="#fff" stroke-width="14"/>' +
    '<rect x="165" y="200" width="110" height="60" rx="10" fill="#222" fill-opacity=".2"/>',
  watches:
    '<rect x="190" y="60" width="60" height="320" rx="18" fill="#fff" fill-opacity=".55"/>' +
    '<circle cx="220" cy="220" r="85" fill="#fff" fill-opacity=".95"/>' +
    '<path d="M220 220 v-55 M220 220 l40 22" stroke="#222" stroke-opacity=".7" stroke-width="8" stroke-linecap="round"/>',
  home:
    '<path d="M140 150 h130 v130 q0 40-40 40 h-50 q-40 0-40-40 z" fill="#fff" fill-opacity=".9"/>' +
    '<path d="M270 180 q50 0 50 40 q0 40-50 40" fill="none" stroke="#fff" stroke-width="14"/>',
};

/** A 440×440 SVG image of the product (deterministic: the same product gives the same bytes). */
export function productImageSvg(product: Product): string {
  const from = `hsl(${product.hue} 55% 42%)`;
  const to = `hsl(${(product.hue + 40) % 360} 60% 28%)`;
  const glyph = GLYPHS[product.category] ?? '<circle cx="220" cy="220" r="90" fill="#fff" fill-opacity=".9"/>';
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 440 440" width="440" height="440" role="img"',
    ` aria-label="${escapeXml(product.name)}">`,
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/>`,
    `<stop offset="1" stop-color="${to}"/></linearGradient></defs>`,
    '<rect width="440" height="440" fill="url(#g)"/>',
    glyph,
    `<text x="24" y="412" font-family="system-ui, sans-serif" font-size="22" fill="#fff" font-weight="700">${escapeXml(product.brand)}</text>`,
    '</svg>',
  ].join('');
}
