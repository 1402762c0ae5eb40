/**
 * React bindings of the tracking layer. `TrackingProvider` creates the page's ShopTracking once, with
 * the feature worker as its sink, and provides both; `useTracking()` gives pages the ShopTracking.
 * Calls made before the tracker exists (children's effects run before the provider's) are queued
 * and replayed in order, so the first page view is never lost.
 */
'use client';

import { createContext, createElement, type ReactNode, useContext, useEffect, useState } from 'react';
import { connectFeatures, type FeatureClient } from '../features/client.js';
import { FeaturesProvider } from '../features/react.js';
import { createDigestScheduler, type DigestScheduler, isDigestPayload } from './digests.js';
import type { ShopTracking, TrackingConfig } from './shop-tracking.js';
import { createShopTracking, DISABLED_TRACKING } from './tracker.js';

interface PageTracking {
  readonly tracking: ShopTracking;
  readonly features: FeatureClient | null;
}

/** One per page load (module state survives client-side navigations and StrictMode's double effects). */
let page: PageTracking | null = null;

function pageTracking(config: TrackingConfig): PageTracking {
  if (page === null) {
    const features = config.enabled ? connectFeatures() : null;
    let digests: DigestScheduler | null = null;
    const tracking = createShopTracking(config, (payload) => {
      features?.ingest(payload);
      if (!isDigestPayload(payload)) digests?.eventTracked();
    });
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
    page = { tracking, features };
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

/** A ShopTracking that queues calls until `attach`, then forwards them. Never throws. */
export function createDeferredTracking(): ShopTracking & { attach(target: ShopTracking): void } {
  let target: ShopTracking | null = null;
  const queue: Call[] = [];
  const forward =
    <K extends keyof ShopTracking>(name: K) =>
    (...args: Parameters<ShopTracking[K]>) => {
      if (target === null) queue.push([name, args] as Call);
      else (target[name] as (...a: Parameters<ShopTracking[K]>) => void)(...args);
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
      target = next;
      for (const [name, args] of queue.splice(0)) (next[name] as (...a: typeof args) => void)(...args);
    },
  };
}

const TrackingContext = createContext<ShopTracking>(DISABLED_TRACKING);

export function TrackingProvider({ config, children }: { config: TrackingConfig; children?: ReactNode }) {
  const [deferred] = useState(createDeferredTracking);
  const [features, setFeatures] = useState<FeatureClient | null>(null);
  useEffect(() => {
    const created = pageTracking(config);
    deferred.attach(created.tracking);
    setFeatures(created.features);
  }, [config, deferred]);
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
