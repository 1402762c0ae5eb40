import { describe, expect, it } from 'vitest';
import { createFeatureState, type FeatureSnapshot } from './feature-state.js';
import { createFeatureService, type SyncChannel, type SyncMessage } from './service.js';
import { productView } from './test-payloads.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function world() {
  let nowMs = T0;
  return {
    now: () => nowMs,
    advance: (ms: number) => (nowMs += ms),
    // The interval is driven by hand through service.tick().
    setInterval: () => 0,
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A broadcast channel between in-process services (each sees the others' messages, not its own). */
function channelHub() {
  const members: ((m: SyncMessage) => void)[] = [];
  return (): SyncChannel => {
    let mine: ((m: SyncMessage) => void) | null = null;
    return {
      post: (message) => {
        for (const member of members) if (member !== mine) queueMicrotask(() => member(structuredClone(message)));
      },
      onMessage: (listener) => {
        mine = listener;
        members.push(listener);
      },
    };
  };
}

describe('feature service (worker hub)', () => {
  it('gives every connected tab the same view, pushed on change', async () => {
    const w = world();
    const service = createFeatureService({ backend: null, ...w });
    const tabA = service.connect();
    const tabB = service.connect();
    const seenByB: FeatureSnapshot[] = [];
    await tabB.subscribe((s) => seenByB.push(s));
    await tabA.ingest(productView('sku-1', 30, T0));
    await settle();
    expect(seenByB.at(-1)?.values.product_view_count_5m).toBe('1');
    expect(tabA.portCount()).toBe(2);
  });

  it('drops a tab on goodbye and a silent tab after the timeout, releasing its callbacks', async () => {
    const w = world();
    const released: unknown[] = [];
    const service = createFeatureService({
      backend: null,
      ...w,
      portTimeoutMs: 15_000,
      releaseCallback: (cb) => released.push(cb),
    });
    const leaving = service.connect();
    const silent = service.connect();
    const alive = service.connect();
    await silent.subscribe(() => {});
    leaving.goodbye();
    expect(alive.portCount()).toBe(2);
    for (let i = 0; i < 4; i++) {
      w.advance(5_000);
      alive.heartbeat();
      service.tick();
    }
    expect(alive.portCount()).toBe(1);
    expect(released).toHaveLength(1);
    // The silent tab comes back (its timers were throttled): told to subscribe again.
    expect(silent.heartbeat()).toBe(false);
    expect(alive.portCount()).toBe(2);
  });

  it('keeps dedicated workers of several tabs in step through the channel', async () => {
    const w = world();
    const hub = channelHub();
    const first = createFeatureService({ backend: null, channel: hub(), ...w });
    const second = createFeatureService({ backend: null, channel: hub(), ...w });
    const a = first.connect();
    const b = second.connect();
    await a.ingest(productView('sku-1', 30, T0));
    await b.ingest(productView('sku-2', 90, T0 + 1));
    await settle();
    expect((await a.snapshot()).values.product_view_count_5m).toBe('2');
    expect((await b.snapshot()).values.product_view_count_5m).toBe('2');
    // A third tab opening late catches up from the others (hello → their recent events).
    const third = createFeatureService({ backend: null, channel: hub(), ...w });
    await settle();
    await settle();
    expect((await third.connect().snapshot()).values.product_view_count_5m).toBe('2');
  });

  it('measures its ingest path on a throwaway state', async () => {
    const w = world();
    const service = createFeatureService({ backend: null, ...w });
    const tab = service.connect();
    const result = tab.benchmark([productView('a', 1, T0), productView('b', 2, T0), { e: 'bad' }]);
    expect(result).toMatchObject({ events: 3, rejected: 1 });
    expect((await tab.snapshot()).eventCount).toBe(0);
  });

  it('rebases on the server state at start and again every rebaseEveryMs while a tab is connected', async () => {
    const w = world();
    let calls = 0;
    const server = createFeatureState({ now: w.now });
    server.ingest(productView('sku-1', 30, T0 - 2_000));
    server.ingest(productView('sku-2', 60, T0 - 1_000));
    const persisted = server.toPersisted();
    const service = createFeatureService({
      backend: null,
      ...w,
      rebaseEveryMs: 60_000,
      fetchServerState: async () => {
        calls++;
        return {
          definitionVersion: persisted.definitionVersion,
          userKey: persisted.userKey,
          sessionKey: persisted.sessionKey,
          user: persisted.userLanes[0] ?? null,
          session: persisted.sessionLanes[0] ?? null,
        };
      },
    });
    await service.ready;
    await service.rebase();
    expect(calls).toBe(1);
    const tab = service.connect();
    expect((await tab.snapshot()).values.product_view_count_5m).toBe('2');
    w.advance(30_000);
    service.tick();
    expect(calls).toBe(1);
    w.advance(31_000);
    service.tick();
    await service.rebase();
    expect(calls).toBe(2);
  });
});

describe('feature service: digests and settings', () => {
  it('gives one digest per change across tabs, and rebases at the configured period', async () => {
    const w = world();
    let fetches = 0;
    const service = createFeatureService({
      backend: null,
      ...w,
      fetchServerState: async () => {
        fetches++;
        return null;
      },
    });
    const tabA = service.connect();
    const tabB = service.connect();
    await settle();
    expect(fetches).toBe(1);
    await tabA.ingest(productView('sku-1', 30, T0));
    expect(await tabB.takeDigest()).toMatchObject({ n: 1 });
    expect(await tabA.takeDigest()).toBeNull();

    tabA.configure({ rebaseEveryMs: 10_000 });
    tabA.configure({ rebaseEveryMs: 5 }); // below 1 s: ignored
    w.advance(10_000);
    service.tick();
    await settle();
    expect(fetches).toBe(2);
  });
});
