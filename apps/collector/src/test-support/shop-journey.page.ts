/**
 * The page script of src/browser-roundtrip.test.ts, bundled with esbuild and run in Chromium: the real
 * Snowplow browser tracker and ecommerce plugin, as the store uses them, track one shopper's journey
 * through a shop (a single-page app: routes change with setCustomUrl) and send it to the collector.
 * `globalThis.tandemJourney.run(collectorUrl)` resolves, once the collector has answered every request,
 * with the payload of every tracked event as the tracker's afterTrack hook saw it (what the store's
 * Web Worker receives). This workspace's TypeScript has no DOM lib: browser globals come through
 * `globalThis`.
 */
import {
  SnowplowEcommercePlugin,
  trackAddToCart,
  trackCheckoutStep,
  trackProductListView,
  trackProductView,
  trackRemoveFromCart,
  trackTransaction,
} from '@snowplow/browser-plugin-snowplow-ecommerce';
import {
  addPlugin,
  flushBuffer,
  newTracker,
  setCustomUrl,
  setReferrerUrl,
  setUserId,
  trackPageView,
  trackSelfDescribingEvent,
} from '@snowplow/browser-tracker';

export interface JourneyResult {
  /** Every tracked event's payload (all values strings), in tracking order. */
  readonly payloads: Record<string, string>[];
  /** How many events the collector answered 2xx for. */
  readonly sent: number;
  readonly userAgent: string;
  readonly pageOrigin: string;
}

export interface JourneyGlobal {
  tandemJourney: { run(collectorUrl: string): Promise<JourneyResult> };
}

/** Events go out in POSTs of this many; the last, partial batch goes out with flushBuffer(). */
const BUFFER_SIZE = 4;

interface BrowserGlobals {
  location: { origin: string; href: string };
  navigator: { userAgent: string };
}

const USD = 'USD';
const BOOTS = {
  id: 'sku-2',
  name: 'Trail boots',
  category: 'Shoes/Boots',
  price: 189.99,
  currency: USD,
  brand: 'Tandem',
};
const SOCKS = { id: 'sku-3', name: 'Wool socks', category: 'Accessories', price: 12.5, currency: USD };
const RUNNERS = { id: 'sku-1', name: 'Road runners', category: 'Shoes/Running', price: 120, currency: USD };

async function run(collectorUrl: string): Promise<JourneyResult> {
  const { location, navigator } = globalThis as unknown as BrowserGlobals;
  const payloads: Record<string, string>[] = [];
  let sent = 0;
  let failure: string | null = null;
  const tracker = newTracker('sp-browser-test', collectorUrl, {
    appId: 'tandem-store',
    platform: 'web',
    plugins: [SnowplowEcommercePlugin()],
    contexts: { session: true, webPage: true, browser: true },
    eventMethod: 'post',
    bufferSize: BUFFER_SIZE,
    onRequestSuccess: (batch) => {
      sent += batch.length;
    },
    onRequestFailure: (data) => {
      failure = `the collector refused a batch of ${data.events.length}: ${JSON.stringify(data.status ?? data.message)}`;
    },
  });
  if (tracker === null) throw new Error('newTracker returned null');
  // The seam the store uses: every tracked event's finished payload, as the worker receives it.
  addPlugin({ plugin: { afterTrack: (payload) => payloads.push(payload as Record<string, string>) } });

  // True timestamps: the moments the shopper acted, 1.5 s apart, ending now.
  const steps = 14;
  const start = Date.now() - steps * 1_500;
  let step = 0;
  const at = () => ({ type: 'ttm' as const, value: start + step++ * 1_500 });
  // A route change of the single-page shop: the previous route becomes the referrer.
  let currentUrl = location.href;
  const route = (path: string, title: string) => {
    setReferrerUrl(currentUrl);
    currentUrl = new URL(path, location.origin).href;
    setCustomUrl(currentUrl);
    trackPageView({ title, timestamp: at() });
  };

  trackPageView({ title: 'Tandem shop', timestamp: at() }); // the landing page, with its utm_* parameters
  route('/c/shoes', 'Shoes');
  trackProductListView({ name: 'category:shoes', products: [RUNNERS, BOOTS], timestamp: at() });
  route('/p/sku-2', 'Trail boots');
  trackProductView({ ...BOOTS, timestamp: at() });
  trackAddToCart({
    products: [{ ...BOOTS, quantity: 1 }],
    total_value: 189.99,
    currency: USD,
    cart_id: 'cart-1',
    timestamp: at(),
  });
  route('/p/sku-3', 'Wool socks');
  trackProductView({ ...SOCKS, timestamp: at() });
  trackAddToCart({
    products: [{ ...SOCKS, quantity: 2 }],
    total_value: 214.99,
    currency: USD,
    cart_id: 'cart-1',
    timestamp: at(),
  });
  trackRemoveFromCart({
    products: [{ ...SOCKS, quantity: 1 }],
    total_value: 202.49,
    currency: USD,
    cart_id: 'cart-1',
    timestamp: at(),
  });
  setUserId('shopper-42@example.com');
  route('/checkout', 'Checkout');
  trackCheckoutStep({ step: 1, delivery_method: 'standard', timestamp: at() });
  trackTransaction({
    transaction_id: 'order-1001',
    revenue: 202.49,
    currency: USD,
    payment_method: 'card',
    total_quantity: 2,
    products: [
      { ...BOOTS, quantity: 1 },
      { ...SOCKS, quantity: 1 },
    ],
    timestamp: at(),
  });
  route('/search?q=trail+running+shoes', 'Search: trail running shoes');
  trackSelfDescribingEvent({
    event: {
      schema: 'iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0',
      data: { terms: ['trail', 'running', 'shoes'], filters: { category: 'Shoes' }, totalResults: 2, pageResults: 2 },
    },
    timestamp: at(),
  });
  flushBuffer();

  const deadline = Date.now() + 15_000;
  while (sent < payloads.length && failure === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (failure !== null) throw new Error(failure);
  return { payloads, sent, userAgent: navigator.userAgent, pageOrigin: location.origin };
}

(globalThis as unknown as JourneyGlobal).tandemJourney = { run };
