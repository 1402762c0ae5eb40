/**
 * The feature worker's storage: the one module that talks to IndexedDB (through idb). One record
 * holds the shopper's state (`PersistedFeatures`); it is written in batches (debounced, with a
 * ceiling), never per event, and read back only when its schema and feature-core definition version
 * match: anything else is dropped and the state starts over, never misread.
 *
 * An IndexedDB transaction commits as soon as its code awaits anything else, so the record is built
 * completely (lanes serialized) before the single `put` is issued.
 */

import { type IDBPDatabase, openDB } from 'idb';
import { STORE_DEFINITION_VERSION } from './engine-config.js';
import { PERSISTED_SCHEMA_VERSION, type PersistedFeatures } from './feature-state.js';

/** Where the record lives. A backend is any store of one record; IndexedDB in the browser. */
export interface StateBackend {
  read(): Promise<unknown>;
  write(record: PersistedFeatures): Promise<void>;
  clear(): Promise<void>;
}

export const DATABASE_NAME = 'tandem-features';
/** Bump when the object stores change: an upgrade drops every old store. */
const DATABASE_VERSION = 1;
const STORE = 'state';
const RECORD_KEY = 'shopper';

/**
 * The IndexedDB backend. Opens lazily (nothing is opened before the first read or write); a failed
 * open is retried on the next call. When another context deletes the database (the shopper withdrew
 * consent) or upgrades it, this connection closes at once instead of blocking that, and stays closed:
 * a worker that lives on must not create the database again behind the shopper's back.
 */
export function openIndexedDbBackend(name: string = DATABASE_NAME): StateBackend {
  let db: Promise<IDBPDatabase> | null = null;
  let released = false;
  const open = () => {
    if (released) return Promise.reject(new Error(`IndexedDB ${name} was deleted or upgraded elsewhere: not reopened`));
    db ??= openDB(name, DATABASE_VERSION, {
      upgrade(database) {
        for (const store of [...database.objectStoreNames]) database.deleteObjectStore(store);
        database.createObjectStore(STORE);
      },
      blocking(_currentVersion, _blockedVersion, event) {
        released = true;
        (event.target as IDBDatabase).close();
      },
    }).catch((error: unknown) => {
      db = null;
      throw error;
    });
    return db;
  };
  return {
    async read() {
      return (await open()).get(STORE, RECORD_KEY);
    },
    async write(record) {
      await (await open()).put(STORE, record, RECORD_KEY);
    },
    async clear() {
      await (await open()).delete(STORE, RECORD_KEY);
    },
  };
}

export type ReadOutcome =
  | { readonly kind: 'empty' }
  | { readonly kind: 'current'; readonly state: PersistedFeatures }
  | { readonly kind: 'stale'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Classifies a stored record against the running definition version. Pure. `stale` covers another
 * schema, another definition version, and anything not shaped like a record of ours.
 */
export function classifyPersisted(raw: unknown, expectedVersion: string = STORE_DEFINITION_VERSION): ReadOutcome {
  if (raw === undefined || raw === null) return { kind: 'empty' };
  if (!isRecord(raw)) return { kind: 'stale', reason: 'not an object' };
  if (raw.schema !== PERSISTED_SCHEMA_VERSION) return { kind: 'stale', reason: `schema ${String(raw.schema)}` };
  if (raw.definitionVersion !== expectedVersion) {
    return { kind: 'stale', reason: `definition ${String(raw.definitionVersion)}, running ${expectedVersion}` };
  }
  const arrays = ['userLanes', 'sessionLanes', 'offers', 'dismissed', 'recentEvents'] as const;
  for (const name of arrays) if (!Array.isArray(raw[name])) return { kind: 'stale', reason: `${name} missing` };
  if (!isRecord(raw.offerState)) return { kind: 'stale', reason: 'offerState missing' };
  return { kind: 'current', state: raw as unknown as PersistedFeatures };
}

/**
 * Reads the stored state; a stale record is deleted (the caller starts over), and so is one that
 * `restore` refuses (a lane that does not deserialize). Returns whether a state was restored.
 */
export async function loadPersisted(
  backend: StateBackend,
  restore: (state: PersistedFeatures) => void,
  expectedVersion: string = STORE_DEFINITION_VERSION,
): Promise<ReadOutcome> {
  const outcome = classifyPersisted(await backend.read(), expectedVersion);
  if (outcome.kind === 'stale') {
    await backend.clear();
    return outcome;
  }
  if (outcome.kind === 'current') {
    try {
      restore(outcome.state);
    } catch (error) {
      await backend.clear();
      return { kind: 'stale', reason: (error as Error).message };
    }
  }
  return outcome;
}

export interface BatchedSaverOptions {
  /** Quiet time after the last change before writing. */
  readonly delayMs?: number;
  /** Longest a change waits under a steady stream of changes. */
  readonly maxDelayMs?: number;
  readonly now?: () => number;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
  readonly onError?: (error: unknown) => void;
}

export interface BatchedSaver {
  /** Notes that the state changed; a write follows within `delayMs` .. `maxDelayMs`. */
  markDirty(): void;
  /** Writes now if anything changed (e.g. when the last tab leaves). */
  flush(): Promise<void>;
  /** How many writes were issued (for tests and diagnostics). */
  readonly writes: number;
}

/** Debounced writes of `build()` to `backend`: one write per burst of changes, not per event. */
export function createBatchedSaver(
  backend: StateBackend,
  build: () => PersistedFeatures,
  options: BatchedSaverOptions = {},
): BatchedSaver {
  const delayMs = options.delayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  const onError = options.onError ?? ((error: unknown) => console.warn('[features] persisting failed', error));
  let dirtySinceMs: number | null = null;
  let timer: unknown = null;
  let writes = 0;
  let writing: Promise<void> = Promise.resolve();

  async function flush(): Promise<void> {
    if (timer !== null) clearTimer(timer);
    timer = null;
    if (dirtySinceMs === null) return writing;
    dirtySinceMs = null;
    // Built synchronously, before any await: the write sees one consistent state.
    const record = build();
    writes++;
    writing = writing.then(() => backend.write(record)).catch(onError);
    return writing;
  }

  return {
    markDirty() {
      const t = now();
      dirtySinceMs ??= t;
      if (timer !== null) clearTimer(timer);
      const wait = Math.max(0, Math.min(delayMs, dirtySinceMs + maxDelayMs - t));
      timer = setTimer(() => void flush(), wait);
    },
    flush,
    get writes() {
      return writes;
    },
  };
}
