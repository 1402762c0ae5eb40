/**
 * React bindings of the tracking layer. `TrackingProvider` creates the page's ShopTracking once, with
 * the feature worker as its sink, and provides both; `useTracking()` gives pages the ShopTracking.
 * Calls made before the tracker exists (children's effects run before the provider's, and nothing
 * starts before the shopper consents) are queued and replayed in order, so the page view of the page
 * where the shopper accepts is tracked; calls of earlier pages are dropped, never sent late.
 *
 * Consent (src/consent/, the decisions in `consentChange`): the tracker and the feature worker start
 * once the shopper grants it, without a reload. Anonymous statistics start the tracker alone, in
 * Snowplow's anonymous mode; a later grant switches it out of that mode in place and starts the
 * worker. Moving to anonymous statistics or declining stops the worker, deletes what full consent
 * stored in the browser, and reloads the page if the worker ran: it may be a SharedWorker that still
 * holds the shopper's state in memory, and only leaving the page ends it. Without a worker (anonymous
 * to declined) the tracker is switched or stopped in place.
 */
'use client';

import { createContext, createElement, type ReactNode, useContext, useEffect, useState } from 'react';
import { eraseTrackingData } from '../consent/browser.js';
import { consentChange } from '../consent/model.js';
import { useConsent } from '../consent/react.js';
import { connectFeatures, type FeatureClient } from '../features/client.js';
import { FeaturesProvider } from '../features/react.js';
import { createDigestScheduler, type DigestScheduler, isDigestPayload } from './digests.js';
import type { ShopTracking, TrackingConfig } from './shop-tracking.js';
import { createShopTracking, DISABLED_TRACKING, type PageShopTracking } from './tracker.js';

/** The tracking running on this page: the tracker, and the feature worker while consent is full. */
interface PageTracking {
  /** The page's tracker behind a deferred wrapper: `detach` ends it for good. */
  readonly tracking: DeferredTracking;
  readonly tracker: PageShopTracking;
  mode: 'full' | 'anonymous';
  features: FeatureClient | null;
  digests: DigestScheduler | null;
  /** The feature worker was started on this page (see `consentChange`). */
  workerStarted: boolean;
}

/** One per page load (module state survives client-side navigations and StrictMode's double effects). */
let page: PageTracking | null = null;

/** Starts the page's tracker in `mode`, or switches the running one: anonymous mode on or off, the worker started or stopped. */
function runPageTracking(config: TrackingConfig, mode: 'full' | 'anonymous'): PageTracking {
  if (page === null) {
    const tracking = createDeferredTracking();
    const tracker = createShopTracking(
      config,
      (payload) => {
        // Read at each event: the worker comes and goes with the consent, the tracker stays.
        page?.features?.ingest(payload);
        if (!isDigestPayload(payload)) page?.digests?.eventTracked();
      },
      { anonymous: mode === 'anonymous' },
    );
    tracking.attach(tracker);
    page = { tracking, tracker, mode, features: null, digests: null, workerStarted: false };
  } else if (page.mode !== mode) {
    page.mode = mode;
    page.tracker.setAnonymous(mode === 'anonymous');
  }
  if (mode === 'full' && page.features === null && config.enabled) startFeatures(page, config);
  if (mode === 'anonymous') stopFeatures(page);
  return page;
}

/** Starts the feature worker and its digests (full consent only: features are per shopper). */
function startFeatures(running: PageTracking, config: TrackingConfig): void {
  const features = connectFeatures();
  if (features === null) return;
  running.features = features;
  running.workerStarted = true;
  // The tab's agent: a shared worker sees the browser's default one, not an agent set for the tab.
  features.configure({ rebaseEveryMs: config.rebaseEveryMs, userAgent: navigator.userAgent });
  if (config.digests.enabled) {
    try {
      running.digests = startDigests(features, running.tracking, config.digests.quietMs);
    } catch (error) {
      // Digests only feed drift statistics: without them the shop works as before.
      console.warn('[digests] not started', error);
    }
  }
  // Diagnostics: the demo's and the end-to-end tests' window into the worker (e2e/tracking.spec.ts
  // reads the event ids it applied and its feature values: `await tandem.features.recentEvents()`,
  // `tandem.features.latest()`). Read-only use; the page itself never goes through it.
  (globalThis as { tandem?: { features: FeatureClient } }).tandem = { features };
}

function stopFeatures(running: PageTracking): void {
  running.digests?.stop();
  running.features?.close();
  running.digests = null;
  running.features = null;
  delete (globalThis as { tandem?: unknown }).tandem;
}

/** Stops the page's tracking for good (declined): the tracker, the digests, the worker connection. */
function stopPageTracking(): void {
  if (page === null) return;
  stopFeatures(page);
  page.tracking.detach();
  page.tracker.setAnonymous(true);
  page = null;
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
  /** Queues calls again until the next `attach` (tracking stopped, may resume on this page). */
  pause(): void;
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
    pause() {
      target = null;
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
 * Deletes the browser's tracking data (anonymous statistics or declined: on the change, and on every
 * page load, for what a tab still tracking at the change may have written since), then reloads when
 * the feature worker ran here (see the module comment).
 */
async function erase(reload: boolean): Promise<void> {
  await eraseTrackingData();
  if (reload) location.reload();
}

export function TrackingProvider({ config, children }: { config: TrackingConfig; children?: ReactNode }) {
  const [deferred] = useState(createDeferredTracking);
  const [features, setFeatures] = useState<FeatureClient | null>(null);
  const { choice } = useConsent().view;
  useEffect(() => {
    const change = consentChange({ mode: page?.mode ?? 'off', workerStarted: page?.workerStarted ?? false }, choice);
    if (change.mode === 'off') {
      if (page !== null) {
        stopPageTracking();
        // Calls queue again: a shopper who accepts later, on this page, gets this page's view tracked.
        deferred.pause();
      }
      // Undecided or declined from the start: the provider's queue holds this page's calls meanwhile.
      setFeatures(null);
    } else {
      const running = runPageTracking(config, change.mode);
      deferred.attach(running.tracking);
      setFeatures(running.features);
    }
    if (change.erase) void erase(change.reload);
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
