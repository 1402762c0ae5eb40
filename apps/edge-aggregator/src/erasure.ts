/**
 * The aggregator's view of the erasure registry (@tandem/infra/erasure, docs/decisions/0008-erasure.md):
 * read once before any partition is restored, then polled every `ERASURE_POLL_MS` through one small
 * key (the registry's version); the hash itself is read again only when the version moved. Lanes use
 * it to skip events of erased keys dated at or before their erasure, and the aggregator drops the
 * lanes of keys newly erased.
 */
import {
  ERASURE_REGISTRY_KEY,
  ERASURE_VERSION_KEY,
  type ErasureRegistry,
  parseErasureRegistry,
} from '@tandem/infra/erasure';
import type { RedisTransport } from './redis/transport.js';

/** How often the registry's version is read. The erase command waits longer before its second pass. */
export const ERASURE_POLL_MS = 1_000;

export interface ErasureWatch {
  /** The registry as last read (empty before the first read). */
  readonly registry: ErasureRegistry;
  /**
   * Reads the version and, when it moved, the registry. Returns the entries that are new or whose
   * erasure time moved (a shopper erased again): their lanes must be dropped. Empty when nothing changed.
   */
  refresh(): Promise<ErasureRegistry>;
}

/** Entries of `next` absent from `previous` or with a later erasure time. Pure. */
export function newErasures(previous: ErasureRegistry, next: ErasureRegistry): Map<string, number> {
  const fresh = new Map<string, number>();
  for (const [field, atMs] of next) if ((previous.get(field) ?? -1) < atMs) fresh.set(field, atMs);
  return fresh;
}

export function createErasureWatch(transport: Pick<RedisTransport, 'mget' | 'hgetall'>): ErasureWatch {
  let registry: ErasureRegistry = new Map();
  let version: string | null | undefined;
  return {
    get registry() {
      return registry;
    },
    async refresh() {
      const [current = null] = await transport.mget([ERASURE_VERSION_KEY]);
      if (version !== undefined && current === version) return new Map();
      const next = parseErasureRegistry(await transport.hgetall(ERASURE_REGISTRY_KEY));
      const fresh = newErasures(registry, next);
      registry = next;
      version = current;
      return fresh;
    },
  };
}
