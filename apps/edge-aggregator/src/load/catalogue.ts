/**
 * The shop the load generator's shoppers visit: ~200 products in 10 categories, promotions, search
 * terms, campaigns, places and devices. Built once at module load, so generating an event never
 * formats a price or a URL it could have prepared.
 */
import { DESKTOP_USER_AGENT, PHONE_USER_AGENT, type ProductSpec } from '@tandem/feature-core/testing';

/** Page origin of every generated URL. */
export const SHOP_ORIGIN = 'https://shop.example.com';

/** A tablet (iPad) user agent: classified `Tablet`. */
export const TABLET_USER_AGENT =
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

export interface CatalogueProduct {
  /** Position in `PRODUCTS`. */
  readonly index: number;
  readonly category: number;
  readonly priceMinor: number;
  /** The product entity without quantity (product_view, list entities). */
  readonly spec: ProductSpec;
  /** `withQuantity[q]`: the entity with `quantity: q`, for q in 1..MAX_QUANTITY (cart and transaction). */
  readonly withQuantity: readonly ProductSpec[];
  readonly pageUrl: string;
  readonly pageTitle: string;
}

export interface CatalogueCategory {
  readonly index: number;
  /** The list name of list_view / list_click and the products' `category`. */
  readonly name: string;
  readonly pageUrl: string;
  readonly pageTitle: string;
  /** Indexes into `PRODUCTS`. */
  readonly products: readonly number[];
  readonly searchTerms: readonly (readonly string[])[];
}

/** Largest quantity of one product in a cart. */
export const MAX_QUANTITY = 3;

const CATEGORY_DEFS: readonly {
  name: string;
  slug: string;
  nouns: readonly string[];
  /** Lowest and highest whole-dollar part of a price (prices end in .99). */
  dollars: readonly [number, number];
}[] = [
  {
    name: 'Running Shoes',
    slug: 'running-shoes',
    nouns: ['Runner', 'Trail Shoe', 'Racer', 'Trainer'],
    dollars: [59, 189],
  },
  { name: 'Jackets', slug: 'jackets', nouns: ['Rain Jacket', 'Parka', 'Shell', 'Windbreaker'], dollars: [79, 349] },
  { name: 'T-Shirts', slug: 't-shirts', nouns: ['Tee', 'Tech Tee', 'Tank', 'Long Sleeve'], dollars: [14, 49] },
  { name: 'Trousers', slug: 'trousers', nouns: ['Chino', 'Jogger', 'Hiking Pant', 'Short'], dollars: [29, 119] },
  { name: 'Backpacks', slug: 'backpacks', nouns: ['Daypack', 'Rucksack', 'Sling', 'Duffel'], dollars: [39, 199] },
  { name: 'Watches', slug: 'watches', nouns: ['GPS Watch', 'Field Watch', 'Smart Band', 'Chrono'], dollars: [99, 499] },
  {
    name: 'Sunglasses',
    slug: 'sunglasses',
    nouns: ['Aviator', 'Wayfarer', 'Sport Shield', 'Round'],
    dollars: [24, 179],
  },
  { name: 'Hats', slug: 'hats', nouns: ['Cap', 'Beanie', 'Bucket Hat', 'Visor'], dollars: [12, 45] },
  { name: 'Socks', slug: 'socks', nouns: ['Crew Sock', 'Trail Sock', 'No-Show', 'Compression Sock'], dollars: [4, 24] },
  {
    name: 'Water Bottles',
    slug: 'water-bottles',
    nouns: ['Flask', 'Bottle', 'Soft Flask', 'Tumbler'],
    dollars: [9, 59],
  },
];

const ADJECTIVES = ['Alpine', 'Coastal', 'Urban', 'Summit'];
const COLOURS = ['Black', 'Blue'];
const BRANDS = ['Northpeak', 'Tandem Basics', 'Fjordline', 'Kestrel', 'Ridgeway'];
/** Products per category: 4 nouns × 4 adjectives + 4 colour variants of the first nouns = 20. */
const PRODUCTS_PER_CATEGORY = 20;

function buildCatalogue(): { categories: CatalogueCategory[]; products: CatalogueProduct[] } {
  const categories: CatalogueCategory[] = [];
  const products: CatalogueProduct[] = [];
  CATEGORY_DEFS.forEach((def, c) => {
    const indexes: number[] = [];
    for (let j = 0; j < PRODUCTS_PER_CATEGORY; j++) {
      const noun = def.nouns[j % def.nouns.length] as string;
      const adjective = ADJECTIVES[Math.floor(j / def.nouns.length) % ADJECTIVES.length] as string;
      const colour = j >= 16 ? ` ${COLOURS[j % COLOURS.length]}` : '';
      const [low, high] = def.dollars;
      // Spread prices over the band, always ending in .99 (e.g. 19.99).
      const dollars =
        low + Math.round(((high - low) * ((j * 7) % PRODUCTS_PER_CATEGORY)) / (PRODUCTS_PER_CATEGORY - 1));
      const priceMinor = dollars * 100 + 99;
      const id = `SKU-${String(c + 1).padStart(2, '0')}${String(j + 1).padStart(3, '0')}`;
      const base: ProductSpec = {
        id,
        category: def.name,
        price: priceMinor / 100,
        name: `${adjective} ${noun}${colour}`,
        brand: BRANDS[(c + j) % BRANDS.length] as string,
      };
      const withQuantity: ProductSpec[] = [base];
      for (let q = 1; q <= MAX_QUANTITY; q++) withQuantity.push(Object.freeze({ ...base, quantity: q }));
      const index = products.length;
      products.push({
        index,
        category: c,
        priceMinor,
        spec: Object.freeze(base),
        withQuantity,
        pageUrl: `${SHOP_ORIGIN}/p/${id.toLowerCase()}`,
        pageTitle: `${base.name} | Tandem Shop`,
      });
      indexes.push(index);
    }
    const word = def.slug.split('-').at(-1) as string;
    categories.push({
      index: c,
      name: def.name,
      pageUrl: `${SHOP_ORIGIN}/c/${def.slug}`,
      pageTitle: `${def.name} | Tandem Shop`,
      products: indexes,
      searchTerms: [[word], ['alpine', word], [(def.nouns[0] as string).toLowerCase().split(' ')[0] as string]],
    });
  });
  return { categories, products };
}

const built = buildCatalogue();
export const CATEGORIES: readonly CatalogueCategory[] = built.categories;
export const PRODUCTS: readonly CatalogueProduct[] = built.products;

export const PROMOTIONS: readonly { readonly id: string; readonly name: string; readonly category: number }[] = [
  { id: 'promo-summer-sale', name: 'Summer sale', category: 2 },
  { id: 'promo-trail-week', name: 'Trail week', category: 0 },
  { id: 'promo-rain-ready', name: 'Rain ready', category: 1 },
  { id: 'promo-free-socks', name: 'Free socks over $100', category: 8 },
  { id: 'promo-new-watches', name: 'New watches', category: 5 },
];

/** `utm_*` query strings of campaign landings (no `+` or `%`, so the URL and `mkt_*` agree verbatim). */
export const CAMPAIGNS: readonly {
  readonly query: string;
  readonly mkt: { medium: string; source: string; campaign: string; term?: string; content?: string };
}[] = [
  {
    query: 'utm_source=newsletter&utm_medium=email&utm_campaign=summer_sale',
    mkt: { medium: 'email', source: 'newsletter', campaign: 'summer_sale' },
  },
  {
    query: 'utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=tandem_shop',
    mkt: { medium: 'cpc', source: 'google', campaign: 'brand', term: 'tandem_shop' },
  },
  {
    query: 'utm_source=instagram&utm_medium=social&utm_campaign=trail_week&utm_content=story_a',
    mkt: { medium: 'social', source: 'instagram', campaign: 'trail_week', content: 'story_a' },
  },
  {
    query: 'utm_source=partner_blog&utm_medium=referral&utm_campaign=gift_guide',
    mkt: { medium: 'referral', source: 'partner_blog', campaign: 'gift_guide' },
  },
];

/** Countries with their regions (ISO 3166-2 subdivision codes, as IP lookups give them). */
export const PLACES: readonly { readonly country: string; readonly regions: readonly string[] }[] = [
  { country: 'US', regions: ['CA', 'NY', 'TX', 'WA', 'IL'] },
  { country: 'DE', regions: ['BE', 'BY', 'HH', 'NW'] },
  { country: 'GB', regions: ['ENG', 'SCT', 'WLS'] },
  { country: 'FR', regions: ['IDF', 'ARA', 'PAC'] },
  { country: 'NL', regions: ['NH', 'ZH', 'UT'] },
];

export const USER_AGENTS = {
  desktop: DESKTOP_USER_AGENT,
  phone: PHONE_USER_AGENT,
  tablet: TABLET_USER_AGENT,
} as const;

export const HOME_URL = `${SHOP_ORIGIN}/`;
export const CART_URL = `${SHOP_ORIGIN}/cart`;
export const CHECKOUT_URLS: readonly string[] = [1, 2, 3].map((step) => `${SHOP_ORIGIN}/checkout/${step}`);
export const CONFIRMATION_URL = `${SHOP_ORIGIN}/checkout/confirmation`;

/** The search results page of `terms` (`/search?q=a+b`). */
export function searchUrl(terms: readonly string[]): string {
  return `${SHOP_ORIGIN}/search?q=${terms.join('+')}`;
}
