/**
 * The feature worker's entry point. As a SharedWorker (one per origin and name, so one per shopper's
 * browser) every tab connects with its own port and shares one service; as a dedicated worker (the
 * fallback where SharedWorker is missing) it serves its one tab and keeps in step with the other tabs'
 * workers through a BroadcastChannel, all of them persisting to the same IndexedDB record. On start,
 * and every minute while a tab is connected, it rebases on the server's authoritative lanes
 * (`GET /api/features/state`).
 * Written as a classic-compatible script (no top-level await, no import.meta): Turbopack drops
 * `type: 'module'` and loads worker chunks with importScripts.
 */
import type { ServerLanes } from './feature-state.js';
import { openIndexedDbBackend } from './persistence.js';
import { type Endpoint, exposeApi, releaseRemote } from './rpc.js';
import { createFeatureService, type SyncChannel, type SyncMessage } from './service.js';

/** The bits of the worker global scopes used here (the app's TypeScript has the DOM lib, not WebWorker). */
interface WorkerScope {
  onconnect?: ((event: { readonly ports: readonly MessagePort[] }) => void) | null;
  performance: { now(): number };
}

const scope = globalThis as unknown as WorkerScope;
const isShared = 'onconnect' in scope;
export const CHANNEL_NAME = 'tandem-features';

/**
 * Every kind joins the channel: dedicated workers need it to share one view, and a SharedWorker
 * joins too so tabs that fell back to dedicated workers (or run another deploy's worker) stay in step.
 */
function broadcastChannel(): SyncChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null;
  const channel = new BroadcastChannel(CHANNEL_NAME);
  return {
    post: (message) => channel.postMessage(message),
    onMessage: (listener) => {
      channel.onmessage = (event: MessageEvent<SyncMessage>) => listener(event.data);
    },
  };
}

/** The server's lanes of this shopper (same origin, so the request carries the shopper's cookies). */
async function fetchServerState(): Promise<ServerLanes | null> {
  const response = await fetch('/api/features/state', { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) return null;
  return (await response.json()) as ServerLanes;
}

const service = createFeatureService({
  backend: typeof indexedDB === 'undefined' ? null : openIndexedDbBackend(),
  fetchServerState,
  channel: broadcastChannel(),
  clock: () => scope.performance.now(),
  releaseCallback: releaseRemote,
});

if (isShared) {
  scope.onconnect = (event) => {
    const port = event.ports[0];
    if (port === undefined) return;
    exposeApi(service.connect(), port);
    port.start();
  };
} else {
  exposeApi(service.connect(), globalThis as unknown as Endpoint);
}
