/**
 * What client digests cost on the wire (docs/feature-core.md, "Client digests"): the bytes of a
 * realistic digest as the tracker sends it, and digests per event over a typical journey with the
 * default 5 s quiet period. The journey runs through the real pieces: the worker's feature state
 * (`takeDigest`), the page's scheduler on fake timers, and Snowplow's tracker core (the isomorphic
 * core the browser tracker is built on) to encode the event. Prints its figures:
 *
 *   npx vitest run --project store apps/store/src/tracking/digest-cost.test.ts
 */
import { buildSelfDescribingEvent, newTracker, type Payload } from '@snowplow/node-tracker';
import { FEATURE_DIGEST_SCHEMA_URI, type FeatureDigest } from '@tandem/feature-core';
import type { EventSpec } from '@tandem/feature-core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFeatureState } from '../features/feature-state.js';
import { payload } from '../features/test-payloads.js';
import { createDigestScheduler } from './digests.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const QUIET_MS = 5_000;

const product = (id: string, price: number) => ({ id, category: 'Shoes', price, currency: 'EUR', name: `Shoe ${id}` });
const page = (path: string): Partial<EventSpec> => ({ pageUrl: `https://shop.example.com${path}` });
const cart = (total: number) => ({ total_value: total, currency: 'EUR', cart_id: 'cart-1' });

/**
 * One visit from the home page to an order, as the shop tracks it: a page view and its list or
 * product event arrive together, then the shopper reads (dwell times from 4 s to 40 s).
 * `[ms since the previous event, type, spec]`; 23 events.
 */
const JOURNEY: readonly [number, EventSpec['type'], Partial<EventSpec>][] = [
  [0, 'page_view', page('/')],
  [300, 'list_view', { listName: 'home', products: [product('sku-1', 80), product('sku-2', 120)] }],
  [12_000, 'list_click', { listName: 'home', products: [product('sku-1', 80)] }],
  [400, 'page_view', page('/p/sku-1')],
  [200, 'product_view', { products: [product('sku-1', 80)] }],
  [35_000, 'add_to_cart', { products: [product('sku-1', 80)], cart: cart(80) }],
  [4_000, 'page_view', page('/c/shoes')],
  [300, 'list_view', { listName: 'shoes', products: [product('sku-2', 120), product('sku-3', 60)] }],
  [9_000, 'list_click', { listName: 'shoes', products: [product('sku-2', 120)] }],
  [400, 'page_view', page('/p/sku-2')],
  [200, 'product_view', { products: [product('sku-2', 120)] }],
  [20_000, 'site_search', { searchTerms: ['trail', 'runner'] }],
  [500, 'page_view', page('/search?q=trail+runner')],
  [300, 'list_view', { listName: 'search', products: [product('sku-3', 60)] }],
  [7_000, 'list_click', { listName: 'search', products: [product('sku-3', 60)] }],
  [400, 'page_view', page('/p/sku-3')],
  [200, 'product_view', { products: [product('sku-3', 60)] }],
  [28_000, 'add_to_cart', { products: [product('sku-3', 60)], cart: cart(140) }],
  [3_000, 'page_view', page('/cart')],
  [15_000, 'checkout_step', { step: 1 }],
  [40_000, 'checkout_step', { step: 2 }],
  [
    30_000,
    'transaction',
    {
      transaction: { transaction_id: 'order-1', revenue: 140, currency: 'EUR' },
      products: [product('sku-1', 80), product('sku-3', 60)],
    },
  ],
  [500, 'page_view', page('/order/order-1')],
];

/** The payload Snowplow's tracker core builds for a digest event, with base64 on or off. */
function trackerPayloadOf(digest: FeatureDigest, encodeBase64: boolean): Payload {
  const built: Payload[] = [];
  const tracker = newTracker(
    { namespace: 'measure', appId: 'tandem-store', encodeBase64 },
    {
      customEmitter: () => ({
        input: async (p: Payload) => {
          built.push(p);
        },
        flush: async () => {},
        setCollectorUrl: () => {},
        setAnonymousTracking: () => {},
        setBufferSize: () => {},
      }),
    },
  );
  tracker.track(buildSelfDescribingEvent({ event: { schema: FEATURE_DIGEST_SCHEMA_URI, data: { ...digest } } }));
  const [only] = built;
  if (only === undefined) throw new Error('the tracker built nothing');
  return only;
}

const bytes = (text: unknown) => new TextEncoder().encode(String(text)).length;

afterEach(() => {
  vi.useRealTimers();
});

describe('client digests on the wire', () => {
  it('cost under 2 KB each (ue_pr) and under half a digest per event on a typical journey (5 s quiet)', async () => {
    vi.useFakeTimers({ now: T0 });
    const state = createFeatureState({ now: () => Date.now() });
    const sent: FeatureDigest[] = [];
    const digests = createDigestScheduler({
      quietMs: QUIET_MS,
      take: async () => state.takeDigest(),
      send: (digest) => sent.push(digest),
    });
    for (const [gapMs, type, spec] of JOURNEY) {
      await vi.advanceTimersByTimeAsync(gapMs);
      expect(state.ingest(payload(type, Date.now(), spec)).ok).toBe(true);
      digests.eventTracked();
    }
    await vi.advanceTimersByTimeAsync(20_000);
    digests.flush(); // the shopper leaves: page hidden, nothing new to report
    await vi.advanceTimersByTimeAsync(0);

    const last = sent.at(-1);
    if (last === undefined) throw new Error('no digest sent');
    expect(last.n).toBe(JOURNEY.length);
    const plain = trackerPayloadOf(last, false);
    const base64 = trackerPayloadOf(last, true);
    const figures = {
      events: JOURNEY.length,
      digests: sent.length,
      digestsPerEvent: Number((sent.length / JOURNEY.length).toFixed(2)),
      fields: Object.keys(last.f).length,
      digestJsonBytes: bytes(JSON.stringify(last)),
      uePrBytes: bytes(plain.ue_pr),
      uePxBytes: bytes(base64.ue_px),
      eventJsonBytes: bytes(JSON.stringify(plain)),
      largestUePrBytes: Math.max(...sent.map((digest) => bytes(trackerPayloadOf(digest, false).ue_pr))),
    };
    console.log('[digest cost]', JSON.stringify(figures));
    // One digest per pause of 5 s or more (10 in this journey), none on leaving: nothing changed.
    expect(sent).toHaveLength(10);
    expect(figures.fields).toBeGreaterThanOrEqual(40);
    expect(figures.uePrBytes).toBeLessThanOrEqual(2_048);
    expect(figures.uePxBytes).toBeLessThanOrEqual(Math.ceil((figures.uePrBytes * 4) / 3) + 4);
  });
});
