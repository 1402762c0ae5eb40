import { definitionVersion } from '@tandem/feature-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFeatureState, PERSISTED_SCHEMA_VERSION, type PersistedFeatures } from './feature-state.js';
import { classifyPersisted, createBatchedSaver, loadPersisted, type StateBackend } from './persistence.js';
import { productView } from './test-payloads.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

/** An in-memory stand-in for IndexedDB: one record, structured-cloned like the real one. */
function memoryBackend(initial?: unknown) {
  let record: unknown = initial === undefined ? undefined : structuredClone(initial);
  const calls = { writes: 0, clears: 0 };
  const backend: StateBackend = {
    read: async () => structuredClone(record),
    write: async (next) => {
      calls.writes++;
      record = structuredClone(next);
    },
    clear: async () => {
      calls.clears++;
      record = undefined;
    },
  };
  return { backend, calls, stored: () => record };
}

function savedState(): PersistedFeatures {
  const state = createFeatureState({ now: () => T0 });
  state.ingest(productView('sku-1', 30, T0));
  return state.toPersisted();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('persisted state versioning', () => {
  it('accepts a record of the running schema and definition version', () => {
    const record = savedState();
    expect(record.schema).toBe(PERSISTED_SCHEMA_VERSION);
    expect(classifyPersisted(record).kind).toBe('current');
    expect(classifyPersisted(undefined).kind).toBe('empty');
  });

  it('calls another definition version, another schema or a foreign shape stale', () => {
    const record = savedState();
    expect(classifyPersisted({ ...record, definitionVersion: '0-old' })).toMatchObject({ kind: 'stale' });
    expect(classifyPersisted({ ...record, schema: PERSISTED_SCHEMA_VERSION + 1 })).toMatchObject({ kind: 'stale' });
    expect(classifyPersisted({ ...record, userLanes: 'x' })).toMatchObject({ kind: 'stale' });
    expect(classifyPersisted('junk')).toMatchObject({ kind: 'stale' });
  });

  it('drops a stale record and starts over instead of restoring it', async () => {
    const { backend, calls, stored } = memoryBackend({ ...savedState(), definitionVersion: '0-old' });
    const restore = vi.fn();
    const outcome = await loadPersisted(backend, restore, definitionVersion());
    expect(outcome.kind).toBe('stale');
    expect(restore).not.toHaveBeenCalled();
    expect(calls.clears).toBe(1);
    expect(stored()).toBeUndefined();
  });

  it('drops a record whose lanes do not deserialize', async () => {
    const { backend, calls } = memoryBackend({ ...savedState(), userLanes: ['not a lane'] });
    const state = createFeatureState({ now: () => T0 });
    const outcome = await loadPersisted(backend, (s) => state.restore(s));
    expect(outcome.kind).toBe('stale');
    expect(calls.clears).toBe(1);
    expect(state.snapshot().eventCount).toBe(0);
  });

  it('restores a current record', async () => {
    const { backend } = memoryBackend(savedState());
    const state = createFeatureState({ now: () => T0 });
    expect((await loadPersisted(backend, (s) => state.restore(s))).kind).toBe('current');
    expect(state.snapshot().values.product_view_count_5m).toBe('1');
  });
});

describe('batched saving', () => {
  it('writes once per burst of changes, and no later than maxDelayMs under a steady stream', async () => {
    vi.useFakeTimers({ now: T0 });
    const { backend, calls } = memoryBackend();
    const saver = createBatchedSaver(backend, savedState, { delayMs: 100, maxDelayMs: 1_000, now: Date.now });
    for (let i = 0; i < 50; i++) saver.markDirty();
    await vi.advanceTimersByTimeAsync(99);
    expect(calls.writes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.writes).toBe(1);
    // A change every 50 ms never leaves 100 ms of quiet: the ceiling writes anyway.
    for (let t = 0; t < 1_200; t += 50) {
      saver.markDirty();
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(calls.writes).toBe(2);
    await saver.flush();
    expect(calls.writes).toBe(3);
    await saver.flush();
    expect(calls.writes).toBe(3);
  });
});
