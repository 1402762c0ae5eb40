/**
 * Tracker payloads for the collector benchmark: what the Snowplow browser tracker with the ecommerce
 * plugin POSTs to `/com.snowplowanalytics.snowplow/tp2`, one shopper's batch of events per request.
 *
 * Many shoppers, each with a small state (session, page view, cart, checkout progress), so the events
 * of a shopper follow one another sensibly: page views, list views, product views, adds and removes
 * (with the cart), checkout steps and transactions (with the cart's products). Every event carries the
 * entities the tracker attaches (web_page, client_session, the ecommerce page) and the ones its action
 * needs. Deterministic for a seed, except event ids and timestamps. Only node built-ins are imported,
 * so the load generator process stays small.
 */
import { randomUUID } from 'node:crypto';

const SP = 'iglu:com.snowplowanalytics.snowplow';
const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
const PAYLOAD_DATA = `${SP}/payload_data/jsonschema/1-0-4`;
const CONTEXTS = `${SP}/contexts/jsonschema/1-0-0`;
const UNSTRUCT = `${SP}/unstruct_event/jsonschema/1-0-0`;
const ACTION = `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`;

export const EVENT_TYPES = [
  'page_view',
  'list_view',
  'product_view',
  'add_to_cart',
  'remove_from_cart',
  'checkout_step',
  'transaction',
] as const;
export type BenchEventType = (typeof EVENT_TYPES)[number];

/** A small PRNG (mulberry32), so a seed gives the same traffic every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
];
const RESOLUTIONS = [
  ['1920x1080', '1903x969'],
  ['1440x900', '1440x789'],
  ['390x844', '390x664'],
  ['412x915', '412x785'],
  ['2560x1440', '2543x1289'],
] as const;
const CATEGORIES = ['Shoes', 'Shirts', 'Trousers', 'Jackets', 'Bags', 'Hats', 'Socks', 'Watches'];
const BRANDS = ['Acme', 'Northwind', 'Contoso', 'Fabrikam', 'Tailspin'];
const PRODUCTS = 2_000;

interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
  brand: string;
}

const catalogue: Product[] = (() => {
  const random = prng(7);
  return Array.from({ length: PRODUCTS }, (_, i) => ({
    id: `sku-${String(i).padStart(5, '0')}`,
    name: `Product ${i}`,
    category: CATEGORIES[i % CATEGORIES.length] as string,
    price: Math.round(500 + random() * 25_000) / 100,
    brand: BRANDS[i % BRANDS.length] as string,
  }));
})();

interface Shopper {
  duid: string;
  networkUserId: string;
  userId: string | null;
  userAgent: string;
  resolution: (typeof RESOLUTIONS)[number];
  sessionId: string;
  previousSessionId: string | null;
  sessionIndex: number;
  firstEventId: string | null;
  firstEventTimestamp: string | null;
  eventIndex: number;
  pageViewId: string;
  pageType: string;
  url: string;
  viewing: Product;
  cart: { product: Product; quantity: number }[];
  cartId: string;
  checkoutStep: number;
}

const uuidFrom = (random: () => number) => {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;

/** The traffic of `shoppers` shoppers: `next()` gives one shopper's next POST. */
export function createTraffic(options: { shoppers: number; eventsPerRequest: number; seed: number }) {
  const random = prng(options.seed);
  const shoppers = new Map<number, Shopper>();
  const counts = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<BenchEventType, number>;

  const shopperOf = (n: number): Shopper => {
    let s = shoppers.get(n);
    if (s === undefined) {
      const r = prng(options.seed * 1_000_003 + n);
      const viewing = pick(r, catalogue);
      s = {
        duid: uuidFrom(r),
        networkUserId: uuidFrom(r),
        userId: r() < 0.3 ? `shopper-${n}@example.com` : null,
        userAgent: pick(r, USER_AGENTS),
        resolution: pick(r, RESOLUTIONS),
        sessionId: uuidFrom(r),
        previousSessionId: null,
        sessionIndex: 1,
        firstEventId: null,
        firstEventTimestamp: null,
        eventIndex: 0,
        pageViewId: uuidFrom(r),
        pageType: 'home',
        url: 'https://shop.test/',
        viewing,
        cart: [],
        cartId: uuidFrom(r),
        checkoutStep: 0,
      };
      shoppers.set(n, s);
    }
    return s;
  };

  /** What the shopper does next, given where they are. */
  const nextType = (s: Shopper): BenchEventType => {
    const x = random();
    if (s.checkoutStep > 0) {
      if (s.checkoutStep >= 3 && x < 0.45) return 'transaction';
      if (x < 0.75) return 'checkout_step';
    }
    if (x < 0.18) return 'page_view';
    if (x < 0.32) return 'list_view';
    if (x < 0.72) return 'product_view';
    if (x < 0.84) return 'add_to_cart';
    if (s.cart.length === 0) return 'product_view';
    if (x < 0.89) return 'remove_from_cart';
    return 'checkout_step';
  };

  const cartTotal = (s: Shopper) =>
    Math.round(s.cart.reduce((sum, line) => sum + line.product.price * 100 * line.quantity, 0)) / 100;
  const productData = (p: Product, extra: Record<string, unknown> = {}) => ({
    id: p.id,
    name: p.name,
    category: p.category,
    price: p.price,
    currency: 'USD',
    brand: p.brand,
    ...extra,
  });

  function event(s: Shopper, type: BenchEventType, now: number, n: number): Record<string, string> {
    const eid = randomUUID();
    const dtm = now - 2_000 + n * 150;
    let action: Record<string, unknown> | null = null;
    const entities: { schema: string; data: unknown }[] = [];
    switch (type) {
      case 'page_view': {
        s.pageViewId = randomUUID();
        s.pageType = pick(random, ['home', 'category', 'product', 'search']);
        s.url = `https://shop.test/${s.pageType}/${Math.floor(random() * 100)}`;
        break;
      }
      case 'list_view': {
        const start = Math.floor(random() * (PRODUCTS - 8));
        const list = `category:${pick(random, CATEGORIES)}`;
        action = { type, name: list };
        for (let i = 0; i < 6; i++) {
          entities.push({
            schema: `${ECOM}/product/jsonschema/1-0-0`,
            data: productData(catalogue[start + i] as Product, { position: i + 1 }),
          });
        }
        break;
      }
      case 'product_view': {
        s.viewing = pick(random, catalogue);
        action = { type };
        entities.push({ schema: `${ECOM}/product/jsonschema/1-0-0`, data: productData(s.viewing) });
        break;
      }
      case 'add_to_cart':
      case 'remove_from_cart': {
        let line: { product: Product; quantity: number };
        if (type === 'add_to_cart') {
          line = { product: s.viewing, quantity: 1 + Math.floor(random() * 2) };
          s.cart.push(line);
        } else {
          const i = Math.floor(random() * s.cart.length);
          line = s.cart[i] as { product: Product; quantity: number };
          s.cart.splice(i, 1);
        }
        action = { type };
        entities.push(
          { schema: `${ECOM}/product/jsonschema/1-0-0`, data: productData(line.product, { quantity: line.quantity }) },
          {
            schema: `${ECOM}/cart/jsonschema/1-0-0`,
            data: { cart_id: s.cartId, total_value: cartTotal(s), currency: 'USD' },
          },
        );
        break;
      }
      case 'checkout_step': {
        s.checkoutStep = Math.min(s.checkoutStep + 1, 4);
        action = { type };
        entities.push({
          schema: `${ECOM}/checkout_step/jsonschema/1-0-0`,
          data: {
            step: s.checkoutStep,
            delivery_method: s.checkoutStep >= 2 ? 'standard' : null,
            payment_method: s.checkoutStep >= 3 ? 'card' : null,
          },
        });
        break;
      }
      case 'transaction': {
        if (s.cart.length === 0) s.cart.push({ product: s.viewing, quantity: 1 });
        action = { type };
        entities.push({
          schema: `${ECOM}/transaction/jsonschema/1-0-0`,
          data: {
            transaction_id: `order-${eid}`,
            revenue: cartTotal(s),
            currency: 'USD',
            payment_method: 'card',
            total_quantity: s.cart.reduce((sum, line) => sum + line.quantity, 0),
            tax: null,
            shipping: 4.95,
          },
        });
        for (const line of s.cart) {
          entities.push({
            schema: `${ECOM}/product/jsonschema/1-0-0`,
            data: productData(line.product, { quantity: line.quantity }),
          });
        }
        s.cart = [];
        s.cartId = randomUUID();
        s.checkoutStep = 0;
        break;
      }
    }
    counts[type]++;
    s.eventIndex++;
    s.firstEventId ??= eid;
    s.firstEventTimestamp ??= new Date(dtm).toISOString();
    entities.push(
      { schema: `${SP}/web_page/jsonschema/1-0-0`, data: { id: s.pageViewId } },
      { schema: `${ECOM}/page/jsonschema/1-0-0`, data: { type: s.pageType, language: 'en', locale: 'en-US' } },
      {
        schema: `${SP}/client_session/jsonschema/1-0-2`,
        data: {
          userId: s.duid,
          sessionId: s.sessionId,
          sessionIndex: s.sessionIndex,
          previousSessionId: s.previousSessionId,
          storageMechanism: 'LOCAL_STORAGE',
          firstEventId: s.firstEventId,
          firstEventTimestamp: s.firstEventTimestamp,
          eventIndex: s.eventIndex,
        },
      },
    );
    const [res, vp] = s.resolution;
    return {
      e: type === 'page_view' ? 'pv' : 'ue',
      eid,
      tv: 'js-4.6.5',
      tna: 'sp',
      aid: 'tandem-store',
      p: 'web',
      cookie: '1',
      cs: 'UTF-8',
      lang: 'en-US',
      res,
      vp,
      ds: vp,
      cd: '24',
      tz: 'Europe/Amsterdam',
      dtm: String(dtm),
      stm: String(now),
      duid: s.duid,
      sid: s.sessionId,
      vid: String(s.sessionIndex),
      url: s.url,
      page: `${s.pageType} | Tandem shop`,
      refr: 'https://shop.test/',
      ...(s.userId !== null && { uid: s.userId }),
      ...(action !== null && { ue_pr: JSON.stringify({ schema: UNSTRUCT, data: { schema: ACTION, data: action } }) }),
      co: JSON.stringify({ schema: CONTEXTS, data: entities }),
    };
  }

  return {
    /** Event counts by type so far. */
    counts,
    /** The next POST: a random shopper's next `eventsPerRequest` events, with its browser's headers. */
    next(): { body: string; userAgent: string; cookie: string } {
      const s = shopperOf(Math.floor(random() * options.shoppers));
      if (random() < 0.05) {
        // A new session: the tracker rotates the session after 30 minutes idle.
        s.previousSessionId = s.sessionId;
        s.sessionId = randomUUID();
        s.sessionIndex++;
        s.eventIndex = 0;
        s.firstEventId = null;
        s.firstEventTimestamp = null;
        s.checkoutStep = 0;
      }
      const now = Date.now();
      const data = Array.from({ length: options.eventsPerRequest }, (_, n) => event(s, nextType(s), now, n));
      return {
        body: JSON.stringify({ schema: PAYLOAD_DATA, data }),
        userAgent: s.userAgent,
        cookie: `sp=${s.networkUserId}`,
      };
    },
  };
}

/** What the bad flood sends, in turn: garbage, an unknown schema, and a 2 MB body. */
export const FLOOD_BODIES: readonly string[] = [
  'not json at all',
  JSON.stringify({
    schema: PAYLOAD_DATA,
    data: [
      { e: 'ue', eid: 'x', p: 'web', tv: 't', ue_pr: '{"schema":"iglu:com.acme/unknown/jsonschema/1-0-0","data":{}}' },
    ],
  }),
  'x'.repeat(2_000_000),
];
