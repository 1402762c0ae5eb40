/**
 * The shop's catalogue: fixed demo data, the same on every server and in every test.
 *
 * Prices are integers in minor units (`priceMinor`, cents) so sums are exact; the Snowplow product
 * entity wants major units with `multipleOf: 0.01`, which `toProductRef()` produces.
 */

/** The shop's one currency (ISO 4217; the Snowplow schemas want exactly 3 characters). */
export const CURRENCY = 'EUR';

export interface Category {
  /** URL slug, also the category the tracker reports. */
  readonly id: string;
  readonly name: string;
  readonly tagline: string;
}

export interface Product {
  /** URL slug and SKU. */
  readonly id: string;
  readonly name: string;
  readonly brand: string;
  /** A `Category.id`. */
  readonly category: string;
  /** Price in minor units (cents). */
  readonly priceMinor: number;
  readonly description: string;
  /** Position in "Top this week" (1 = best seller), when it is in it. */
  readonly topRank?: number;
  /** Part of the "New series" list. */
  readonly newSeries?: boolean;
  /** Hue (0–359) of the generated product image. */
  readonly hue: number;
}

export const CATEGORIES: readonly Category[] = [
  { id: 'shoes', name: 'Shoes', tagline: 'Trail, road and everyday pairs' },
  { id: 'jackets', name: 'Jackets', tagline: 'Shells, fleeces and down for every season' },
  { id: 'bags', name: 'Bags', tagline: 'Daypacks, duffels and city totes' },
  { id: 'watches', name: 'Watches', tagline: 'Field, dive and smart watches' },
  { id: 'home', name: 'Home', tagline: 'Mugs, lamps and blankets for the evening after' },
];

type ProductSeed = readonly [
  id: string,
  name: string,
  brand: string,
  category: string,
  priceMinor: number,
  description: string,
  extra?: { topRank?: number; newSeries?: boolean },
];

const SEEDS: readonly ProductSeed[] = [
  [
    'trail-runner-2',
    'Trail Runner 2',
    'Northpeak',
    'shoes',
    12_999,
    'Grippy lugs and a rock plate for technical trails.',
    { topRank: 1 },
  ],
  ['city-sneaker', 'City Sneaker', 'Urbanfold', 'shoes', 8_950, 'Leather low-top with a cushioned cork footbed.'],
  [
    'road-racer-pro',
    'Road Racer Pro',
    'Velox',
    'shoes',
    17_900,
    'Carbon-plated racer for race day and tempo runs.',
    { newSeries: true },
  ],
  [
    'hiking-boot-mid',
    'Hiking Boot Mid',
    'Northpeak',
    'shoes',
    15_450,
    'Waterproof mid boot with a stiff shank for heavy packs.',
  ],
  [
    'recovery-slide',
    'Recovery Slide',
    'Velox',
    'shoes',
    3_999,
    'Soft foam slide for the hours after a long run.',
    { topRank: 5 },
  ],
  [
    'approach-shoe',
    'Approach Shoe',
    'Cragline',
    'shoes',
    13_500,
    'Sticky rubber toe for scrambles to the crag.',
    { newSeries: true },
  ],
  [
    'storm-shell',
    'Storm Shell',
    'Northpeak',
    'jackets',
    24_900,
    'Three-layer waterproof shell with pit zips.',
    { topRank: 2 },
  ],
  ['down-parka', 'Down Parka', 'Fjellwear', 'jackets', 32_000, '800-fill down parka rated for city winters.'],
  ['fleece-hoodie', 'Fleece Hoodie', 'Urbanfold', 'jackets', 7_950, 'Grid fleece that breathes on the climb.'],
  [
    'wind-jacket',
    'Wind Jacket',
    'Velox',
    'jackets',
    9_900,
    'Packs into its own pocket; blocks the wind on ridges.',
    { newSeries: true },
  ],
  [
    'insulated-vest',
    'Insulated Vest',
    'Fjellwear',
    'jackets',
    11_000,
    'Synthetic insulation that stays warm when damp.',
  ],
  ['rain-poncho', 'Rain Poncho', 'Cragline', 'jackets', 4_500, 'Covers you and your pack in a sudden shower.'],
  ['daypack-22', 'Daypack 22', 'Cragline', 'bags', 8_900, 'A 22 litre pack with a hydration sleeve.', { topRank: 3 }],
  ['travel-duffel', 'Travel Duffel 60', 'Fjellwear', 'bags', 14_900, 'Tough duffel that carries like a backpack.'],
  ['city-tote', 'City Tote', 'Urbanfold', 'bags', 5_900, 'Waxed canvas tote with a laptop pocket.'],
  ['running-belt', 'Running Belt', 'Velox', 'bags', 2_499, 'Bounce-free belt for phone, keys and gels.'],
  [
    'roll-top-backpack',
    'Roll-top Backpack',
    'Urbanfold',
    'bags',
    12_900,
    'Waterproof roll-top for the commute by bike.',
    { newSeries: true },
  ],
  ['camera-sling', 'Camera Sling', 'Northpeak', 'bags', 6_950, 'Padded sling with quick side access.'],
  ['field-watch', 'Field Watch 38', 'Tempora', 'watches', 19_900, 'Hand-wound field watch with a sapphire crystal.'],
  [
    'dive-watch',
    'Dive Watch 200',
    'Tempora',
    'watches',
    39_900,
    'Automatic diver, water resistant to 200 metres.',
    { newSeries: true },
  ],
  [
    'gps-watch',
    'GPS Sport Watch',
    'Velox',
    'watches',
    29_900,
    'Multi-band GPS, heart rate and maps on the wrist.',
    { topRank: 4 },
  ],
  ['solar-watch', 'Solar Digital', 'Northpeak', 'watches', 9_900, 'Solar-powered digital watch with barometer.'],
  ['nato-strap', 'NATO Strap', 'Tempora', 'watches', 1_950, 'Nylon strap in 20 mm; fits most field watches.'],
  ['enamel-mug', 'Enamel Mug', 'Hearthly', 'home', 1_800, 'Campfire mug that also lives on the desk.', { topRank: 6 }],
  ['wool-blanket', 'Wool Blanket', 'Hearthly', 'home', 11_900, 'Heavy merino blanket woven in Portugal.'],
  [
    'lantern',
    'Rechargeable Lantern',
    'Cragline',
    'home',
    4_900,
    'Warm light for 40 hours on one charge.',
    { newSeries: true },
  ],
  ['pour-over-set', 'Pour-over Set', 'Hearthly', 'home', 3_900, 'Ceramic dripper, carafe and 100 filters.'],
  ['map-print', 'Mountain Map Print', 'Fjellwear', 'home', 5_500, 'Topographic print of the Alps, A2.'],
  ['camp-chair', 'Camp Chair', 'Northpeak', 'home', 7_900, 'Folds to the size of a water bottle.'],
  ['thermos-1l', 'Thermos 1 L', 'Hearthly', 'home', 3_450, 'Keeps tea hot for 24 hours.'],
];

function hueOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return hash;
}

export const PRODUCTS: readonly Product[] = SEEDS.map(
  ([id, name, brand, category, priceMinor, description, extra]) => ({
    id,
    name,
    brand,
    category,
    priceMinor,
    description,
    hue: hueOf(id),
    ...extra,
  }),
);

const BY_ID = new Map(PRODUCTS.map((product) => [product.id, product]));
const CATEGORY_BY_ID = new Map(CATEGORIES.map((category) => [category.id, category]));

/** The product with this id, or undefined. */
export function getProduct(id: string): Product | undefined {
  return BY_ID.get(id);
}

/** The category with this id, or undefined. */
export function getCategory(id: string): Category | undefined {
  return CATEGORY_BY_ID.get(id);
}

/** Products of a category, in catalogue order (empty for an unknown category). */
export function productsInCategory(categoryId: string): Product[] {
  return PRODUCTS.filter((product) => product.category === categoryId);
}

/** "Top this week": ranked products, best first. */
export function topThisWeek(): Product[] {
  return PRODUCTS.filter((product) => product.topRank !== undefined).sort(
    (a, b) => (a.topRank ?? 0) - (b.topRank ?? 0),
  );
}

/** "New series": the newest products, in catalogue order. */
export function newSeries(): Product[] {
  return PRODUCTS.filter((product) => product.newSeries === true);
}

/** Splits a query into lower-case search terms (whitespace separated, at most 8, each ≤ 64 chars). */
export function searchTerms(query: string): string[] {
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term !== '')
    .slice(0, 8)
    .map((term) => term.slice(0, 64));
}

/**
 * Products matching every term (in name, brand, category or description), best matches first: a term
 * in the name counts most. An empty query matches nothing.
 */
export function searchProducts(query: string): Product[] {
  const terms = searchTerms(query);
  if (terms.length === 0) return [];
  const scored: { product: Product; score: number }[] = [];
  for (const product of PRODUCTS) {
    const name = product.name.toLowerCase();
    const rest =
      `${product.brand} ${getCategory(product.category)?.name ?? product.category} ${product.description}`.toLowerCase();
    let score = 0;
    for (const term of terms) {
      if (name.includes(term)) score += 3;
      else if (rest.includes(term)) score += 1;
      else {
        score = 0;
        break;
      }
    }
    if (score > 0) scored.push({ product, score });
  }
  return scored.sort((a, b) => b.score - a.score).map(({ product }) => product);
}

/**
 * Up to `limit` recommendations for a product: same category first, then the same brand, then the
 * week's best sellers; never the product itself, no duplicates.
 */
export function recommendationsFor(productId: string, limit = 4): Product[] {
  const product = getProduct(productId);
  if (product === undefined) return topThisWeek().slice(0, limit);
  const picked = new Map<string, Product>();
  const candidates = [
    ...productsInCategory(product.category),
    ...PRODUCTS.filter((other) => other.brand === product.brand),
    ...topThisWeek(),
  ];
  for (const candidate of candidates) {
    if (picked.size >= limit) break;
    if (candidate.id !== product.id) picked.set(candidate.id, candidate);
  }
  return [...picked.values()];
}

/** Formats minor units as a price for people, e.g. 12999 → "€129.99". */
export function formatPrice(priceMinor: number): string {
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(priceMinor / 100);
}

/** Minor units to the major-unit number the tracker wants, exact to the cent (12999 → 129.99). */
export function toMajor(priceMinor: number): number {
  return Math.round(priceMinor) / 100;
}
