/**
 * React bindings of the tracking layer. `TrackingProvider` creates the page's ShopTracking once, with
 * the feature worker as its sink, and provides both; `useTracking()` gives pages the ShopTracking.
 * Calls made before the tracker exists (children's effects run before the provider's, and nothing
 * starts before the shopper consents) are queued and replayed in order, so the page view of the page
 * where the shopper accepts is tracked; calls of earlier pages are dropped, never sent late.
 *
 * Consent (src/consent/): the tracker and the feature worker start only once the shopper granted it,
 * without a reload. A withdrawal stops both, deletes what they stored in the browser, and reloads
 * the page: the feature worker may be a SharedWorker that still holds the shopper's state in memory,
 * and only leaving the page ends it.
 */
'use client';

import { createContext, createElement, type ReactNode, useContext, useEffect, useState } from 'react';
import { eraseTrackingData } from '../consent/browser.js';
import { isTrackingAllowed } from '../consent/model.js';
import { useConsent } from '../consent/react.js';
import { connectFeatures, type FeatureClient } from '../features/client.js';
import { FeaturesProvider } from '../features/react.js';
import { createDigestScheduler, type DigestScheduler, isDigestPayload } from './digests.js';
import type { ShopTracking, TrackingConfig } from './shop-tracking.js';
import { createShopTracking, DISABLED_TRACKING } from './tracker.js';

interface PageTracking {
  readonly tracking: ShopTracking;
  readonly features: FeatureClient | null;
  /** Stops the tracker, the digests and the worker connection for good (consent withdrawn). */
  stop(): void;
}

/** One per page load (module state survives client-side navigations and StrictMode's double effects). */
let page: PageTracking | null = null;

function pageTracking(config: TrackingConfig): PageTracking {
  if (page === null) {
    const features = config.enabled ? connectFeatures() : null;
    let digests: DigestScheduler | null = null;
    const tracker = createDeferredTracking();
    tracker.attach(
      createShopTracking(config, (payload) => {
        features?.ingest(payload);
        if (!isDigestPayload(payload)) digests?.eventTracked();
      }),
    );
    const tracking: ShopTracking = tracker;
    if (features !== null) {
      features.configure({ rebaseEveryMs: config.rebaseEveryMs });
      if (config.digests.enabled) {
        try {
          digests = startDigests(features, tracking, config.digests.quietMs);
        } catch (error) {
          // Digests only feed drift statistics: without them the shop works as before.
          console.warn('[digests] not started', error);
        }
      }
    }
    page = {
      tracking,
      features,
      stop() {
        tracker.detach();
        digests?.stop();
        features?.close();
        delete (globalThis as { tandem?: unknown }).tandem;
      },
    };
    // Diagnostics: the demo's and the end-to-end tests' window into the worker (e2e/tracking.spec.ts
    // reads the event ids it applied and its feature values: `await tandem.features.recentEvents()`,
    // `tandem.features.latest()`). Read-only use; the page itself never goes through it.
    if (features !== null) (globalThis as { tandem?: { features: FeatureClient } }).tandem = { features };
  }
  return page;
}

/** Sends the worker's digests: after quiet periods, on hide, after a rebase (tracking/digests.ts). */
function startDigests(features: FeatureClient, tracking: ShopTracking, quietMs: number): DigestScheduler {
  const digests = createDigestScheduler({
    quietMs,
    take: () => features.takeDigest(),
    send: (digest) => tracking.featureDigest(digest),
  });
  let rebasedAtMs: number | null | undefined;
  features.subscribe((snapshot) => {
    if (rebasedAtMs !== undefined && snapshot.rebasedAtMs !== rebasedAtMs) digests.rebased();
    rebasedAtMs = snapshot.rebasedAtMs;
  });
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') digests.flush();
    });
  }
  return digests;
}

type Call = { [K in keyof ShopTracking]: [K, Parameters<ShopTracking[K]>] }[keyof ShopTracking];

/** Calls kept while waiting: one page's worth; past this the oldest go. */
const MAX_QUEUED_CALLS = 100;

export interface DeferredTracking extends ShopTracking {
  /** Forwards the queued calls to `target`, in order, then every later call. */
  attach(target: ShopTracking): void;
  /** Drops every call from now on, queued or not (consent withdrawn); `attach` does nothing after it. */
  detach(): void;
}

/**
 * A ShopTracking that queues calls until `attach`, then forwards them. While waiting, a page view
 * starts the queue over: only the current page's calls are kept (for the page where the shopper
 * accepts tracking), never those of pages left before. Never throws.
 */
export function createDeferredTracking(): DeferredTracking {
  let target: ShopTracking | null = null;
  let detached = false;
  const queue: Call[] = [];
  const forward =
    <K extends keyof ShopTracking>(name: K) =>
    (...args: Parameters<ShopTracking[K]>) => {
      if (detached) return;
      if (target !== null) {
        (target[name] as (...a: Parameters<ShopTracking[K]>) => void)(...args);
        return;
      }
      if (name === 'pageView') queue.length = 0;
      queue.push([name, args] as Call);
      if (queue.length > MAX_QUEUED_CALLS) queue.shift();
    };
  return {
    pageView: forward('pageView'),
    listView: forward('listView'),
    listClick: forward('listClick'),
    promoView: forward('promoView'),
    promoClick: forward('promoClick'),
    productView: forward('productView'),
    addToCart: forward('addToCart'),
    removeFromCart: forward('removeFromCart'),
    checkoutStep: forward('checkoutStep'),
    transaction: forward('transaction'),
    siteSearch: forward('siteSearch'),
    signIn: forward('signIn'),
    signOut: forward('signOut'),
    featureDigest: forward('featureDigest'),
    attach(next) {
      if (detached) return;
      target = next;
      for (const [name, args] of queue.splice(0)) (next[name] as (...a: typeof args) => void)(...args);
    },
    detach() {
      detached = true;
      target = null;
      queue.length = 0;
    },
  };
}

const TrackingContext = createContext<ShopTracking>(DISABLED_TRACKING);

/**
 * Withdrawn: stops this page's tracking if it ran, deletes the browser's tracking data, and reloads
 * when something had run here (see the module comment). Also runs on every page load of a shopper
 * who declined, deleting what a tab that was still open at the withdrawal may have left behind.
 */
async function withdraw(): Promise<void> {
  const ran = page;
  page = null;
  ran?.stop();
  await eraseTrackingData();
  if (ran !== null) location.reload();
}

export function TrackingProvider({ config, children }: { config: TrackingConfig; children?: ReactNode }) {
  const [deferred] = useState(createDeferredTracking);
  const [features, setFeatures] = useState<FeatureClient | null>(null);
  const { choice } = useConsent().view;
  useEffect(() => {
    if (isTrackingAllowed(choice)) {
      const created = pageTracking(config);
      deferred.attach(created.tracking);
      setFeatures(created.features);
    } else if (choice === 'denied') {
      // The provider's queue stays: a shopper who accepts later, on this page, gets this page's view tracked.
      setFeatures(null);
      void withdraw();
    }
  }, [config, deferred, choice]);
  return createElement(
    TrackingContext.Provider,
    { value: deferred },
    createElement(FeaturesProvider, { client: features }, children),
  );
}

/** The page's ShopTracking: fire-and-forget calls that never throw. */
export function useTracking(): ShopTracking {
  return useContext(TrackingContext);
}
