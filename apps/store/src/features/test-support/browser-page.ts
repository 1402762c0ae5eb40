/**
 * The page script of src/features/browser.test.ts, bundled with esbuild (ESM) and run in Chromium:
 * the store's real tracking layer (Snowplow tracker + ecommerce plugin + feed plugin) with the real
 * feature worker as its sink. The worker is started by client.ts's default spawner,
 * `new URL('./feature.worker.ts', import.meta.url)`, which the test server answers with the bundled
 * worker. `globalThis.tandemPage` is what the test drives.
 */
import type { ShopTracking } from '../../tracking/shop-tracking.js';
import { createShopTracking, type SentPayload } from '../../tracking/tracker.js';
import { connectFeatures, type FeatureClient, type WorkerKind } from '../client.js';
import type { FeatureSnapshot } from '../feature-state.js';
import type { BenchmarkResult } from '../service.js';

export interface PageDriver {
  start(collectorUrl: string, kind?: WorkerKind): WorkerKind;
  productView(id: string, price: number): void;
  pageView(title: string): void;
  /** The latest snapshot the worker pushed to this tab. */
  latest(): FeatureSnapshot | null;
  /** Every payload the tracker handed to the sink, in order. */
  sunk(): SentPayload[];
  recentEvents(): Promise<readonly SentPayload[]>;
  portCount(): Promise<number>;
  /** `count` events made from this tab's sunk payloads (new eid and times), through the worker's ingest path. */
  benchmark(count: number): Promise<BenchmarkResult>;
}

let client: FeatureClient | null = null;
let tracking: ShopTracking | null = null;
const sunk: SentPayload[] = [];

function need<T>(value: T | null): T {
  if (value === null) throw new Error('call start() first');
  return value;
}

const driver: PageDriver = {
  start(collectorUrl, kind) {
    client = connectFeatures({ ...(kind === undefined ? {} : { kind }), onError: (e) => console.error(e) });
    const features = need(client);
    tracking = createShopTracking(
      {
        collectorUrl,
        appId: 'tandem-store',
        userId: null,
        enabled: true,
        // No digest scheduler here (it lives in the React layer); the settings only complete the config.
        digests: { enabled: false, quietMs: 5_000 },
        rebaseEveryMs: 60_000,
      },
      (payload) => {
        sunk.push(payload);
        features.ingest(payload);
      },
      { onError: (e) => console.error(e) },
    );
    return features.kind;
  },
  productView(id, price) {
    need(tracking).productView({
      id,
      name: `Product ${id}`,
      category: 'Shoes',
      brand: 'Tandem',
      price,
      currency: 'EUR',
    });
  },
  pageView(title) {
    need(tracking).pageView(title);
  },
  latest: () => need(client).latest(),
  sunk: () => sunk,
  recentEvents: () => need(client).recentEvents(),
  portCount: () => need(client).portCount(),
  benchmark(count) {
    if (sunk.length === 0) throw new Error('track something first');
    const start = Date.now() - 4 * 60_000;
    const payloads: SentPayload[] = [];
    for (let i = 0; i < count; i++) {
      const template = sunk[i % sunk.length] as SentPayload;
      const timeMs = String(start + Math.floor((i * 4 * 60_000) / count));
      payloads.push({ ...template, eid: crypto.randomUUID(), dtm: timeMs, ttm: timeMs });
    }
    return need(client).benchmark(payloads);
  },
};

(globalThis as unknown as { tandemPage: PageDriver }).tandemPage = driver;
