/**
 * A seeded, deterministic load generator of Snowplow shopper journeys as enriched TSV Kafka records
 * (topic `snowplow-enriched-good`: one event per message, key = `domain_userid`).
 *
 * Model, in short:
 * - **Clock.** The k-th record has event time `startTimeMs + floor(k × 1000 / eventsPerSecond)`, so a
 *   span of S seconds holds exactly `S × eventsPerSecond` records and times never go backwards, except
 *   for late events (below).
 * - **Who acts.** Shopper i has a Zipf weight `1/(i+1)^zipfExponent`: a few heavy shoppers, a long
 *   tail. Each shopper is a renewal process whose mean gap makes its share of events match its
 *   weight; a heap picks the shopper due next, so shoppers interleave. Tail shoppers shop in sessions
 *   (think time ~20 s, then away for more than 30 min); heavy ones browse almost without pause.
 * - **Sessions.** A shopper gets a new `sessionId` (and `sessionIndex + 1`) exactly when more than
 *   `SESSION_TIMEOUT_MS` of event time passed since its previous event; the client_session entity
 *   carries index, previous id, first event and event index, as the tracker writes them.
 * - **Journeys.** Landing (sometimes from a campaign, `utm_*` in the URL), category pages with
 *   list_view, list_click, product pages with product_view, searches (`/search?q=` page view +
 *   site_search), promotions, page pings, add/remove with a cart whose `total_value` is the sum of its
 *   lines, checkout steps 1..3 (some abandoned) and a transaction whose revenue is the cart total.
 *   A share of shoppers signs in mid-session (`user_id` from then on).
 * - **Disorder.** A share of events is held back and sent later (late: event time in the past,
 *   collector time when sent); a share of records repeats a recent record byte for byte
 *   (duplicate: same event id); a share is bad lines (off by default) for the dead-letter path.
 *
 * Pure: no IO, no wall clock, no global randomness. The same options give the same records.
 */
import type { EventSpec, ProductSpec } from '@tandem/feature-core/testing';
import {
  CAMPAIGNS,
  CART_URL,
  CATEGORIES,
  type CatalogueCategory,
  type CatalogueProduct,
  CHECKOUT_URLS,
  CONFIRMATION_URL,
  HOME_URL,
  MAX_QUANTITY,
  PLACES,
  PRODUCTS,
  PROMOTIONS,
  searchUrl,
  USER_AGENTS,
} from './catalogue.js';
import { encodeEnrichedLine, fastUuid } from './enriched-line.js';
import { deriveSeed, exponential, mulberry32, pick, type Random, randomInt, randomUuid } from './prng.js';

/** Event-time inactivity after which a shopper's next event starts a new session (Snowplow's default). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** What a record is. Every kind but the `bad_*` ones decodes with `fromEnrichedTsv`. */
export type LoadRecordKind =
  /** A journey event, sent in event-time order. */
  | 'event'
  /** A journey event sent after later ones (its collector time is when it was sent). */
  | 'late'
  /** A byte-for-byte repeat of a recent record (same event id), as at-least-once delivery makes. */
  | 'duplicate'
  /** A line cut short (fewer than 131 fields). */
  | 'bad_truncated'
  /** A line with one field too many. */
  | 'bad_field_count'
  /** An add_to_cart without its cart entity (decodes to `missing_entity`). */
  | 'bad_missing_cart';

export const BAD_KINDS: readonly LoadRecordKind[] = ['bad_truncated', 'bad_field_count', 'bad_missing_cart'];

export interface LoadRecord {
  /** Kafka message key: the shopper's `domain_userid`. */
  readonly key: string;
  /** Kafka message value: one enriched TSV line, no newline. */
  readonly value: string;
  readonly eventId: string;
  /** The event's time (its `derived_tstamp`), epoch ms. */
  readonly eventTimeMs: number;
  readonly kind: LoadRecordKind;
  /** The spec the line was built from (for a bad line, the spec before it was spoiled). */
  readonly spec: EventSpec;
}

export interface ShopperLoadOptions {
  /** Seed of every random choice; default 1. */
  readonly seed?: number;
  /** Number of distinct shoppers (`domain_userid`s); default 1,000. */
  readonly shoppers?: number;
  /** Event time of the first record, epoch ms; default 2025-07-01T00:00:00Z. */
  readonly startTimeMs?: number;
  /** Records per second of event time; default 100. */
  readonly eventsPerSecond?: number;
  /** Zipf exponent of shopper activity (0 = uniform); default 1. */
  readonly zipfExponent?: number;
  /** Share of shoppers who sign in during their first session; default 0.3. */
  readonly signInShare?: number;
  /** Share of sessions that land from a campaign URL (`utm_*`); default 0.25. */
  readonly campaignShare?: number;
  /** Chance per event that the shopper's region changes (travel, mobile network); default 0.002. */
  readonly regionChangeShare?: number;
  /** Share of journey events sent late; default 0.01. */
  readonly lateShare?: number;
  /** Largest delay of a late event, ms of event time (below 24 h, the enrichment's bound); default 10 min. */
  readonly maxLatenessMs?: number;
  /** Share of records that repeat a recent record; default 0.005. */
  readonly duplicateShare?: number;
  /** Share of records that are bad lines; default 0 (off). */
  readonly badShare?: number;
}

interface ResolvedOptions {
  readonly seed: number;
  readonly shoppers: number;
  readonly startTimeMs: number;
  readonly eventsPerSecond: number;
  readonly zipfExponent: number;
  readonly signInShare: number;
  readonly campaignShare: number;
  readonly regionChangeShare: number;
  readonly lateShare: number;
  readonly maxLatenessMs: number;
  readonly duplicateShare: number;
  readonly badShare: number;
}

export const DEFAULT_START_TIME_MS = Date.UTC(2025, 6, 1);
const MIN_LATENESS_MS = 5_000;
const MAX_ALLOWED_LATENESS_MS = 23 * 60 * 60 * 1000;
const THINK_MS = 20_000;
const MEAN_JOURNEY_EVENTS = 12;
/** Recent records a duplicate is drawn from. */
const RECENT = 256;

function share(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be a share in [0, 1], got ${value}`);
  return value;
}

function resolve(options: ShopperLoadOptions): ResolvedOptions {
  const o = {
    seed: options.seed ?? 1,
    shoppers: options.shoppers ?? 1000,
    startTimeMs: options.startTimeMs ?? DEFAULT_START_TIME_MS,
    eventsPerSecond: options.eventsPerSecond ?? 100,
    zipfExponent: options.zipfExponent ?? 1,
    signInShare: share('signInShare', options.signInShare ?? 0.3),
    campaignShare: share('campaignShare', options.campaignShare ?? 0.25),
    regionChangeShare: share('regionChangeShare', options.regionChangeShare ?? 0.002),
    lateShare: share('lateShare', options.lateShare ?? 0.01),
    maxLatenessMs: options.maxLatenessMs ?? 10 * 60 * 1000,
    duplicateShare: share('duplicateShare', options.duplicateShare ?? 0.005),
    badShare: share('badShare', options.badShare ?? 0),
  };
  if (!Number.isInteger(o.shoppers) || o.shoppers < 1) throw new RangeError(`shoppers must be an integer >= 1`);
  if (!Number.isInteger(o.startTimeMs) || o.startTimeMs < 946_684_800_000) {
    throw new RangeError('startTimeMs must be an integer epoch ms after 2000');
  }
  if (!(o.eventsPerSecond > 0 && Number.isFinite(o.eventsPerSecond))) {
    throw new RangeError('eventsPerSecond must be > 0');
  }
  if (!(o.zipfExponent >= 0)) throw new RangeError('zipfExponent must be >= 0');
  if (o.duplicateShare + o.badShare > 0.5) throw new RangeError('duplicateShare + badShare must be <= 0.5');
  if (o.lateShare > 0.5) throw new RangeError('lateShare must be <= 0.5');
  if (!(o.maxLatenessMs >= MIN_LATENESS_MS && o.maxLatenessMs <= MAX_ALLOWED_LATENESS_MS)) {
    throw new RangeError(`maxLatenessMs must be in [${MIN_LATENESS_MS}, ${MAX_ALLOWED_LATENESS_MS}]`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// A binary min-heap of (key, value) pairs.

class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  peekKey(): number {
    return this.keys[0] ?? Number.POSITIVE_INFINITY;
  }

  push(key: number, value: T): void {
    const keys = this.keys;
    const values = this.values;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((keys[parent] as number) <= key) break;
      keys[i] = keys[parent] as number;
      values[i] = values[parent] as T;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  pop(): T | undefined {
    const keys = this.keys;
    const values = this.values;
    if (keys.length === 0) return undefined;
    const top = values[0];
    const lastKey = keys.pop() as number;
    const lastValue = values.pop() as T;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && (keys[right] as number) < (keys[left] as number) ? right : left;
        if ((keys[child] as number) >= lastKey) break;
        keys[i] = keys[child] as number;
        values[i] = values[child] as T;
        i = child;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Shoppers.

/** The parts of an EventSpec a journey step decides; identity, session and time are filled when sent. */
type Step = Pick<
  EventSpec,
  'type' | 'products' | 'cart' | 'listName' | 'step' | 'transaction' | 'promotion' | 'searchTerms' | 'pageTitle'
> & { readonly pageUrl: string; readonly mkt: EventSpec['mkt'] };

const NO_MKT: NonNullable<EventSpec['mkt']> = Object.freeze({});

interface Shopper {
  readonly index: number;
  readonly domainUserId: string;
  readonly useragent: string;
  /** Mean gap between events within a journey, ms of virtual time. */
  readonly thinkMs: number;
  /** Mean gap after a journey; 0 means "keep browsing" (heavy shoppers). */
  readonly awayMs: number;
  /** Event index in the first session after which the shopper signs in; -1: never. */
  readonly signInAfter: number;
  userId: string | undefined;
  country: number;
  region: number;
  hasGeo: boolean;
  lastEventMs: number;
  sessionId: string;
  sessionIndex: number;
  previousSessionId: string | null;
  firstEventId: string;
  firstEventTimeMs: number;
  eventIndex: number;
  /** Journey state. */
  pending: Step[];
  journeyLeft: number;
  inJourney: boolean;
  pageUrl: string;
  pageTitle: string;
  category: number;
  lastProduct: number;
  /** Quantity per product index (only products in the cart). */
  cart: Map<number, number>;
  cartTotalMinor: number;
  cartId: string;
  cartSeq: number;
}

/** Campaign fields of a page URL, as Enrich derives them from its `utm_*` (our URLs need no decoding). */
function mktOfUrl(url: string): NonNullable<EventSpec['mkt']> {
  if (!url.includes('utm_')) return NO_MKT;
  for (const campaign of CAMPAIGNS) if (url.endsWith(campaign.query)) return campaign.mkt;
  return NO_MKT;
}

/** An event on the shopper's current page. */
function step(shopper: Shopper, type: EventSpec['type'], extra: Partial<Step> = {}): Step {
  return { type, pageUrl: shopper.pageUrl, pageTitle: shopper.pageTitle, mkt: mktOfUrl(shopper.pageUrl), ...extra };
}

/** The generator state: one instance per stream. */
class ShopperSimulation {
  private readonly o: ResolvedOptions;
  private readonly random: Random;
  private readonly shoppers: Shopper[] = [];
  private readonly due = new MinHeap<Shopper>();
  private readonly late = new MinHeap<EventSpec>();
  private readonly recent: LoadRecord[] = [];
  private readonly idBase: number;
  private eventCounter = 0;
  private transactionCounter = 0;
  private tick = 0;

  constructor(options: ShopperLoadOptions) {
    this.o = resolve(options);
    this.random = mulberry32(deriveSeed(this.o.seed, 1));
    // Event ids `uuid(idBase + n)`: 16 bits of seed above a 32-bit counter, so seeds rarely collide.
    this.idBase = (deriveSeed(this.o.seed, 2) & 0xffff) * 2 ** 32;
    const people = mulberry32(deriveSeed(this.o.seed, 3));
    let totalWeight = 0;
    const weights: number[] = [];
    for (let i = 0; i < this.o.shoppers; i++) {
      const w = 1 / (i + 1) ** this.o.zipfExponent;
      weights.push(w);
      totalWeight += w;
    }
    const meanGapAllMs = 1000 / this.o.eventsPerSecond;
    for (let i = 0; i < this.o.shoppers; i++) {
      // Mean gap that gives this shopper its Zipf share of the stream.
      const gapMs = (meanGapAllMs * totalWeight) / (weights[i] as number);
      // A session shopper thinks ~20 s between events and is away long enough to keep its share;
      // one whose share leaves no room for a > 30 min absence keeps browsing at its own pace.
      const awayMs = MEAN_JOURNEY_EVENTS * gapMs - (MEAN_JOURNEY_EVENTS - 1) * THINK_MS;
      const sessions = awayMs > SESSION_TIMEOUT_MS + 60_000;
      const device = people();
      const place = randomInt(people, PLACES.length);
      const shopper: Shopper = {
        index: i,
        domainUserId: randomUuid(people),
        useragent: device < 0.55 ? USER_AGENTS.desktop : device < 0.9 ? USER_AGENTS.phone : USER_AGENTS.tablet,
        thinkMs: sessions ? THINK_MS : gapMs,
        awayMs: sessions ? awayMs : 0,
        signInAfter: people() < this.o.signInShare ? 2 + randomInt(people, 6) : -1,
        userId: undefined,
        country: place,
        region: randomInt(people, (PLACES[place] as (typeof PLACES)[number]).regions.length),
        hasGeo: people() >= 0.03,
        lastEventMs: Number.NEGATIVE_INFINITY,
        sessionId: '',
        sessionIndex: 0,
        previousSessionId: null,
        firstEventId: '',
        firstEventTimeMs: 0,
        eventIndex: 0,
        pending: [],
        journeyLeft: 0,
        inJourney: false,
        pageUrl: HOME_URL,
        pageTitle: 'Tandem Shop',
        category: randomInt(people, CATEGORIES.length),
        lastProduct: -1,
        cart: new Map(),
        cartTotalMinor: 0,
        cartId: '',
        cartSeq: 0,
      };
      this.shoppers.push(shopper);
      // Spread first appearances over one typical cycle, so the stream starts in its steady state.
      const cycleMs = sessions ? MEAN_JOURNEY_EVENTS * gapMs : gapMs;
      this.due.push(people() * cycleMs, shopper);
    }
  }

  /** The next record of the stream. */
  next(): LoadRecord {
    const o = this.o;
    const t = o.startTimeMs + Math.floor((this.tick * 1000) / o.eventsPerSecond);
    this.tick++;
    if (this.late.peekKey() <= t) {
      const held = this.late.pop() as EventSpec;
      return this.remember(this.record({ ...held, collectorTimeMs: t + 150 }, 'late'));
    }
    const r = this.random();
    if (r < o.badShare) return this.badRecord(t);
    if (r < o.badShare + o.duplicateShare && this.recent.length > 0) {
      const original = this.recent[randomInt(this.random, this.recent.length)] as LoadRecord;
      return { ...original, kind: 'duplicate' };
    }
    for (;;) {
      const spec = this.journeyEvent(t);
      if (o.lateShare > 0 && this.random() < o.lateShare) {
        const delay = MIN_LATENESS_MS + this.random() * (o.maxLatenessMs - MIN_LATENESS_MS);
        this.late.push(t + Math.floor(delay), spec);
        continue;
      }
      return this.remember(this.record(spec, 'event'));
    }
  }

  private record(spec: EventSpec, kind: LoadRecordKind, value = encodeEnrichedLine(spec)): LoadRecord {
    return { key: spec.domainUserId, value, eventId: spec.eventId, eventTimeMs: spec.timeMs, kind, spec };
  }

  private remember(record: LoadRecord): LoadRecord {
    if (this.recent.length < RECENT) this.recent.push(record);
    else this.recent[randomInt(this.random, RECENT)] = record;
    return record;
  }

  private nextEventId(): string {
    return fastUuid(this.idBase + this.eventCounter++);
  }

  /** The next event of the shopper due next, at event time `t`. */
  private journeyEvent(t: number): EventSpec {
    const dueAt = this.due.peekKey();
    const shopper = this.due.pop() as Shopper;
    const random = this.random;
    const eventId = this.nextEventId();

    if (t - shopper.lastEventMs > SESSION_TIMEOUT_MS) {
      if (shopper.sessionId !== '') shopper.previousSessionId = shopper.sessionId;
      shopper.sessionId = randomUuid(random);
      shopper.sessionIndex++;
      shopper.firstEventId = eventId;
      shopper.firstEventTimeMs = t;
      shopper.eventIndex = 0;
      // A journey in progress goes on: the shopper came back to the same page in a new session.
    }
    shopper.eventIndex++;
    shopper.lastEventMs = t;
    if (!shopper.inJourney) this.startJourney(shopper);
    if (shopper.pending.length === 0) this.planNext(shopper);
    const next = shopper.pending.shift() as Step;
    shopper.journeyLeft--;

    if (shopper.userId === undefined && shopper.signInAfter >= 0 && shopper.eventIndex > shopper.signInAfter) {
      shopper.userId = `user-${shopper.domainUserId.slice(0, 8)}`;
    }
    if (shopper.hasGeo && random() < this.o.regionChangeShare) {
      const regions = (PLACES[shopper.country] as (typeof PLACES)[number]).regions;
      shopper.region = (shopper.region + 1 + randomInt(random, regions.length - 1)) % regions.length;
    }
    const place = PLACES[shopper.country] as (typeof PLACES)[number];
    // Every key written in one order (no spread), so all specs share one object shape.
    const spec: EventSpec = {
      type: next.type,
      products: next.products,
      cart: next.cart,
      listName: next.listName,
      step: next.step,
      transaction: next.transaction,
      promotion: next.promotion,
      searchTerms: next.searchTerms,
      pageUrl: next.pageUrl,
      pageTitle: next.pageTitle,
      mkt: next.mkt,
      eventId,
      timeMs: t,
      userId: shopper.userId,
      domainUserId: shopper.domainUserId,
      sessionId: shopper.sessionId,
      sessionIndex: shopper.sessionIndex,
      previousSessionId: shopper.previousSessionId,
      firstEventId: shopper.firstEventId,
      firstEventTimeMs: shopper.firstEventTimeMs,
      eventIndex: shopper.eventIndex,
      useragent: shopper.useragent,
      geo: shopper.hasGeo ? { country: place.country, region: place.regions[shopper.region] as string } : undefined,
    };

    const journeyOver = shopper.journeyLeft <= 0 && shopper.pending.length === 0;
    let gap: number;
    if (journeyOver) {
      shopper.inJourney = false;
      gap =
        shopper.awayMs > 0
          ? SESSION_TIMEOUT_MS + 60_000 + exponential(random, shopper.awayMs - SESSION_TIMEOUT_MS - 60_000)
          : exponential(random, shopper.thinkMs);
    } else {
      gap = exponential(random, shopper.thinkMs);
    }
    this.due.push(dueAt + gap, shopper);
    return spec;
  }

  private startJourney(s: Shopper): void {
    const random = this.random;
    s.inJourney = true;
    s.journeyLeft = 2 + randomInt(random, 2 * MEAN_JOURNEY_EVENTS - 3);
    const campaign = random() < this.o.campaignShare ? pick(random, CAMPAIGNS) : undefined;
    const landing = random();
    const withQuery = (url: string) =>
      campaign === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}${campaign.query}`;
    if (landing < 0.35) {
      this.goTo(s, withQuery(HOME_URL), 'Tandem Shop');
    } else if (landing < 0.65) {
      const category = CATEGORIES[randomInt(random, CATEGORIES.length)] as CatalogueCategory;
      s.category = category.index;
      this.goTo(s, withQuery(category.pageUrl), category.pageTitle);
      s.pending.push(step(s, 'list_view', { listName: category.name, products: this.listProducts(category) }));
    } else if (landing < 0.9) {
      const product = this.productOf(s.category);
      this.goTo(s, withQuery(product.pageUrl), product.pageTitle);
      s.pending.push(step(s, 'product_view', { products: [product.spec] }));
      s.lastProduct = product.index;
    } else {
      const category = CATEGORIES[s.category] as CatalogueCategory;
      const terms = pick(random, category.searchTerms);
      this.goTo(s, withQuery(searchUrl(terms)), 'Search | Tandem Shop');
      s.pending.push(step(s, 'site_search', { searchTerms: terms }));
    }
  }

  /** A page view that moves the shopper to `url`. */
  private goTo(s: Shopper, url: string, title: string): void {
    s.pageUrl = url;
    s.pageTitle = title;
    s.pending.push(step(s, 'page_view'));
  }

  private productOf(category: number): CatalogueProduct {
    const c = CATEGORIES[category] as CatalogueCategory;
    // Earlier products of a category are the popular ones.
    const j = Math.floor(c.products.length * this.random() ** 2);
    return PRODUCTS[c.products[j] as number] as CatalogueProduct;
  }

  private listProducts(category: CatalogueCategory): ProductSpec[] {
    const start = randomInt(this.random, category.products.length - 4);
    return category.products.slice(start, start + 4).map((i) => (PRODUCTS[i] as CatalogueProduct).spec);
  }

  private cartSpec(s: Shopper): EventSpec['cart'] {
    return { cart_id: s.cartId, total_value: s.cartTotalMinor / 100 };
  }

  /** Plans the shopper's next action (one or more events) from where it is. */
  private planNext(s: Shopper): void {
    const random = this.random;
    const here = (type: EventSpec['type'], extra: Partial<Step> = {}) => step(s, type, extra);
    const r = random() * 100;
    const hasCart = s.cart.size > 0;
    if (r < 18) {
      const category = CATEGORIES[
        random() < 0.6 ? s.category : randomInt(random, CATEGORIES.length)
      ] as CatalogueCategory;
      s.category = category.index;
      this.goTo(s, category.pageUrl, category.pageTitle);
      s.pending.push(step(s, 'list_view', { listName: category.name, products: this.listProducts(category) }));
    } else if (r < 40) {
      const category = CATEGORIES[s.category] as CatalogueCategory;
      const product = this.productOf(s.category);
      s.pending.push(here('list_click', { listName: category.name, products: [product.spec] }));
      this.goTo(s, product.pageUrl, product.pageTitle);
      s.pending.push(step(s, 'product_view', { products: [product.spec] }));
      s.lastProduct = product.index;
    } else if (r < 50) {
      const product = this.productOf(randomInt(random, CATEGORIES.length));
      s.category = product.category;
      this.goTo(s, product.pageUrl, product.pageTitle);
      s.pending.push(step(s, 'product_view', { products: [product.spec] }));
      s.lastProduct = product.index;
    } else if (r < 56) {
      const category = CATEGORIES[randomInt(random, CATEGORIES.length)] as CatalogueCategory;
      const terms = pick(random, category.searchTerms);
      s.category = category.index;
      this.goTo(s, searchUrl(terms), 'Search | Tandem Shop');
      s.pending.push(step(s, 'site_search', { searchTerms: terms }));
    } else if (r < 70 && s.lastProduct >= 0) {
      const product = PRODUCTS[s.lastProduct] as CatalogueProduct;
      const inCart = s.cart.get(product.index) ?? 0;
      const quantity = Math.min(random() < 0.85 ? 1 : 2, MAX_QUANTITY - inCart);
      if (quantity <= 0) {
        s.pending.push(here('page_ping'));
      } else {
        if (s.cart.size === 0) s.cartId = `cart-${s.domainUserId.slice(0, 8)}-${++s.cartSeq}`;
        s.cart.set(product.index, inCart + quantity);
        s.cartTotalMinor += quantity * product.priceMinor;
        s.pending.push(
          here('add_to_cart', { products: [product.withQuantity[quantity] as ProductSpec], cart: this.cartSpec(s) }),
        );
      }
    } else if (r < 74 && hasCart) {
      const lines = [...s.cart.keys()];
      const index = lines[randomInt(random, lines.length)] as number;
      const product = PRODUCTS[index] as CatalogueProduct;
      const quantity = s.cart.get(index) as number;
      s.cart.delete(index);
      s.cartTotalMinor -= quantity * product.priceMinor;
      s.pending.push(
        here('remove_from_cart', { products: [product.withQuantity[quantity] as ProductSpec], cart: this.cartSpec(s) }),
      );
    } else if (r < 80) {
      const picked = pick(random, PROMOTIONS);
      // The promotion entity (1-0-0, no additional properties) has no place for the catalogue's index.
      const promotion = { id: picked.id, name: picked.name };
      s.pending.push(here('promo_view', { promotion }));
      if (random() < 0.4) {
        s.pending.push(here('promo_click', { promotion }));
        const category = CATEGORIES[picked.category] as CatalogueCategory;
        s.category = category.index;
        this.goTo(s, category.pageUrl, category.pageTitle);
        s.pending.push(step(s, 'list_view', { listName: category.name, products: this.listProducts(category) }));
      }
    } else if (r < 92 && hasCart) {
      this.planCheckout(s);
    } else if (r < 96) {
      s.pending.push(here('page_ping'));
    } else {
      this.goTo(s, HOME_URL, 'Tandem Shop');
    }
    if (s.pending.length === 0) s.pending.push(here('page_ping'));
  }

  private planCheckout(s: Shopper): void {
    const random = this.random;
    this.goTo(s, CART_URL, 'Cart | Tandem Shop');
    // Abandonment: a third stop after a checkout step.
    const lastStep = random() < 0.33 ? 1 + randomInt(random, 3) : 4;
    for (let stepNumber = 1; stepNumber <= Math.min(lastStep, 3); stepNumber++) {
      const url = CHECKOUT_URLS[stepNumber - 1] as string;
      this.goTo(s, url, `Checkout ${stepNumber} | Tandem Shop`);
      s.pending.push(step(s, 'checkout_step', { step: stepNumber }));
    }
    if (lastStep < 4) {
      s.journeyLeft = Math.min(s.journeyLeft, 0);
      return;
    }
    const products: ProductSpec[] = [];
    for (const [index, quantity] of s.cart) {
      products.push((PRODUCTS[index] as CatalogueProduct).withQuantity[quantity] as ProductSpec);
    }
    const revenue = s.cartTotalMinor / 100;
    const transactionId = `T-${(this.idBase / 2 ** 32).toString(16).padStart(4, '0')}-${++this.transactionCounter}`;
    this.goTo(s, CONFIRMATION_URL, 'Thank you | Tandem Shop');
    s.pending.push(step(s, 'transaction', { products, transaction: { transaction_id: transactionId, revenue } }));
    s.cart.clear();
    s.cartTotalMinor = 0;
    // A purchase usually ends the visit.
    if (random() < 0.8) s.journeyLeft = Math.min(s.journeyLeft, 0);
  }

  /** An extra bad line for a shopper, built from a fresh spec (the journey is not touched). */
  private badRecord(t: number): LoadRecord {
    const random = this.random;
    const shopper = this.shoppers[randomInt(random, this.shoppers.length)] as Shopper;
    const product = PRODUCTS[randomInt(random, PRODUCTS.length)] as CatalogueProduct;
    const base: EventSpec = {
      eventId: this.nextEventId(),
      timeMs: t,
      userId: shopper.userId,
      domainUserId: shopper.domainUserId,
      sessionId: shopper.sessionId === '' ? randomUuid(random) : shopper.sessionId,
      type: 'add_to_cart',
      products: [product.withQuantity[1] as ProductSpec],
      pageUrl: product.pageUrl,
      pageTitle: product.pageTitle,
      mkt: NO_MKT,
      useragent: shopper.useragent,
    };
    const kind = pick(random, BAD_KINDS);
    if (kind === 'bad_missing_cart') return this.record(base, kind);
    const spec: EventSpec = { ...base, cart: { total_value: product.priceMinor / 100 } };
    const line = encodeEnrichedLine(spec);
    if (kind === 'bad_field_count') return this.record(spec, kind, `${line}\tunexpected`);
    // Cut before the last tab, so at least one field is missing.
    const cut = Math.floor(line.lastIndexOf('\t') * (0.1 + 0.9 * random()));
    return this.record(spec, kind, line.slice(0, cut));
  }
}

/**
 * An endless stream of records for `options` (see the module comment). Take what you need: each
 * `next()` costs one record; nothing is buffered beyond late events and 256 recent records.
 */
export function* shopperEvents(options: ShopperLoadOptions = {}): Generator<LoadRecord, never, undefined> {
  const simulation = new ShopperSimulation(options);
  for (;;) yield simulation.next();
}

/** Exactly `count` records: the first `count` of `shopperEvents(options)`. */
export function generateEvents(count: number, options: ShopperLoadOptions = {}): LoadRecord[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
  const simulation = new ShopperSimulation(options);
  const records: LoadRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = simulation.next();
  return records;
}

/**
 * The records of `durationMs` of event time at `eventsPerSecond`, from `options.startTimeMs`:
 * exactly `round(durationMs / 1000 × eventsPerSecond)` records, sent at times in
 * [startTimeMs, startTimeMs + durationMs). Late events still held back at the end are not sent.
 */
export function generateEventsOverSpan(
  durationMs: number,
  eventsPerSecond: number,
  options: Omit<ShopperLoadOptions, 'eventsPerSecond'> = {},
): LoadRecord[] {
  if (!(durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${durationMs}`);
  return generateEvents(Math.round((durationMs / 1000) * eventsPerSecond), { ...options, eventsPerSecond });
}
