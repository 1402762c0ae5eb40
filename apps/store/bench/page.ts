/**
 * The page script of bench/browser.ts, bundled with esbuild and run in headless Chromium: the store's
 * real tracking layer (Snowplow browser tracker + ecommerce plugin + feed plugin) feeding the real
 * feature worker (client.ts's default spawner, SharedWorker by default). `globalThis.tandemBench` is
 * what the bench drives. Every timing is taken here, in the tab, with `performance.now()` (marks and
 * measures named `tandem:*` are left for a DevTools trace too).
 */
import { connectFeatures, type FeatureClient, type WorkerKind } from '../src/features/client.js';
import type { FeatureSnapshot } from '../src/features/feature-state.js';
import type { BenchmarkResult } from '../src/features/service.js';
import type { CartLine, ProductRef, ShopTracking } from '../src/tracking/shop-tracking.js';
import { createShopTracking, type SentPayload } from '../src/tracking/tracker.js';
import { ACTION_CYCLE, makeBenchPayloads } from './payloads.js';

/** One tracked event of the latency run; times in ms of the tab's `performance.now()`. */
export interface LatencySample {
  readonly action: string;
  /** Right before the `track*()` call. */
  readonly t0: number;
  /** The feed plugin's sink got the finished payload (the tracker built it and queued the beacon). */
  readonly sink: number;
  /** `features.ingest(payload)` returned (comlink posted it to the worker). */
  readonly posted: number;
  /** The `track*()` call returned. */
  readonly returned: number;
  /** The tab received the worker's snapshot whose `lastEventId` is this event's eid (NaN: none within the timeout). */
  readonly snapshot: number;
  /** The next requestAnimationFrame callback after that snapshot (the frame that shows it). */
  readonly frame: number;
  /** That frame's time stamp (the rAF argument), and that of the first frame after the call: equal when the offer made the first frame. */
  readonly frameStamp: number;
  readonly firstFrameStamp: number;
  /** Offers in that snapshot. */
  readonly offers: number;
}

export interface LongTaskReport {
  readonly events: number;
  readonly burstEvents: number;
  readonly durationMs: number;
  readonly snapshots: number;
  readonly longTasks: readonly { readonly startTime: number; readonly duration: number }[];
  /** Longest single `track*()` call of the session (ms). */
  readonly longestTrackCallMs: number;
}

export interface BaselineResult {
  readonly events: number;
  readonly totalMs: number;
  readonly perEventUs: number;
  readonly checksum: number;
}

export interface BenchPage {
  start(
    collectorUrl: string,
    kind?: WorkerKind,
  ): Promise<{ kind: WorkerKind; isolated: boolean; resolutionMs: number }>;
  /** Tracks `count` events one at a time (each waits for its snapshot and frame), with a pause of `gapMs` between them. */
  latency(count: number, gapMs: readonly [number, number]): Promise<LatencySample[]>;
  /** `count` comlink round trips to the worker that do no work (`portCount()`), one at a time: ms each. */
  ping(count: number): Promise<number[]>;
  /** `paced` events at a human-ish pace, then `burst` back to back (one task each); long tasks observed. */
  session(paced: number, burst: number, gapMs: readonly [number, number]): Promise<LongTaskReport>;
  /** The payloads the tracker handed to the sink so far (templates for the T6 events). */
  sunk(): readonly SentPayload[];
  /** Makes `count` T6 events from the sunk payloads (fresh eids and times) for the next two calls. */
  prepare(count: number): number;
  /** Runs the prepared events through the worker's ingest path (its `benchmark()` API). */
  workerBenchmark(): Promise<BenchmarkResult>;
  /** Runs the prepared events through the baseline worker: the same loop doing only the JSON decode. */
  baselineBenchmark(): Promise<BaselineResult>;
}

const CATEGORIES = ['Shoes', 'Bags', 'Hats', 'Coats', 'Socks'];
const PRODUCTS: ProductRef[] = Array.from({ length: 30 }, (_, i) => ({
  id: `sku-${i}`,
  name: `Product ${i}`,
  category: CATEGORIES[i % CATEGORIES.length] as string,
  brand: 'Tandem',
  price: 10 + ((i * 37) % 190),
  currency: 'EUR',
}));

let client: FeatureClient | null = null;
let tracking: ShopTracking | null = null;
const sunk: SentPayload[] = [];
let actionIndex = 0;
let orders = 0;
let cartLines: CartLine[] = [];
let snapshots = 0;
const offerBox = document.createElement('p');

/** What the sink reports for the event being measured. */
let current: { sink: number; posted: number; eid: string | null } | null = null;
/** Resolved by the snapshot listener when the awaited eid arrives. */
let awaiting: { eid: string; resolve: (at: number, snapshot: FeatureSnapshot) => void } | null = null;

function need<T>(value: T | null): T {
  if (value === null) throw new Error('call start() first');
  return value;
}

function product(n: number): ProductRef {
  return PRODUCTS[n % PRODUCTS.length] as ProductRef;
}

function cartOf(lines: readonly CartLine[]) {
  return {
    cartId: 'cart-bench',
    totalValue: Math.round(lines.reduce((sum, l) => sum + l.price * l.quantity, 0) * 100) / 100,
    currency: 'EUR',
    lines,
  };
}

/** Performs the next shop action of the cycle through the real ShopTracking; returns its name. */
function trackNext(): string {
  const t = need(tracking);
  const i = actionIndex++;
  const action = ACTION_CYCLE[i % ACTION_CYCLE.length] as string;
  const p = product(i * 7);
  switch (action) {
    case 'pageView':
      t.pageView(`${p.category} | Tandem`);
      break;
    case 'listView':
      t.listView(
        p.category,
        Array.from({ length: 6 }, (_, k) => ({ ...product(i + k * 5), position: k + 1 })),
      );
      break;
    case 'listClick':
      t.listClick(p.category, { ...p, position: 2 });
      break;
    case 'productView':
      t.productView(p);
      break;
    case 'addToCart': {
      const line = { ...p, quantity: 1 };
      cartLines = [...cartLines, line];
      t.addToCart(line, cartOf(cartLines));
      break;
    }
    case 'removeFromCart': {
      const line = cartLines[0] ?? { ...p, quantity: 1 };
      cartLines = cartLines.slice(1);
      t.removeFromCart(line, cartOf(cartLines));
      break;
    }
    case 'checkoutStep':
      t.checkoutStep(1 + (i % 3), cartOf(cartLines), i % 2 === 0 ? { deliveryMethod: 'standard' } : {});
      break;
    case 'promoView':
      t.promoView({ id: 'promo-spring', name: 'Spring sale', slot: 'hero' });
      break;
    case 'siteSearch':
      t.siteSearch(['red', 'shoes'], 12);
      break;
    default: {
      const lines = cartLines.length > 0 ? cartLines : [{ ...p, quantity: 1 }];
      const cart = cartOf(lines);
      t.transaction({
        orderId: `order-${++orders}`,
        revenue: cart.totalValue,
        currency: 'EUR',
        paymentMethod: 'card',
        totalQuantity: lines.length,
        lines,
      });
      cartLines = [];
    }
  }
  return action;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextFrame = () =>
  new Promise<{ at: number; stamp: number }>((resolve) =>
    requestAnimationFrame((stamp) => resolve({ at: performance.now(), stamp })),
  );
const between = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);

/** A task of its own with no delay (setTimeout clamps nested timers to 4 ms). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The smallest non-zero step of `performance.now()` seen in a busy loop (the timer resolution). */
function timerResolution(): number {
  let smallest = Number.POSITIVE_INFINITY;
  let last = performance.now();
  for (let i = 0; i < 200_000; i++) {
    const t = performance.now();
    if (t > last) {
      smallest = Math.min(smallest, t - last);
      last = t;
    }
  }
  return smallest;
}

let prepared: SentPayload[] = [];
let baselineWorker: Worker | null = null;
function baseline(): Worker {
  baselineWorker ??= new Worker('/baseline.worker.js', { type: 'module' });
  return baselineWorker;
}

const bench: BenchPage = {
  async start(collectorUrl, kind) {
    document.body.append(offerBox);
    client = connectFeatures({ ...(kind === undefined ? {} : { kind }), onError: (e) => console.error(e) });
    const features = need(client);
    features.subscribe((snapshot) => {
      const at = performance.now();
      snapshots++;
      // What a page does with a snapshot: show the offer (React would render it in the next frame).
      offerBox.textContent = snapshot.offers.map((o) => o.description).join(' · ');
      if (awaiting !== null && snapshot.lastEventId === awaiting.eid) awaiting.resolve(at, snapshot);
    });
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
        const sinkAt = performance.now();
        sunk.push(payload);
        features.ingest(payload);
        if (current !== null) {
          current.sink = sinkAt;
          current.posted = performance.now();
          current.eid = payload.eid ?? null;
        }
      },
      { onError: (e) => console.error(e) },
    );
    await features.snapshot();
    return { kind: features.kind, isolated: globalThis.crossOriginIsolated === true, resolutionMs: timerResolution() };
  },

  async latency(count, gapMs) {
    const samples: LatencySample[] = [];
    for (let n = 0; n < count; n++) {
      current = { sink: Number.NaN, posted: Number.NaN, eid: null };
      const measured = current;
      let arrived: (value: { at: number; offers: number }) => void = () => {};
      const snapshot = new Promise<{ at: number; offers: number }>((resolve) => {
        arrived = resolve;
      });
      const mark = performance.mark('tandem:track');
      const t0 = mark.startTime;
      const action = trackNext();
      const returned = performance.now();
      current = null;
      let firstFrameStamp = Number.NaN;
      requestAnimationFrame((stamp) => {
        firstFrameStamp = stamp;
      });
      let got = { at: Number.NaN, offers: 0 };
      if (measured.eid !== null) {
        awaiting = { eid: measured.eid, resolve: (at, s) => arrived({ at, offers: s.offers.length }) };
        got = await Promise.race([snapshot, sleep(2_000).then(() => ({ at: Number.NaN, offers: 0 }))]);
        awaiting = null;
      }
      let frame = { at: Number.NaN, stamp: Number.NaN };
      if (!Number.isNaN(got.at)) {
        performance.measure('tandem:track-to-snapshot', { start: t0, end: got.at });
        frame = await nextFrame();
        performance.measure('tandem:track-to-frame', { start: t0, end: frame.at });
      }
      samples.push({
        action,
        t0,
        sink: measured.sink,
        posted: measured.posted,
        returned,
        snapshot: got.at,
        frame: frame.at,
        frameStamp: frame.stamp,
        firstFrameStamp,
        offers: got.offers,
      });
      await sleep(between(gapMs));
    }
    performance.clearMarks();
    performance.clearMeasures();
    return samples;
  },

  async ping(count) {
    const features = need(client);
    const times: number[] = [];
    for (let n = 0; n < count; n++) {
      const t = performance.now();
      await features.portCount();
      times.push(performance.now() - t);
      await sleep(between([5, 25]));
    }
    return times;
  },

  async session(paced, burst, gapMs) {
    const longTasks: { startTime: number; duration: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push({ startTime: entry.startTime, duration: entry.duration });
    });
    observer.observe({ type: 'longtask' });
    const before = snapshots;
    const started = performance.now();
    let longestTrackCallMs = 0;
    const timed = () => {
      const t = performance.now();
      trackNext();
      longestTrackCallMs = Math.max(longestTrackCallMs, performance.now() - t);
    };
    for (let n = 0; n < paced; n++) {
      timed();
      await sleep(between(gapMs));
    }
    for (let n = 0; n < burst; n++) {
      timed();
      await nextTask();
    }
    // Let the last snapshots, beacons and frames land inside the observed interval.
    await sleep(1_500);
    await nextFrame();
    const durationMs = performance.now() - started;
    for (const entry of observer.takeRecords())
      longTasks.push({ startTime: entry.startTime, duration: entry.duration });
    observer.disconnect();
    return {
      events: paced + burst,
      burstEvents: burst,
      durationMs,
      snapshots: snapshots - before,
      longTasks: longTasks.filter((t) => t.startTime >= started),
      longestTrackCallMs,
    };
  },

  sunk: () => sunk,
  prepare(count) {
    prepared = makeBenchPayloads(sunk, count, Date.now(), () => crypto.randomUUID());
    return prepared.length;
  },
  workerBenchmark: () => need(client).benchmark(prepared),
  baselineBenchmark() {
    const payloads = prepared;
    const worker = baseline();
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<BaselineResult>) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage(payloads);
    });
  },
};

(globalThis as unknown as { tandemBench: BenchPage }).tandemBench = bench;
