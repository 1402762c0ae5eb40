/**
 * Erasure on the shopper's next visit (docs/decisions/0008-erasure.md): the worker's start-up rebase
 * learns from the server that the shopper was erased after the stored state was started; the stored
 * record is deleted and the worker starts empty, and a state started after the erasure is kept.
 */
import { describe, expect, it } from 'vitest';
import type { PersistedFeatures, ServerLanes } from './feature-state.js';
import type { StateBackend } from './persistence.js';
import { createFeatureService } from './service.js';
import { productView } from './test-payloads.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function memoryBackend(): StateBackend & { record: PersistedFeatures | undefined } {
  const backend = {
    record: undefined as PersistedFeatures | undefined,
    read: async () => backend.record,
    write: async (record: PersistedFeatures) => {
      backend.record = record;
    },
    clear: async () => {
      backend.record = undefined;
    },
  };
  return backend as StateBackend & { record: PersistedFeatures | undefined };
}

describe('erasure on the next visit', () => {
  it('deletes the stored state made before the erasure and starts empty; later state is kept', async () => {
    let nowMs = T0;
    const now = () => nowMs;
    const backend = memoryBackend();
    // The first visit: two product views, saved.
    const first = createFeatureService({ backend, now, setInterval: () => 0, saveDelayMs: 0 });
    await first.ready;
    const tab = first.connect();
    await tab.ingest(productView('sku-1', 30, T0 - 2_000));
    await tab.ingest(productView('sku-2', 60, T0 - 1_000));
    await first.saver?.flush();
    expect(backend.record?.recentEvents.length).toBe(2);

    // Erased an hour later; the shopper comes back the next day.
    const erasedAtMs = T0 + 3_600_000;
    nowMs = T0 + 86_400_000;
    const server = (): ServerLanes => ({
      definitionVersion: backend.record?.definitionVersion ?? null,
      userKey: null,
      sessionKey: null,
      user: null,
      session: null,
      erasedAtMs,
    });
    const logs: string[] = [];
    const second = createFeatureService({
      backend,
      now,
      setInterval: () => 0,
      fetchServerState: async () => server(),
      log: (line) => logs.push(line),
    });
    await second.ready;
    await second.rebase();
    expect(backend.record).toBeUndefined();
    const snapshot = second.state.snapshot();
    expect(snapshot.eventCount).toBe(0);
    expect(snapshot.userKey).toBeNull();
    expect(second.state.recentEvents()).toEqual([]);
    expect(logs).toContain('this shopper was erased: stored features deleted');

    // The new visit's events stay through the next rebases (the server still reports the erasure).
    await second.connect().ingest(productView('sku-3', 90, nowMs));
    nowMs += 120_000;
    await second.rebase();
    expect(second.state.snapshot().eventCount).toBe(1);
    expect(second.state.toPersisted().startedAtMs).toBeGreaterThan(erasedAtMs);
  });

  it('keeps a state started after the erasure', async () => {
    const backend = memoryBackend();
    const service = createFeatureService({
      backend,
      now: () => T0,
      setInterval: () => 0,
      log: () => {},
      fetchServerState: async () => ({
        definitionVersion: null,
        userKey: null,
        sessionKey: null,
        user: null,
        session: null,
        erasedAtMs: T0 - 1,
      }),
    });
    await service.ready;
    await service.connect().ingest(productView('sku-1', 30, T0 - 500));
    await service.rebase();
    expect(service.state.snapshot().eventCount).toBe(1);
  });
});
