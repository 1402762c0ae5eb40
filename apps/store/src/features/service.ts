/**
 * The feature worker's hub, without the worker: one `FeatureState` for the shopper, shared by every
 * connected tab (port). It restores from storage, persists in batches, ticks for time-based offer
 * conditions, pushes snapshots to subscribers, keeps dedicated workers of other tabs in step through
 * a broadcast channel, and drops a port's state when its tab goes away (a `goodbye` on pagehide, or
 * no heartbeat for `portTimeoutMs`: comlink's release hooks never run when a SharedWorker's tab closes).
 */

import type { FeatureDigest } from '@tandem/feature-core';
import type { SentPayload } from '../tracking/feed-plugin.js';
import {
  createFeatureState,
  type FeatureSnapshot,
  type FeatureState,
  type IngestResult,
  type ServerLanes,
} from './feature-state.js';
import { type BatchedSaver, createBatchedSaver, loadPersisted, type StateBackend } from './persistence.js';

/** What one tab can call (through comlink every call is async on the tab's side). */
export interface FeatureApi {
  ingest(payload: SentPayload): Promise<IngestResult>;
  snapshot(): Promise<FeatureSnapshot>;
  /** Pushes a snapshot now and after every change; returns an id for `unsubscribe`. */
  subscribe(callback: (snapshot: FeatureSnapshot) => void): Promise<number>;
  unsubscribe(id: number): void;
  dismiss(ruleId: string): Promise<void>;
  /**
   * Tabs call this every few seconds; a port silent for `portTimeoutMs` is dropped. Returns false
   * when this port had been dropped (a throttled background tab): the tab subscribes again.
   */
  heartbeat(): boolean;
  /** The tab is leaving (pagehide): drop its state now. */
  goodbye(): void;
  /** Runs `payloads` through a throwaway state on the ingest path: total time and per-event cost. */
  benchmark(payloads: readonly SentPayload[]): BenchmarkResult;
  /** Ports currently connected (diagnostics and tests). */
  portCount(): number;
  /** The shopper's recent events as the worker applied them, oldest first (kept for the server rebase). */
  recentEvents(): Promise<readonly SentPayload[]>;
  /** The digest of the shopper's current lanes, or null when unchanged since the last one taken (any tab). */
  takeDigest(): Promise<FeatureDigest | null>;
  /** Settings the page learned from the server (the last tab to connect wins: one deploy, one config). */
  configure(settings: WorkerSettings): void;
}

/** Worker settings from the server-rendered page. */
export interface WorkerSettings {
  /** How often to rebase on the server's lanes while a tab is open, ms. */
  readonly rebaseEveryMs?: number;
  /** The tab's `navigator.userAgent`, for bot filtering (see FeatureState.setUserAgent). */
  readonly userAgent?: string;
}

export interface BenchmarkResult {
  readonly events: number;
  readonly rejected: number;
  readonly totalMs: number;
  readonly perEventUs: number;
}

/** Messages between dedicated workers of several tabs of one shopper. */
export type SyncMessage =
  | { readonly type: 'events'; readonly payloads: readonly SentPayload[] }
  | { readonly type: 'dismiss'; readonly ruleId: string }
  | { readonly type: 'hello' };

export interface SyncChannel {
  post(message: SyncMessage): void;
  onMessage(listener: (message: SyncMessage) => void): void;
}

export interface FeatureServiceOptions {
  readonly backend: StateBackend | null;
  /** Other workers of the same shopper (dedicated fallbacks, another deploy's SharedWorker): events and dismissals are shared. */
  readonly channel?: SyncChannel | null;
  readonly now?: () => number;
  /** Monotonic ms for the benchmark (performance.now in a worker). */
  readonly clock?: () => number;
  readonly tickMs?: number;
  readonly portTimeoutMs?: number;
  readonly saveDelayMs?: number;
  readonly setInterval?: (callback: () => void, ms: number) => unknown;
  readonly releaseCallback?: (callback: unknown) => void;
  readonly log?: (message: string, error?: unknown) => void;
  /** The server's authoritative lanes of this shopper (null when unavailable): rebased on at start and every `rebaseEveryMs`. */
  readonly fetchServerState?: () => Promise<ServerLanes | null>;
  readonly rebaseEveryMs?: number;
}

interface Port {
  lastSeenMs: number;
  readonly subscribers: Map<number, (snapshot: FeatureSnapshot) => void>;
}

export interface FeatureService {
  /** Restored from storage (or started fresh). */
  readonly ready: Promise<void>;
  /** A new tab: its API, bound to its own port state. */
  connect(): FeatureApi;
  /** One timer step: re-evaluate, drop silent ports, prune. Called by the interval; public for tests. */
  tick(): void;
  /** Fetches the server's lanes and rebases on them; resolves when done (or skipped). */
  rebase(): Promise<void>;
  readonly state: FeatureState;
  readonly saver: BatchedSaver | null;
}

export function createFeatureService(options: FeatureServiceOptions): FeatureService {
  const now = options.now ?? Date.now;
  const clock = options.clock ?? now;
  // Long enough for a hidden tab whose timers Chrome throttles to once a minute; a closing tab says
  // goodbye on pagehide, so the timeout only matters for crashed or killed tabs.
  const portTimeoutMs = options.portTimeoutMs ?? 90_000;
  const log = options.log ?? ((message: string, error?: unknown) => console.warn(`[features] ${message}`, error ?? ''));
  const release = options.releaseCallback ?? (() => {});
  const state = createFeatureState({ now });
  const saver =
    options.backend === null
      ? null
      : createBatchedSaver(options.backend, () => state.toPersisted(), {
          ...(options.saveDelayMs === undefined ? {} : { delayMs: options.saveDelayMs }),
          now,
        });
  const ports = new Set<Port>();
  let nextSubscription = 1;
  let publishQueued = false;
  let ticks = 0;

  const ready = (async () => {
    if (options.backend === null) return;
    try {
      const outcome = await loadPersisted(options.backend, (persisted) => state.restore(persisted));
      if (outcome.kind === 'stale') log(`stored state dropped (${outcome.reason}): starting over`);
    } catch (error) {
      log('could not read stored state: starting over', error);
    }
  })();

  function dropPort(port: Port): void {
    if (!ports.delete(port)) return;
    for (const callback of port.subscribers.values()) release(callback);
    port.subscribers.clear();
    if (ports.size === 0) void saver?.flush();
  }

  /** Coalesces the changes of one task into one push per subscriber. */
  function publish(): void {
    if (publishQueued) return;
    publishQueued = true;
    queueMicrotask(() => {
      publishQueued = false;
      const snapshot = state.snapshot();
      for (const port of ports) {
        for (const callback of port.subscribers.values()) {
          Promise.resolve()
            .then(() => callback(snapshot))
            .catch(() => dropPort(port));
        }
      }
    });
  }

  function changed(): void {
    saver?.markDirty();
    publish();
  }

  function apply(payload: SentPayload, share: boolean): IngestResult {
    const result = state.ingest(payload);
    if (result.ok && result.applied) {
      changed();
      if (share) options.channel?.post({ type: 'events', payloads: [payload] });
    }
    return result;
  }

  options.channel?.onMessage((message) => {
    void ready.then(() => {
      if (message.type === 'events') for (const payload of message.payloads) apply(payload, false);
      else if (message.type === 'dismiss') {
        if (state.dismiss(message.ruleId)) changed();
      } else options.channel?.post({ type: 'events', payloads: state.recentEvents() });
    });
  });
  void ready.then(() => options.channel?.post({ type: 'hello' }));

  let rebaseEveryMs = options.rebaseEveryMs ?? 60_000;
  let rebasing: Promise<void> | null = null;
  let lastRebaseMs = Number.NEGATIVE_INFINITY;
  function rebase(): Promise<void> {
    const fetchServerState = options.fetchServerState;
    if (fetchServerState === undefined) return Promise.resolve();
    rebasing ??= (async () => {
      lastRebaseMs = now();
      try {
        await ready;
        const server = await fetchServerState();
        if (server === null) return;
        // The shopper was erased after this state was started: delete what is stored and start empty.
        if (typeof server.erasedAtMs === 'number' && state.forgetIfErased(server.erasedAtMs)) {
          await options.backend?.clear();
          changed();
          log('this shopper was erased: stored features deleted');
        }
        const outcome = state.rebase(server);
        if (outcome.rebased) changed();
        else if (outcome.reason !== 'the server has no state yet') log(`not rebased: ${outcome.reason}`);
      } catch (error) {
        log('rebase failed', error);
      } finally {
        rebasing = null;
      }
    })();
    return rebasing;
  }
  void rebase();

  function tick(): void {
    if (state.tick()) changed();
    if (ports.size > 0 && now() - lastRebaseMs >= rebaseEveryMs) void rebase();
    const cutoff = now() - portTimeoutMs;
    for (const port of [...ports]) if (port.lastSeenMs < cutoff) dropPort(port);
    if (++ticks % 60 === 0) state.prune();
  }
  (options.setInterval ?? ((callback, ms) => setInterval(callback, ms)))(() => {
    try {
      tick();
    } catch (error) {
      log('tick failed', error);
    }
  }, options.tickMs ?? 1_000);

  return {
    ready,
    state,
    saver,
    tick,
    rebase,
    connect() {
      const port: Port = { lastSeenMs: now(), subscribers: new Map() };
      ports.add(port);
      /** Marks the port alive; false when it had been dropped (and is now back, without subscribers). */
      const seen = (): boolean => {
        port.lastSeenMs = now();
        if (ports.has(port)) return true;
        ports.add(port);
        return false;
      };
      return {
        async ingest(payload) {
          seen();
          await ready;
          return apply(payload, true);
        },
        async snapshot() {
          seen();
          await ready;
          return state.snapshot();
        },
        async subscribe(callback) {
          seen();
          const id = nextSubscription++;
          port.subscribers.set(id, callback);
          await ready;
          publish();
          return id;
        },
        unsubscribe(id) {
          const callback = port.subscribers.get(id);
          port.subscribers.delete(id);
          if (callback !== undefined) release(callback);
        },
        async dismiss(ruleId) {
          seen();
          await ready;
          if (state.dismiss(ruleId)) {
            changed();
            options.channel?.post({ type: 'dismiss', ruleId });
          }
        },
        heartbeat() {
          return seen() && port.subscribers.size > 0;
        },
        goodbye() {
          dropPort(port);
        },
        benchmark(payloads) {
          const scratch = createFeatureState({ now });
          let rejected = 0;
          const start = clock();
          for (const payload of payloads) if (!scratch.ingest(payload).ok) rejected++;
          const totalMs = clock() - start;
          return {
            events: payloads.length,
            rejected,
            totalMs,
            perEventUs: payloads.length === 0 ? 0 : (totalMs * 1_000) / payloads.length,
          };
        },
        portCount: () => ports.size,
        async recentEvents() {
          await ready;
          return state.recentEvents();
        },
        async takeDigest() {
          seen();
          await ready;
          return state.takeDigest();
        },
        configure(settings) {
          const every = settings.rebaseEveryMs;
          if (every !== undefined && Number.isFinite(every) && every >= 1_000) rebaseEveryMs = every;
          if (typeof settings.userAgent === 'string' && state.setUserAgent(settings.userAgent.slice(0, 1_000)))
            changed();
        },
      };
    },
  };
}
