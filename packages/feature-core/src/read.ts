/**
 * @tandem/feature-core/read: the typed read client for other backends. Reads a shopper's feature
 * hash (`features:user:{userKey}`, `features:session:{sessionKey}`) with one `HGETALL` and parses
 * every canonical value into its type, with absent fields as the documented empty value
 * (docs/catalog.md). Dependency-free: it takes any client with `hgetall(key)`.
 *
 * - ioredis: `new Redis(url)` as it is (HGETALL answers an object of strings).
 * - @upstash/redis: create it with `automaticDeserialization: false`. Its default JSON-parses every
 *   value (`"3"` → 3, `"true"` → true, a category named `"1e3"` → 1000), which loses the canonical
 *   text; the reader refuses such a reply with a `FeatureReadError` (`deserialized_reply`).
 */
import type { EngineConfig } from './engine/config.js';
import type { WindowId } from './engine/windows.js';
import { WINDOW_IDS } from './engine/windows.js';
import { HASH_META_FIELDS, sessionHashKey, userHashKey } from './keys.js';
import type {
  RollingFeatureValues,
  RollingFeatureWindows,
  SessionFeatureValues,
  UnwindowedUserFeatureValues,
} from './read-fields.js';
import {
  type HashMeta,
  hashRecordOf,
  type InvalidField,
  parseFeatureHash,
  type ReadField,
  SESSION_READ_FIELDS,
  USER_READ_FIELDS,
} from './read-values.js';
import { definitionVersion } from './version.js';

export type {
  RollingFeatureValues,
  RollingFeatureWindows,
  SessionFeatureValues,
  UnwindowedUserFeatureValues,
} from './read-fields.js';
export {
  type FeatureRange,
  type FeatureValue,
  type HashMeta,
  hashRecordOf,
  type InvalidField,
  type ParsedHash,
  type ParseResult,
  parseCanonicalValue,
  parseFeatureHash,
  type ReadField,
  SESSION_READ_FIELDS,
  USER_READ_FIELDS,
} from './read-values.js';

/**
 * The one method the reader calls. ioredis's `Redis` and `Cluster` and `@upstash/redis`'s `Redis`
 * all fit as they are (the latter must be created with `automaticDeserialization: false`).
 */
export interface FeatureHashReader {
  hgetall(key: string): Promise<unknown>;
}

/** A user hash's fields, typed, for the windows `W` (every window by default). */
export type UserFeatureValues<W extends WindowId = WindowId> = {
  readonly [K in keyof RollingFeatureValues as `${K}_${RollingFeatureWindows[K] & W}`]: RollingFeatureValues[K];
} & UnwindowedUserFeatureValues;

/** Field names of a user hash (e.g. `product_view_count_5m`, `last_cart_activity_at`). */
export type UserFeatureField<W extends WindowId = WindowId> = keyof UserFeatureValues<W> & string;
/** Field names of a session hash (e.g. `session_page_count`). */
export type SessionFeatureField = keyof SessionFeatureValues & string;

/** What a read gives: the typed values and the hash's metadata. */
export interface FeatureRead<V> {
  /** The Redis hash read, e.g. `features:user:u1`. */
  readonly hashKey: string;
  /** Whether the hash exists. When it does not, every value is its empty value (nothing recorded, or expired). */
  readonly found: boolean;
  /** Every feature field: its value, or its empty value when the field is absent (null = "no value"). */
  readonly values: V;
  /** `_v`, `_at`, `_events`, `_overflow`. */
  readonly meta: HashMeta;
  /** The version the read was checked against (`expectedVersion`, else `definitionVersion(config)`). */
  readonly readerVersion: string;
  /**
   * True when the hash was written by another definition version than the reader's: values may mean
   * something else (a window, cap or computation changed). Upgrade the reader, or treat them as unknown.
   */
  readonly versionMismatch: boolean;
  /** The canonical strings as stored, including fields this reader does not know. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface ReadOptions {
  /**
   * `flag` (default): return the values with `versionMismatch: true`. `throw`: a `FeatureReadError`
   * with code `version_mismatch` instead.
   */
  readonly onVersionMismatch?: 'flag' | 'throw';
  /**
   * The writer's engine configuration: its base currency and FX rates are part of the definition
   * version (an aggregator run with `BASE_CURRENCY=EUR` stamps another `_v` than the default USD).
   * Default feature-core's `DEFAULT_CONFIG`.
   */
  readonly config?: EngineConfig;
  /**
   * The version the caller expects, e.g. `definitionVersion` from the store's `GET /api/catalog`;
   * default `definitionVersion(config)`.
   */
  readonly expectedVersion?: string;
}

export interface UserReadOptions<W extends WindowId> extends ReadOptions {
  /** Only these windows' rolling fields (the read is one HGETALL either way); default all. */
  readonly windows?: readonly W[];
}

export type FeatureReadErrorCode =
  /** An empty key, an unknown window or option. */
  | 'invalid_argument'
  /** The client parsed the values (`@upstash/redis` without `automaticDeserialization: false`). */
  | 'deserialized_reply'
  /** The client answered something that is not an HGETALL reply. */
  | 'unexpected_reply'
  /** A stored value does not parse as its feature's type. */
  | 'invalid_value'
  /** The hash was written by another definition version and `onVersionMismatch` is `throw`. */
  | 'version_mismatch';

/** Why a read failed. None of these is helped by retrying; the client's own network errors pass through as they are. */
export class FeatureReadError extends Error {
  override name = 'FeatureReadError';
  readonly retryable = false;
  constructor(
    readonly code: FeatureReadErrorCode,
    message: string,
    /** For `invalid_value`: every field that did not parse. */
    readonly invalid: readonly InvalidField[] = [],
  ) {
    super(message);
  }
}

function requireKey(key: string, what: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new FeatureReadError('invalid_argument', `${what} must be a non-empty string, got ${JSON.stringify(key)}`);
  }
}

async function readHash<V>(
  redis: FeatureHashReader,
  hashKey: string,
  fields: readonly ReadField[],
  options: ReadOptions,
): Promise<FeatureRead<V>> {
  const mode = options.onVersionMismatch ?? 'flag';
  if (mode !== 'flag' && mode !== 'throw') {
    throw new FeatureReadError('invalid_argument', `onVersionMismatch must be 'flag' or 'throw', got ${String(mode)}`);
  }
  const readerVersion = options.expectedVersion ?? definitionVersion(options.config);
  const reply = await redis.hgetall(hashKey);
  const record = hashRecordOf(reply);
  if (!record.ok) {
    const hint =
      record.reason === 'deserialized_reply'
        ? ', not the stored string: create @upstash/redis with automaticDeserialization: false'
        : '';
    throw new FeatureReadError(record.reason, `HGETALL ${hashKey}: ${record.detail}${hint}`);
  }
  const raw = record.value;
  const found = Object.keys(raw).length > 0;
  const written = raw[HASH_META_FIELDS.version];
  const versionMismatch = found && written !== readerVersion;
  if (versionMismatch && mode === 'throw') {
    throw new FeatureReadError(
      'version_mismatch',
      `${hashKey} was written by definition version ${written ?? '(none)'}, this reader is ${readerVersion}`,
    );
  }
  const parsed = parseFeatureHash(raw, fields);
  if (!parsed.ok) {
    const list = parsed.invalid.map((f) => `${f.field}=${JSON.stringify(f.text)}: ${f.reason}`).join('; ');
    const hint = versionMismatch ? ` (written by definition version ${written}, this reader is ${readerVersion})` : '';
    throw new FeatureReadError('invalid_value', `${hashKey}: ${list}${hint}`, parsed.invalid);
  }
  return {
    hashKey,
    found,
    values: parsed.value.values as V,
    meta: parsed.value.meta,
    readerVersion,
    versionMismatch,
    raw,
  };
}

/**
 * Reads a user's features (`features:user:{userKey}`), every window or only `options.windows`.
 * Values are as of the hash's `_at` (the aggregator rewrites them when an event arrives or leaves a
 * window). Throws `FeatureReadError` for bad arguments and unparseable replies; the client's own
 * errors (connection, timeout) pass through.
 */
export async function readUserFeatures<W extends WindowId = WindowId>(
  redis: FeatureHashReader,
  userKey: string,
  options: UserReadOptions<W> = {},
): Promise<FeatureRead<UserFeatureValues<W>>> {
  requireKey(userKey, 'userKey');
  let fields = USER_READ_FIELDS;
  if (options.windows !== undefined) {
    const wanted = new Set<WindowId>(options.windows);
    for (const window of wanted) {
      if (!WINDOW_IDS.includes(window)) {
        throw new FeatureReadError(
          'invalid_argument',
          `unknown window ${JSON.stringify(window)}: one of ${WINDOW_IDS.join(', ')}`,
        );
      }
    }
    fields = fields.filter((field) => field.window === null || wanted.has(field.window));
  }
  return readHash<UserFeatureValues<W>>(redis, userHashKey(userKey), fields, options);
}

/** Reads a session's features (`features:session:{sessionKey}`); see `readUserFeatures`. */
export async function readSessionFeatures(
  redis: FeatureHashReader,
  sessionKey: string,
  options: ReadOptions = {},
): Promise<FeatureRead<SessionFeatureValues>> {
  requireKey(sessionKey, 'sessionKey');
  return readHash<SessionFeatureValues>(redis, sessionHashKey(sessionKey), SESSION_READ_FIELDS, options);
}
