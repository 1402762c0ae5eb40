/**
 * The feature catalogue: every feature's Redis keys, windows, value type, empty value and meaning, as
 * plain JSON-able data built from the definitions (`src/definitions.ts`), so other systems never copy
 * a key name or a format by hand. The store serves it at `GET /api/catalog`; `docs/catalog.md` is
 * rendered from it (`npm run catalog -w @tandem/feature-core`), and a test fails when that file is
 * out of date.
 */
import type { ValueType } from './canonical.js';
import { FEATURE_DEFINITIONS, type FeatureDefinition, type FeatureOrigin } from './definitions.js';
import { DEFAULT_CONFIG, type EngineConfig } from './engine/config.js';
import { SESSION_GAP_MS, SESSION_KEY_TTL_MS, WINDOWS, type WindowId } from './engine/windows.js';
import {
  HASH_META_FIELDS,
  rollingField,
  sessionFeatureKey,
  sessionHashKey,
  userFeatureKey,
  userHashKey,
} from './keys.js';
import { DEFINITION_REVISION, definitionVersion } from './version.js';

/** `format` of the catalogue document. */
export const CATALOG_FORMAT = 'tandem.feature-catalog';
/** Layout of the catalogue document; bumped when a field is renamed or removed (adding one is not). */
export const CATALOG_SCHEMA_VERSION = 1;

/** How a value is written in Redis (its canonical text form), in a reader's vocabulary. */
export type CatalogValueType =
  | 'integer'
  | 'decimal'
  | 'json-object'
  | 'json-array'
  | 'string'
  | 'boolean'
  | 'epoch-ms'
  | 'range';

/** The canonical text form of each catalogue value type, and what the typed read client gives. */
export interface CatalogValueTypeInfo {
  readonly id: CatalogValueType;
  /** How the value is written. */
  readonly format: string;
  readonly example: string;
  /** What `@tandem/feature-core/read` returns for it. */
  readonly parsed: string;
}

export const CATALOG_VALUE_TYPES: readonly CatalogValueTypeInfo[] = [
  {
    id: 'integer',
    format: 'base-10 integer, no sign, no leading zeros',
    example: '3',
    parsed: 'number',
  },
  {
    id: 'decimal',
    format: 'exactly 2 decimal places, rounded half-even (as a number, `toFixed(2)` gives the text back)',
    example: '117.66',
    parsed: 'number',
  },
  {
    id: 'range',
    format: 'two decimals joined by `-`: lowest, then highest',
    example: '42.99-189.99',
    parsed: '{ min: number; max: number }',
  },
  {
    id: 'json-object',
    format: 'compact JSON object, keys sorted by UTF-16 code unit, values integers',
    example: '{"sku-101":1,"sku-518":2}',
    parsed: 'Record<string, number>',
  },
  {
    id: 'json-array',
    format: 'compact JSON array of strings, sorted by UTF-16 code unit',
    example: '["DE/BB","DE/BE"]',
    parsed: 'string[]',
  },
  {
    id: 'string',
    format: 'the text as it is (never empty: an empty string deletes the key)',
    example: 'Running Shoes',
    parsed: 'string',
  },
  {
    id: 'boolean',
    format: '`true` or `false`',
    example: 'false',
    parsed: 'boolean',
  },
  {
    id: 'epoch-ms',
    format: 'integer, milliseconds since 1970-01-01T00:00:00Z',
    example: '1772446325000',
    parsed: 'number',
  },
];

/** One feature: where it lives in Redis, how its value is written, and what it means. */
export interface CatalogFeature {
  readonly name: string;
  /** Which identity the feature belongs to: the user key or the session key. */
  readonly lane: 'user' | 'session';
  /**
   * Windows with a field each (`{name}_{window}`); for a user feature without a window suffix, the
   * one window it is computed over; empty for session features.
   */
  readonly windows: readonly WindowId[];
  /** Whether the key and field carry a `_{window}` suffix. */
  readonly windowSuffix: boolean;
  /** The accelerator's string key, e.g. `user:{userKey}:product_view_count_{window}`. */
  readonly key: string;
  /** The hash holding the feature beside its lane's others, e.g. `features:user:{userKey}`. */
  readonly hash: string;
  /** The field in `hash`, e.g. `product_view_count_{window}`. */
  readonly field: string;
  /** Every concrete field name, e.g. `product_view_count_5m`, `product_view_count_1h`, ... */
  readonly fields: readonly string[];
  readonly valueType: CatalogValueType;
  /** The feature-core value type it is serialized from (`count`, `money`, `durationMs`, ...). */
  readonly coreType: ValueType;
  /** What the number counts or measures, e.g. `events`, `USD`, `ms`; null for text values. */
  readonly unit: string | null;
  /** The value an absent key or field stands for; null means "no value". */
  readonly emptyValue: string | null;
  readonly meaning: string;
  /**
   * `accelerator`: parity with the Snowplow accelerator (same key and meaning, divergence fixes
   * applied); otherwise Tandem's own: `documented` (described by the accelerator, never built there)
   * or another origin the definitions name (e.g. `tandem`).
   */
  readonly origin: FeatureOrigin;
  /** Whether this is an accelerator parity feature (`origin === 'accelerator'`). */
  readonly parity: boolean;
  /** Whether browser and server values are compared exactly (false: needs server-side enrichment). */
  readonly compared: boolean;
  /** How long a written key lives. */
  readonly lifetime: string;
}

export interface CatalogWindow {
  readonly id: WindowId;
  readonly lengthMs: number;
  readonly tileMs: number;
  readonly tiles: number;
}

export interface CatalogMetaField {
  readonly field: string;
  readonly meaning: string;
}

/** The whole catalogue: plain data, `JSON.stringify`-able as it is. */
export interface FeatureCatalog {
  readonly format: typeof CATALOG_FORMAT;
  readonly schema: typeof CATALOG_SCHEMA_VERSION;
  /** The definition version hash (`_v` in every feature hash); readers compare it to their own. */
  readonly definitionVersion: string;
  readonly definitionRevision: number;
  /** ISO 4217 code every money value is expressed in. */
  readonly baseCurrency: string;
  readonly identity: { readonly userKey: string; readonly sessionKey: string };
  /** A key or hash field that is absent stands for the feature's `emptyValue`: empty values are never written. */
  readonly absentMeansEmpty: true;
  readonly windows: readonly CatalogWindow[];
  readonly sessionGapMs: number;
  readonly hashes: { readonly user: string; readonly session: string };
  readonly metaFields: readonly CatalogMetaField[];
  readonly valueTypes: readonly CatalogValueTypeInfo[];
  readonly features: readonly CatalogFeature[];
}

/** A placeholder in key patterns, e.g. `{userKey}`. */
const USER_KEY = '{userKey}';
const SESSION_KEY = '{sessionKey}';
const WINDOW = '{window}';

const META_MEANINGS: Readonly<Record<keyof typeof HASH_META_FIELDS, string>> = {
  version: 'definition version that wrote the hash (compare with `definitionVersion`)',
  evaluatedAt: 'evaluation time of the values, epoch ms (server clock)',
  events: 'events applied to the lane so far (duplicates counted once)',
  overflow: 'comma-separated fields whose capped sets overflowed (absent when none): approximate values',
};

/**
 * The catalogue value type of a definition. A JSON feature is an object or an array: its empty value
 * (`{}` or `[]`) says which.
 */
export function catalogValueType(def: Pick<FeatureDefinition, 'name' | 'type' | 'emptyValue'>): CatalogValueType {
  switch (def.type) {
    case 'count':
    case 'durationMs':
      return 'integer';
    case 'money':
    case 'ratio':
      return 'decimal';
    case 'range':
      return 'range';
    case 'json':
      if (def.emptyValue === '{}') return 'json-object';
      if (def.emptyValue === '[]') return 'json-array';
      throw new Error(`feature ${def.name}: a JSON feature needs the empty value {} or [] (got ${def.emptyValue})`);
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'epochMs':
      return 'epoch-ms';
  }
}

function unitOf(def: FeatureDefinition, baseCurrency: string): string | null {
  switch (def.type) {
    case 'count':
      return 'count';
    case 'money':
    case 'range':
      return baseCurrency;
    case 'ratio':
      return 'ratio';
    case 'durationMs':
      return 'ms';
    case 'epochMs':
      return 'epoch ms';
    default:
      return null;
  }
}

function lifetimeOf(def: FeatureDefinition): string {
  switch (def.lane) {
    case 'user':
      return 'until the window would be empty again: the window length after the latest event counting in it';
    case 'user-unwindowed':
      return `until the event's tile leaves the ${def.window} window`;
    case 'session':
      return `${SESSION_KEY_TTL_MS / 3_600_000} h after the session's last event`;
  }
}

type Placement = Pick<CatalogFeature, 'lane' | 'windows' | 'windowSuffix' | 'key' | 'hash' | 'field' | 'fields'>;

/** Where a feature lives in Redis: its lane, windows, string key pattern, hash and fields. */
function placementOf(def: FeatureDefinition): Placement {
  switch (def.lane) {
    case 'user': {
      const field = rollingField(def.name, WINDOW);
      return {
        lane: 'user',
        windows: [...def.windows],
        windowSuffix: true,
        key: userFeatureKey(USER_KEY, field),
        hash: userHashKey(USER_KEY),
        field,
        fields: def.windows.map((window) => rollingField(def.name, window)),
      };
    }
    case 'user-unwindowed':
      return {
        lane: 'user',
        windows: [def.window],
        windowSuffix: false,
        key: userFeatureKey(USER_KEY, def.name),
        hash: userHashKey(USER_KEY),
        field: def.name,
        fields: [def.name],
      };
    case 'session':
      return {
        lane: 'session',
        windows: [],
        windowSuffix: false,
        key: sessionFeatureKey(SESSION_KEY, def.name),
        hash: sessionHashKey(SESSION_KEY),
        field: def.name,
        fields: [def.name],
      };
  }
}

function catalogFeature(def: FeatureDefinition, baseCurrency: string): CatalogFeature {
  return {
    name: def.name,
    ...placementOf(def),
    valueType: catalogValueType(def),
    coreType: def.type,
    unit: unitOf(def, baseCurrency),
    emptyValue: def.emptyValue,
    meaning: def.meaning,
    origin: def.origin,
    parity: def.origin === 'accelerator',
    compared: def.compared,
    lifetime: lifetimeOf(def),
  };
}

/**
 * Builds the catalogue for an engine configuration (the definition version and the money unit depend
 * on it). Pure: the same definitions give the same document, byte for byte once stringified.
 */
export function buildFeatureCatalog(config: EngineConfig = DEFAULT_CONFIG): FeatureCatalog {
  return {
    format: CATALOG_FORMAT,
    schema: CATALOG_SCHEMA_VERSION,
    definitionVersion: definitionVersion(config),
    definitionRevision: DEFINITION_REVISION,
    baseCurrency: config.baseCurrency,
    identity: {
      userKey: 'Snowplow user_id when non-empty, otherwise domain_userid',
      sessionKey: 'the client_session entity sessionId, otherwise domain_sessionid',
    },
    absentMeansEmpty: true,
    windows: WINDOWS.map((w) => ({ id: w.id, lengthMs: w.tileMs * w.tiles, tileMs: w.tileMs, tiles: w.tiles })),
    sessionGapMs: SESSION_GAP_MS,
    hashes: { user: userHashKey(USER_KEY), session: sessionHashKey(SESSION_KEY) },
    metaFields: (Object.keys(HASH_META_FIELDS) as (keyof typeof HASH_META_FIELDS)[]).map((name) => ({
      field: HASH_META_FIELDS[name],
      meaning: META_MEANINGS[name],
    })),
    valueTypes: CATALOG_VALUE_TYPES,
    features: FEATURE_DEFINITIONS.map((def) => catalogFeature(def, config.baseCurrency)),
  };
}
