/**
 * A naive reference model of every feature, written straight from FEATURES.md: it keeps the raw
 * events and recomputes each value from the set of events in the window at the evaluation time.
 * Property tests compare the tiled, incremental engine against it. Slow on purpose: obviously right.
 * All prices are in the base currency (USD).
 */
import { canonicalJson, formatHundredths } from '../canonical.js';
import type { ShopperEvent } from '../event.js';

const WINDOWS = [
  { id: '5m', tileMs: 10_000, tiles: 30 },
  { id: '1h', tileMs: 60_000, tiles: 60 },
  { id: '24h', tileMs: 900_000, tiles: 96 },
];

function inWindow(eventMs: number, atMs: number, tileMs: number, tiles: number): boolean {
  const tile = Math.floor(eventMs / tileMs);
  const now = Math.floor(atMs / tileMs);
  return tile <= now && tile > now - tiles;
}

/** (time, event id) order. */
function byOrder(a: ShopperEvent, b: ShopperEvent): number {
  if (a.eventTimeMs !== b.eventTimeMs) return a.eventTimeMs - b.eventTimeMs;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/** Exact half-even rounding of a / b with BigInt, independent of the engine's helper. */
function halfEven(a: number, b: number): number {
  const A = BigInt(a);
  const B = BigInt(b);
  const q = A / B;
  const r = A % B;
  if (r * 2n > B) return Number(q + 1n);
  if (r * 2n < B) return Number(q);
  return Number(q % 2n === 0n ? q : q + 1n);
}

function unique(events: readonly ShopperEvent[]): ShopperEvent[] {
  const seen = new Map<string, ShopperEvent>();
  for (const e of events) if (!seen.has(e.eventId)) seen.set(e.eventId, e);
  return [...seen.values()].sort(byOrder);
}

function userValues(events: readonly ShopperEvent[], userKey: string, atMs: number): Record<string, string> {
  const out: Record<string, string> = {};
  const mine = unique(events).filter((e) => e.userKey === userKey);
  for (const w of WINDOWS) {
    const put = (name: string, value: string | null) => {
      if (value !== null) out[`${name}_${w.id}`] = value;
    };
    const inW = mine.filter((e) => inWindow(e.eventTimeMs, atMs, w.tileMs, w.tiles));
    const views = inW.filter((e) => e.type === 'product_view' && e.products.length > 0);
    const byProduct = new Map<string, ShopperEvent[]>();
    for (const e of views) {
      const id = (e.products[0] as { id: string }).id;
      byProduct.set(id, [...(byProduct.get(id) ?? []), e]);
    }
    const count = (n: number) => (n === 0 ? null : String(n));
    put('product_view_count', count(byProduct.size));
    if (byProduct.size > 0) {
      let sum = 0;
      for (const list of byProduct.values()) sum += (list[0] as ShopperEvent).products[0]?.priceMinor ?? 0;
      put('avg_viewed_price', formatHundredths(halfEven(sum, byProduct.size)));
      const counts: Record<string, number> = {};
      for (const [id, list] of byProduct) counts[id] = list.length;
      put('return_view_count', canonicalJson(counts));
      const prices = views.map((e) => e.products[0]?.priceMinor ?? 0);
      put('price_range_viewed', `${formatHundredths(Math.min(...prices))}-${formatHundredths(Math.max(...prices))}`);
    }
    put('product_view_total', count(views.length));
    const categoryEvents: { category: string; e: ShopperEvent }[] = [];
    for (const e of inW) {
      if (e.type === 'list_view' && e.listName !== null) categoryEvents.push({ category: e.listName, e });
      if (e.type === 'product_view' && e.products[0]) categoryEvents.push({ category: e.products[0].category, e });
    }
    const categories = new Map<string, { n: number; latest: ShopperEvent }>();
    for (const { category, e } of categoryEvents) {
      const c = categories.get(category);
      if (c === undefined) categories.set(category, { n: 1, latest: e });
      else categories.set(category, { n: c.n + 1, latest: byOrder(e, c.latest) > 0 ? e : c.latest });
    }
    if (categories.size > 0) {
      const sorted = [...categories].sort((a, b) => b[1].n - a[1].n || byOrder(b[1].latest, a[1].latest));
      put('top_category', (sorted[0] as [string, unknown])[0]);
      const counts: Record<string, number> = {};
      for (const [name, c] of categories) counts[name] = c.n;
      put('category_view_count', canonicalJson(counts));
    }
    put('unique_categories', count(categories.size));
    // most_viewed_brand: every view with a non-empty brand counts; the most views win, a tie goes to
    // the brand whose latest view is latest by (time, event id).
    const brands = new Map<string, { n: number; latest: ShopperEvent }>();
    for (const e of views) {
      const brand = e.products[0]?.brand;
      if (!brand) continue;
      const b = brands.get(brand);
      brands.set(
        brand,
        b === undefined ? { n: 1, latest: e } : { n: b.n + 1, latest: byOrder(e, b.latest) > 0 ? e : b.latest },
      );
    }
    if (brands.size > 0) {
      const sorted = [...brands].sort((a, b) => b[1].n - a[1].n || byOrder(b[1].latest, a[1].latest));
      put('most_viewed_brand', (sorted[0] as [string, unknown])[0]);
    }
    const adds = inW.filter((e) => e.type === 'add_to_cart').length;
    const removes = inW.filter((e) => e.type === 'remove_from_cart').length;
    put('cart_add_count', count(adds));
    put('cart_remove_count', count(removes));
    put('cart_update_frequency', count(adds + removes));
    const cartOrTxn = inW.filter(
      (e) =>
        ((e.type === 'add_to_cart' || e.type === 'remove_from_cart') && e.cart !== null) || e.type === 'transaction',
    );
    const latest = cartOrTxn[cartOrTxn.length - 1];
    if (latest !== undefined && latest.type !== 'transaction' && latest.cart !== null) {
      put('cart_value', formatHundredths(latest.cart.totalValueMinor));
    }
    const orders = new Map<string, ShopperEvent>();
    for (const e of inW) {
      if (e.type === 'transaction' && e.transaction && !orders.has(e.transaction.transactionId)) {
        orders.set(e.transaction.transactionId, e);
      }
    }
    put('orders_count', count(orders.size));
    if (orders.size > 0) {
      const total = [...orders.values()].reduce((s, e) => s + (e.transaction?.revenueMinor ?? 0), 0);
      put('order_value', formatHundredths(total));
      put('avg_order_value', formatHundredths(halfEven(total, orders.size)));
    }
    if (w.id === '24h') {
      const cartEvents = inW.filter((e) => e.type === 'add_to_cart' || e.type === 'remove_from_cart');
      const last = cartEvents[cartEvents.length - 1];
      if (last !== undefined) out.last_cart_activity_at = String(Math.max(...cartEvents.map((e) => e.eventTimeMs)));
    }
  }
  return out;
}

function sessionValues(events: readonly ShopperEvent[], sessionKey: string, atMs: number): Record<string, string> {
  const mine = unique(events).filter((e) => e.sessionKey === sessionKey);
  const out: Record<string, string> = {};
  if (mine.length === 0) return out;
  const first = mine[0] as ShopperEvent;
  const last = mine[mine.length - 1] as ShopperEvent;
  // Session keys expire 24 h after the session's last event.
  if (atMs >= last.eventTimeMs + 24 * 60 * 60_000) return out;
  out.session_duration = String(last.eventTimeMs - first.eventTimeMs);
  const pages = mine.filter((e) => e.type === 'page_view');
  if (pages.length > 0) out.session_page_count = String(pages.length);
  out.session_bounce = pages.length < 2 ? 'true' : 'false';
  const withCampaign = mine.find((e) => (e.marketing?.campaign ?? '') !== '');
  if (withCampaign?.marketing?.campaign) out.session_marketing_campaign = withCampaign.marketing.campaign;
  const views = mine.filter((e) => e.type === 'product_view').length;
  const adds = mine.filter((e) => e.type === 'add_to_cart').length;
  if (views > 0) out.session_cart_ratio = formatHundredths(halfEven(adds * 100, views));
  const searches = pages.filter((e) => e.pageUrl?.includes('/search?q=')).length;
  if (searches > 0) out.session_search_count = String(searches);
  const devices = [...new Set(mine.flatMap((e) => (e.deviceClass ? [e.deviceClass] : [])))];
  if (devices.length > 0) out.shopper_device_types = canonicalJson(devices);
  const withPlatform = mine.filter((e) => e.platform !== null);
  const lastPlatform = withPlatform[withPlatform.length - 1];
  if (lastPlatform?.platform) out.shopper_latest_platform = lastPlatform.platform;
  const geo = mine.flatMap((e) => (e.geo ? [`${e.geo.country}/${e.geo.region}`] : []));
  if (geo.length > 0) out.shopper_locations = canonicalJson([...new Set(geo)]);
  let changes = 0;
  for (let i = 1; i < geo.length; i++) if (geo[i] !== geo[i - 1]) changes++;
  if (changes > 0) out.shopper_region_changes = String(changes);
  // Brute force on purpose: for each event, the events in the 10 s starting at it.
  const times = mine.filter((e) => e.type !== 'feature_digest').map((e) => e.eventTimeMs);
  const peak = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 10_000).length));
  if (peak > 0) out.session_peak_events_10s = String(peak);
  return out;
}

/** Every non-empty Redis string key and value, as the engine's `keyValuesAt` returns them. */
export function referenceKeyValues(events: readonly ShopperEvent[], atMs: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const user of new Set(events.map((e) => e.userKey))) {
    for (const [field, value] of Object.entries(userValues(events, user, atMs))) out[`user:${user}:${field}`] = value;
  }
  for (const session of new Set(events.flatMap((e) => (e.sessionKey === null ? [] : [e.sessionKey])))) {
    for (const [field, value] of Object.entries(sessionValues(events, session, atMs))) {
      out[`session:${session}:${field}`] = value;
    }
  }
  return out;
}
