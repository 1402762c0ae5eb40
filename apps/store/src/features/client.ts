/**
 * The tab's side of the feature worker: connects to a SharedWorker where the browser has one (one
 * view for all of the shopper's tabs), else to a dedicated worker; keeps the latest snapshot for
 * rendering; sends a heartbeat and a goodbye on pagehide (the worker cleans up after silent tabs);
 * reconnects when the worker fails or stops answering. No feature math happens here.
 */

import type { FeatureDigest } from '@tandem/feature-core';
import type { SentPayload } from '../tracking/feed-plugin.js';
import type { FeatureSnapshot } from './feature-state.js';
import { proxyCallback, type Remote, releaseRemote, wrapApi } from './rpc.js';
import type { BenchmarkResult, FeatureApi, WorkerSettings } from './service.js';

export type WorkerKind = 'shared' | 'dedicated';

/** How the worker is started; the defaults use the `new URL(..., import.meta.url)` pattern bundlers understand. */
export interface WorkerSpawner {
  shared(): SharedWorker;
  dedicated(): Worker;
}

export const DEFAULT_SPAWNER: WorkerSpawner = {
  shared: () =>
    new SharedWorker(new URL('./feature.worker.ts', import.meta.url), { type: 'module', name: 'tandem-features' }),
  dedicated: () => new Worker(new URL('./feature.worker.ts', import.meta.url), { type: 'module' }),
};

export interface FeatureClientOptions {
  readonly spawner?: WorkerSpawner;
  /** Force a kind (tests); by default SharedWorker when the browser has it. */
  readonly kind?: WorkerKind;
  readonly heartbeatMs?: number;
  /** A heartbeat unanswered for this long means the worker is gone: reconnect. */
  readonly heartbeatTimeoutMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface FeatureClient {
  /** The kind in use (a failing SharedWorker falls back to a dedicated one). */
  readonly kind: WorkerKind;
  /** Hands one tracked event to the worker. Fire and forget; never throws. */
  ingest(payload: SentPayload): void;
  /** The latest snapshot pushed by the worker (null until the first). */
  latest(): FeatureSnapshot | null;
  /** Called on every pushed snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: FeatureSnapshot) => void): () => void;
  snapshot(): Promise<FeatureSnapshot>;
  dismiss(ruleId: string): void;
  benchmark(payloads: readonly SentPayload[]): Promise<BenchmarkResult>;
  portCount(): Promise<number>;
  recentEvents(): Promise<readonly SentPayload[]>;
  /** The digest of the shopper's lanes for reconciliation; null when unchanged since the last one. */
  takeDigest(): Promise<FeatureDigest | null>;
  /** Passes the page's settings to the worker (again after a reconnect). */
  configure(settings: WorkerSettings): void;
  /** Leaves the worker (goodbye) and stops the heartbeat. */
  close(): void;
}

interface Connection {
  readonly api: Remote<FeatureApi>;
  readonly worker: SharedWorker | Worker;
}

/** Whether this environment can run the feature worker at all (not during server rendering). */
export function canRunFeatureWorker(): boolean {
  return typeof Worker !== 'undefined' || typeof SharedWorker !== 'undefined';
}

/** Connects this tab to the feature worker; null where workers are unavailable (server rendering). */
export function connectFeatures(options: FeatureClientOptions = {}): FeatureClient | null {
  if (!canRunFeatureWorker()) return null;
  const spawner = options.spawner ?? DEFAULT_SPAWNER;
  let kind: WorkerKind = options.kind ?? (typeof SharedWorker === 'undefined' ? 'dedicated' : 'shared');
  const onError = options.onError ?? ((error: unknown) => console.warn('[features]', error));
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
  const listeners = new Set<(snapshot: FeatureSnapshot) => void>();
  let latest: FeatureSnapshot | null = null;
  let connection: Connection | null = null;
  let closed = false;
  let settings: WorkerSettings | null = null;

  const receive = proxyCallback((snapshot: FeatureSnapshot) => {
    latest = snapshot;
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        onError(error);
      }
    }
  });

  function connect(): Connection {
    let worker: SharedWorker | Worker;
    let api: Remote<FeatureApi>;
    if (kind === 'shared') {
      const shared = spawner.shared();
      shared.port.start();
      worker = shared;
      api = wrapApi<FeatureApi>(shared.port);
    } else {
      const dedicated = spawner.dedicated();
      worker = dedicated;
      api = wrapApi<FeatureApi>(dedicated);
    }
    worker.addEventListener('error', (event) => {
      onError(event instanceof ErrorEvent ? event.message : `feature ${kind} worker failed`);
      // A SharedWorker that cannot start (e.g. another deploy's worker holds the name with another
      // URL, which the spec answers with an error) will not start on a retry either: fall back.
      if (kind === 'shared' && options.kind === undefined) kind = 'dedicated';
      reconnect();
    });
    const next = { api, worker };
    api.subscribe(receive).catch(onError);
    if (settings !== null) api.configure(settings).catch(onError);
    return next;
  }

  function current(): Connection {
    // A closed client (consent withdrawn) never starts the worker again, whatever still calls it.
    if (closed) throw new Error('the feature client is closed');
    connection ??= connect();
    return connection;
  }

  /** A call on the worker as a promise: a closed client rejects instead of throwing. */
  function ask<T>(call: (api: Remote<FeatureApi>) => Promise<T>): Promise<T> {
    try {
      return call(current().api);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Leaves the worker. A dedicated worker is terminated only when it is replaced: on pagehide it must
   * live on long enough to write its last batch (the page's unload ends it anyway).
   */
  function disconnect(terminate: boolean): void {
    if (connection === null) return;
    const { api, worker } = connection;
    connection = null;
    api.goodbye().catch(() => {});
    releaseRemote(api);
    if (terminate && !('port' in worker)) worker.terminate();
  }

  let failures = 0;
  let lastFailureMs = 0;
  /** Replaces the connection; repeated failures back off (0.5 s doubling to 30 s) instead of spinning. */
  function reconnect(): void {
    if (closed) return;
    disconnect(true);
    const nowMs = Date.now();
    failures = nowMs - lastFailureMs > 60_000 ? 1 : failures + 1;
    lastFailureMs = nowMs;
    if (failures <= 1) current();
    else setTimeout(() => !closed && current(), Math.min(30_000, 500 * 2 ** (failures - 2)));
  }

  const heartbeat = setInterval(() => {
    if (closed || connection === null) return;
    const sent = connection;
    const timeout = setTimeout(() => {
      if (connection === sent) reconnect();
    }, heartbeatTimeoutMs);
    sent.api
      .heartbeat()
      .then((known) => {
        clearTimeout(timeout);
        // The worker had dropped this tab (throttled timers looked like a dead tab): subscribe again.
        if (!known && connection === sent) sent.api.subscribe(receive).catch(onError);
      })
      .catch(() => {});
  }, heartbeatMs);

  const onPageHide = () => disconnect(false);
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) current();
  };
  if (typeof addEventListener === 'function') {
    addEventListener('pagehide', onPageHide);
    addEventListener('pageshow', onPageShow);
  }

  current();
  return {
    get kind() {
      return kind;
    },
    ingest(payload) {
      try {
        current().api.ingest(payload).catch(onError);
      } catch (error) {
        onError(error);
      }
    },
    latest: () => latest,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: () => ask((api) => api.snapshot()),
    dismiss(ruleId) {
      ask((api) => api.dismiss(ruleId)).catch(onError);
    },
    benchmark: (payloads) => ask((api) => api.benchmark(payloads)),
    portCount: () => ask((api) => api.portCount()),
    recentEvents: () => ask((api) => api.recentEvents()),
    takeDigest: () => ask((api) => api.takeDigest()),
    configure(next) {
      settings = next;
      try {
        current().api.configure(next).catch(onError);
      } catch (error) {
        onError(error);
      }
    },
    close() {
      closed = true;
      clearInterval(heartbeat);
      if (typeof removeEventListener === 'function') {
        removeEventListener('pagehide', onPageHide);
        removeEventListener('pageshow', onPageShow);
      }
      disconnect(true);
    },
  };
}
