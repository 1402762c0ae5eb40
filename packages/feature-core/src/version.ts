/**
 * The definition version: a hash of everything that decides feature values (windows, tiles, caps,
 * currency settings, the feature list and types, and a revision bumped whenever a `compute`
 * changes). Persisted state and client digests carry it; on a mismatch readers rebuild instead of
 * misreading, and browser/server comparison is skipped.
 */
import { type CanonicalJson, canonicalJson } from './canonical.js';
import { FEATURE_DEFINITIONS } from './definitions.js';
import { DEFAULT_CONFIG, type EngineConfig, LIMITS } from './engine/config.js';
import { SESSION_GAP_MS, WINDOWS } from './engine/windows.js';
import { hash53Text } from './hash.js';

/** Bump when any feature's computation changes meaning (the hash cannot see function bodies). */
export const DEFINITION_REVISION = 1;

/** The description the version hash covers, as canonical JSON. */
export function definitionDescription(config: EngineConfig = DEFAULT_CONFIG): string {
  const description: CanonicalJson = {
    revision: DEFINITION_REVISION,
    windows: WINDOWS.map((w) => ({ id: w.id, tileMs: w.tileMs, tiles: w.tiles })),
    sessionGapMs: SESSION_GAP_MS,
    limits: { ...LIMITS },
    baseCurrency: config.baseCurrency,
    fxRates: { ...config.fxRates },
    features: FEATURE_DEFINITIONS.map((def) => ({
      lane: def.lane,
      name: def.name,
      type: def.type,
      windows: def.lane === 'user' ? [...def.windows] : def.lane === 'user-unwindowed' ? [def.window] : [],
      compared: def.compared,
      overflowsWith: [...def.overflowsWith],
      // Which product attribute the lane tallies for it: it shapes facts, tiles and the wire format.
      tally: def.lane === 'user' ? (def.tally ?? null) : null,
    })),
  };
  return canonicalJson(description);
}

const cache = new Map<EngineConfig, string>();

/** The definition version hash for a configuration, e.g. `"1-k3j2h1g0f9e8"`. */
export function definitionVersion(config: EngineConfig = DEFAULT_CONFIG): string {
  let version = cache.get(config);
  if (version === undefined) {
    version = `${DEFINITION_REVISION}-${hash53Text(definitionDescription(config))}`;
    cache.set(config, version);
  }
  return version;
}
