/**
 * Client digests (ARCHITECTURE.md "Reconciliation and drift"): the browser's compact statement of
 * "after exactly these events, under this definition version, my compared features were these
 * canonical strings", sent as its own self-describing event; and the server-side comparison of a
 * digest with the server's values over the same events, with a cause for any drift, plus the
 * rollups the drift dashboard reads. Pure: no clock, no IO; time and evidence are passed in.
 */
import { canonicalJson } from './canonical.js';
import { FEATURE_DEFINITIONS, type FeatureDefinition } from './definitions.js';
import { type EventSetHash, formatEventSetHash } from './event-set-hash.js';
import { hash53 } from './hash.js';
import { rollingField } from './keys.js';
import { ok, type Result, reject } from './result.js';

/** Iglu URI of the digest event (vendor `com.tandem`). */
export const FEATURE_DIGEST_SCHEMA_URI = 'iglu:com.tandem/feature_digest/jsonschema/1-0-0';

/** Longest canonical value a digest carries (a `return_view_count` of ~300 products). */
const MAX_VALUE_LENGTH = 8192;

/**
 * The digest's Iglu JSON Schema (draft-04 with Snowplow's `self` block). Served by the store under
 * `/iglu/` and loaded by the collector's registry; a JSON-serializable constant.
 */
export const FEATURE_DIGEST_SCHEMA = {
  $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
  description:
    "A browser's digest of its Tandem feature values: the events it covers and the canonical strings of its compared features.",
  self: { vendor: 'com.tandem', name: 'feature_digest', format: 'jsonschema', version: '1-0-0' },
  type: 'object',
  properties: {
    v: { description: 'Definition version hash of the browser engine.', type: 'string', maxLength: 64 },
    u: { description: 'User key (user_id, else domain_userid).', type: 'string', maxLength: 255 },
    s: { description: 'Session key.', type: 'string', maxLength: 255 },
    e: { description: 'Event id of the last event covered.', type: 'string', maxLength: 64 },
    n: { description: 'Number of distinct events covered.', type: 'integer', minimum: 0, maximum: 9007199254740991 },
    h: {
      description: 'Order-independent hash of the covered event ids, base 36.',
      type: 'string',
      maxLength: 11,
      pattern: '^[0-9a-z]+$',
    },
    t: {
      description: "Evaluation time, epoch ms, on the device's clock (the clock its events are stamped with).",
      type: 'integer',
      minimum: 0,
    },
    x: { description: 'Hash of the values in f, base 36.', type: 'string', maxLength: 11, pattern: '^[0-9a-z]+$' },
    f: {
      description: 'Compared feature field -> canonical value; absent means the empty value.',
      type: 'object',
      maxProperties: 128,
      additionalProperties: { type: 'string', maxLength: MAX_VALUE_LENGTH },
    },
    o: {
      description: 'Fields left out because a capped set overflowed.',
      type: 'array',
      maxItems: 128,
      items: { type: 'string', maxLength: 64 },
    },
  },
  required: ['v', 'u', 's', 'e', 'n', 'h', 't', 'x', 'f'],
  additionalProperties: false,
} as const;

// ---------------------------------------------------------------------------------------------
// Event-set hash (event-set-hash.ts), re-exported: digests name their events with it.

export {
  addEventId,
  EMPTY_EVENT_SET_HASH,
  type EventSetHash,
  eventSetHashOf,
  formatEventSetHash,
} from './event-set-hash.js';

// ---------------------------------------------------------------------------------------------
// Compared fields

/** How a compared field rolls up on the dashboard: its feature and window (`session`, or the
 * window an unwindowed user feature is computed over). */
export interface ComparedField {
  readonly field: string;
  readonly feature: string;
  readonly window: string;
  readonly def: FeatureDefinition;
}

/** Every field browser and server compare (definitions with `compared: true`), in catalogue order. */
export const COMPARED_FIELDS: readonly ComparedField[] = FEATURE_DEFINITIONS.filter((def) => def.compared).flatMap(
  (def): ComparedField[] => {
    if (def.lane === 'user')
      return def.windows.map((w) => ({ field: rollingField(def.name, w), feature: def.name, window: w, def }));
    if (def.lane === 'user-unwindowed') return [{ field: def.name, feature: def.name, window: def.window, def }];
    return [{ field: def.name, feature: def.name, window: 'session', def }];
  },
);

const COMPARED_BY_FIELD = new Map(COMPARED_FIELDS.map((c) => [c.field, c]));

/** Whether a field's value is a decimal (money, ratio): SMAPE is computed for it. */
function isDecimal(def: FeatureDefinition): boolean {
  return def.type === 'money' || def.type === 'ratio';
}

/**
 * The compared values of a user lane and a session lane, as a digest (or a server) carries them:
 * only compared fields, only non-empty values (absent = empty value), without `overflowed` fields.
 */
export function comparedValues(
  lanes: Iterable<ReadonlyMap<string, string>>,
  overflowed: Iterable<string> = [],
): Record<string, string> {
  const skip = new Set(overflowed);
  const out: Record<string, string> = {};
  for (const values of lanes) {
    for (const [field, value] of values) {
      if (COMPARED_BY_FIELD.has(field) && !skip.has(field)) out[field] = value;
    }
  }
  return out;
}

/** Hash of a compared-values record (canonical JSON, keys sorted), base 36: equal hashes = all equal. */
export function digestValuesHash(values: Readonly<Record<string, string>>): string {
  return hash53(canonicalJson(values)).toString(36);
}

// ---------------------------------------------------------------------------------------------
// The digest

/** The digest event's data (schema `FEATURE_DIGEST_SCHEMA_URI`). One-letter names keep it small. */
export interface FeatureDigest {
  /** Definition version (`definitionVersion()`). */
  readonly v: string;
  /** User key. */
  readonly u: string;
  /** Session key. */
  readonly s: string;
  /** Event id of the last covered event (by (time, event id)). */
  readonly e: string;
  /** Number of distinct covered events. */
  readonly n: number;
  /** `formatEventSetHash` of the covered event ids. */
  readonly h: string;
  /** Evaluation time, epoch ms, on the device's clock (the one its events' true timestamps use). */
  readonly t: number;
  /** `digestValuesHash(f)`. */
  readonly x: string;
  /** Compared field → canonical value; absent = the feature's empty value. */
  readonly f: Readonly<Record<string, string>>;
  /** Fields left out because a capped set overflowed; absent when none. */
  readonly o?: readonly string[];
}

export interface DigestInput {
  readonly definitionVersion: string;
  readonly userKey: string;
  readonly sessionKey: string;
  readonly lastEventId: string;
  /** Distinct events covered (those added to `eventSetHash`). */
  readonly eventCount: number;
  readonly eventSetHash: EventSetHash;
  /** Evaluation time, epoch ms. */
  readonly atMs: number;
  /** The lanes' canonical values (e.g. `LaneValues.values` of the user and the session lane). */
  readonly values: Iterable<ReadonlyMap<string, string>>;
  /** Fields whose capped sets overflowed (`LaneValues.overflowed`): left out of comparison. */
  readonly overflowed?: Iterable<string>;
}

/**
 * Builds the digest data. Size: a realistic shopper (25 non-empty compared fields, a 36-character
 * UUID event id, user and session key) serializes to 1,119 bytes of JSON (measured in
 * digest.test.ts, which asserts ≤ 1,200); without values it is 218 bytes. Most of it is field
 * names and the two `return_view_count` objects.
 */
export function buildFeatureDigest(input: DigestInput): FeatureDigest {
  const overflowed = [...new Set(input.overflowed ?? [])].filter((field) => COMPARED_BY_FIELD.has(field)).sort();
  const f = comparedValues(input.values, overflowed);
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(f).sort()) sorted[key] = f[key] as string;
  return {
    v: input.definitionVersion,
    u: input.userKey,
    s: input.sessionKey,
    e: input.lastEventId,
    n: input.eventCount,
    h: formatEventSetHash(input.eventSetHash),
    t: input.atMs,
    x: digestValuesHash(sorted),
    f: sorted,
    ...(overflowed.length > 0 ? { o: overflowed } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * Per field: `match` (equal canonical strings, absent read as the empty value), `mismatch` (both
 * present, different), `missing` (the browser has a value, the server lacks it), `extra` (the server
 * has a value, the browser lacks it). Chronon's names.
 */
export type FieldOutcome = 'match' | 'mismatch' | 'missing' | 'extra';

export type DriftCause =
  | 'definition_skew'
  | 'identity_change'
  | 'browser_only_events'
  | 'server_only_events'
  | 'clock_skew'
  | 'unknown';

export const DRIFT_CAUSES: readonly DriftCause[] = [
  'definition_skew',
  'identity_change',
  'browser_only_events',
  'server_only_events',
  'clock_skew',
  'unknown',
];

export interface FieldComparison {
  readonly field: string;
  readonly feature: string;
  readonly window: string;
  readonly outcome: FieldOutcome;
  /** Browser's and server's canonical values; null = absent (the empty value). */
  readonly browser: string | null;
  readonly server: string | null;
  /**
   * For decimal features when both sides read as numbers (absent read as the empty value, when it is
   * one): |b − s| / (|b| + |s|), in [0, 1], 0 when both are 0. Undefined otherwise.
   */
  readonly smape?: number;
}

/** The server's side of a comparison, over the same events as the digest. */
export interface ServerSide {
  readonly definitionVersion: string;
  /** Distinct events the server applied up to the digest's position. */
  readonly eventCount: number;
  /** `formatEventSetHash` of those events' ids. */
  readonly eventSetHash: string;
  /** Field → canonical value (non-empty values; other fields are ignored). */
  readonly values: ReadonlyMap<string, string>;
  /** Server fields whose capped sets overflowed: left out of comparison. */
  readonly overflowed?: Iterable<string>;
  /** Fields the server could not compute over exactly the digest's events: left out of comparison. */
  readonly excluded?: Iterable<string>;
  /** The user key the server saw for the digest's session, when it knows one. */
  readonly userKey?: string;
}

/** Evidence the caller observed beyond the two value sets. */
export interface DriftEvidence {
  /** The shopper's identity changed (e.g. signed in) within the covered events. */
  readonly identityChanged?: boolean;
  /** Device clock minus server clock, ms, as observed (e.g. dvce_sent − collector timestamp). */
  readonly clockOffsetMs?: number;
  /** |clockOffsetMs| above this counts as clock skew. Default `CLOCK_SKEW_THRESHOLD_MS`. */
  readonly clockSkewThresholdMs?: number;
}

/** Default clock-skew threshold: the 5m window's tile (10 s), the smallest offset that moves a tile. */
export const CLOCK_SKEW_THRESHOLD_MS = 10_000;

export interface DigestComparison {
  /** False when the definition versions differ: values are not compared (`fields` is empty). */
  readonly comparable: boolean;
  readonly fields: readonly FieldComparison[];
  /** Whether every compared field matched (and the versions agree). */
  readonly allMatch: boolean;
  /** Why, when anything differs; null when everything matched. */
  readonly cause: DriftCause | null;
  /** The inputs the cause was decided from. */
  readonly causeInputs: CauseInputs;
}

/** Inputs of `driftCause`, explicit so a recorded mismatch can show its evidence. */
export interface CauseInputs {
  readonly versionsDiffer: boolean;
  readonly identityChanged: boolean;
  readonly browserEvents: number;
  readonly serverEvents: number;
  readonly eventSetsDiffer: boolean;
  readonly clockOffsetMs: number | null;
  readonly clockSkewThresholdMs: number;
}

/**
 * The cause of a digest's drift, first match wins:
 * 1. `definition_skew`: the versions differ (nothing else is comparable);
 * 2. `identity_change`: the identity changed (flag, or the server saw another user key), which
 *    moves events between user lanes, so it explains event differences too;
 * 3. `browser_only_events`: the browser counted more events (lost or blocked beacons);
 * 4. `server_only_events`: the server counted more (server-side events);
 * 5. `clock_skew`: same counts, but |device − server clock| exceeds the threshold;
 * 6. `unknown`: otherwise, including equal counts with different event sets (each side has events
 *    the other lacks: recorded in `eventSetsDiffer`).
 * Event evidence goes before clock skew: a missing event is direct evidence, an offset circumstantial.
 */
export function driftCause(inputs: CauseInputs): DriftCause {
  if (inputs.versionsDiffer) return 'definition_skew';
  if (inputs.identityChanged) return 'identity_change';
  if (inputs.browserEvents > inputs.serverEvents) return 'browser_only_events';
  if (inputs.serverEvents > inputs.browserEvents) return 'server_only_events';
  if (inputs.clockOffsetMs !== null && Math.abs(inputs.clockOffsetMs) > inputs.clockSkewThresholdMs)
    return 'clock_skew';
  return 'unknown';
}

/** Chronon's SMAPE of two numbers: |a − b| / (|a| + |b|), in [0, 1]; 0 when both are 0. */
export function smape(a: number, b: number): number {
  const denominator = Math.abs(a) + Math.abs(b);
  return denominator === 0 ? 0 : Math.abs(a - b) / denominator;
}

function asNumber(value: string | null, def: FeatureDefinition): number | undefined {
  const text = value ?? def.emptyValue;
  if (text === null) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Compares a digest with the server's values over the same events: every compared field of the
 * catalogue gets an outcome by exact string comparison (never a tolerance), except fields either side
 * reports as overflowed. Pure.
 */
export function compareDigest(
  digest: FeatureDigest,
  server: ServerSide,
  evidence: DriftEvidence = {},
): DigestComparison {
  const causeInputs: CauseInputs = {
    versionsDiffer: digest.v !== server.definitionVersion,
    identityChanged: evidence.identityChanged === true || (server.userKey !== undefined && server.userKey !== digest.u),
    browserEvents: digest.n,
    serverEvents: server.eventCount,
    eventSetsDiffer: digest.h !== server.eventSetHash,
    clockOffsetMs: evidence.clockOffsetMs ?? null,
    clockSkewThresholdMs: evidence.clockSkewThresholdMs ?? CLOCK_SKEW_THRESHOLD_MS,
  };
  if (causeInputs.versionsDiffer) {
    return { comparable: false, fields: [], allMatch: false, cause: 'definition_skew', causeInputs };
  }
  const skip = new Set([...(digest.o ?? []), ...(server.overflowed ?? []), ...(server.excluded ?? [])]);
  const fields: FieldComparison[] = [];
  let allMatch = true;
  for (const { field, feature, window, def } of COMPARED_FIELDS) {
    if (skip.has(field)) continue;
    const browser = digest.f[field] ?? null;
    const serverValue = server.values.get(field) ?? null;
    const b = browser ?? def.emptyValue;
    const s = serverValue ?? def.emptyValue;
    const outcome: FieldOutcome =
      b === s ? 'match' : serverValue === null ? 'missing' : browser === null ? 'extra' : 'mismatch';
    if (outcome !== 'match') allMatch = false;
    let comparison: FieldComparison = { field, feature, window, outcome, browser, server: serverValue };
    if (isDecimal(def)) {
      const bn = asNumber(browser, def);
      const sn = asNumber(serverValue, def);
      if (bn !== undefined && sn !== undefined) comparison = { ...comparison, smape: smape(bn, sn) };
    }
    fields.push(comparison);
  }
  return { comparable: true, fields, allMatch, cause: allMatch ? null : driftCause(causeInputs), causeInputs };
}

// ---------------------------------------------------------------------------------------------
// Rollups for the dashboard

/** Counts of one field (feature × window) over many digests. */
export interface FieldDriftCounts {
  readonly feature: string;
  readonly window: string;
  readonly compared: number;
  readonly mismatch: number;
  readonly missing: number;
  readonly extra: number;
  /** Sum of SMAPE over comparisons that had one (decimal fields), and their number. */
  readonly smapeSum: number;
  readonly smapeCount: number;
}

/** Rolled-up drift, a plain JSON-serializable value. */
export interface DriftStats {
  /** Digests accumulated, comparable or not. */
  readonly digests: number;
  /** Digests not compared (definition skew). */
  readonly skipped: number;
  /** Digests with drift, by cause. */
  readonly causes: Readonly<Record<DriftCause, number>>;
  /** By field (`product_view_count_5m`, `session_page_count`). */
  readonly fields: Readonly<Record<string, FieldDriftCounts>>;
}

export const EMPTY_DRIFT_STATS: DriftStats = {
  digests: 0,
  skipped: 0,
  causes: Object.fromEntries(DRIFT_CAUSES.map((c) => [c, 0])) as Record<DriftCause, number>,
  fields: {},
};

/** Stats with one comparison added (pure). */
export function accumulateDrift(stats: DriftStats, comparison: DigestComparison): DriftStats {
  const causes =
    comparison.cause === null
      ? stats.causes
      : { ...stats.causes, [comparison.cause]: stats.causes[comparison.cause] + 1 };
  const fields: Record<string, FieldDriftCounts> = { ...stats.fields };
  for (const c of comparison.fields) {
    const prev = fields[c.field] ?? {
      feature: c.feature,
      window: c.window,
      compared: 0,
      mismatch: 0,
      missing: 0,
      extra: 0,
      smapeSum: 0,
      smapeCount: 0,
    };
    fields[c.field] = {
      ...prev,
      compared: prev.compared + 1,
      mismatch: prev.mismatch + (c.outcome === 'mismatch' ? 1 : 0),
      missing: prev.missing + (c.outcome === 'missing' ? 1 : 0),
      extra: prev.extra + (c.outcome === 'extra' ? 1 : 0),
      smapeSum: prev.smapeSum + (c.smape ?? 0),
      smapeCount: prev.smapeCount + (c.smape === undefined ? 0 : 1),
    };
  }
  return {
    digests: stats.digests + 1,
    skipped: stats.skipped + (comparison.comparable ? 0 : 1),
    causes,
    fields,
  };
}

/** Drift ratios of one field: each count ÷ compared; `smape` the mean (null without decimal pairs). */
export interface FieldDriftRatios {
  readonly field: string;
  readonly feature: string;
  readonly window: string;
  readonly compared: number;
  readonly mismatchRatio: number;
  readonly missingRatio: number;
  readonly extraRatio: number;
  readonly smape: number | null;
}

/** Per-field ratios, in catalogue order (fields never compared are left out). */
export function driftRatios(stats: DriftStats): FieldDriftRatios[] {
  const out: FieldDriftRatios[] = [];
  for (const { field } of COMPARED_FIELDS) {
    const c = stats.fields[field];
    if (c === undefined || c.compared === 0) continue;
    out.push({
      field,
      feature: c.feature,
      window: c.window,
      compared: c.compared,
      mismatchRatio: c.mismatch / c.compared,
      missingRatio: c.missing / c.compared,
      extraRatio: c.extra / c.compared,
      smape: c.smapeCount === 0 ? null : c.smapeSum / c.smapeCount,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading a digest back (the server receives it as untrusted JSON)

const BASE36 = /^[0-9a-z]{1,11}$/;

/**
 * Checks untrusted digest data against the schema's rules (types, lengths, required fields, no
 * others) and returns it typed. The collector validates too; this keeps the reconciler safe when it
 * reads a pipeline that does not.
 */
export function parseFeatureDigest(value: unknown): Result<FeatureDigest> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return reject('invalid_field', 'digest: not an object');
  const d = value as Record<string, unknown>;
  const text = (name: string, max: number): string | null => {
    const v = d[name];
    return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
  };
  const count = (name: string): number | null => {
    const v = d[name];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
  };
  for (const name of Object.keys(d))
    if (!FEATURE_DIGEST_SCHEMA.required.includes(name as never) && name !== 'o')
      return reject('invalid_field', `digest: unknown property ${name}`);
  const v = text('v', 64);
  const u = text('u', 255);
  const s = text('s', 255);
  const e = text('e', 64);
  const h = text('h', 11);
  const x = text('x', 11);
  const n = count('n');
  const t = count('t');
  if (v === null || u === null || s === null || e === null || n === null || t === null)
    return reject('invalid_field', 'digest: v, u, s, e, n and t are required and must be well-formed');
  if (h === null || !BASE36.test(h) || x === null || !BASE36.test(x))
    return reject('invalid_field', 'digest: h and x must be base-36 hashes');
  const f = d.f;
  if (typeof f !== 'object' || f === null || Array.isArray(f))
    return reject('invalid_field', 'digest: f must be an object');
  const values: Record<string, string> = {};
  const entries = Object.entries(f as Record<string, unknown>);
  if (entries.length > 128) return reject('invalid_field', 'digest: f has more than 128 properties');
  for (const [field, fieldValue] of entries) {
    if (typeof fieldValue !== 'string' || fieldValue.length > MAX_VALUE_LENGTH)
      return reject('invalid_field', `digest: f.${field} must be a string of at most ${MAX_VALUE_LENGTH} characters`);
    values[field] = fieldValue;
  }
  let o: string[] | undefined;
  if (d.o !== undefined) {
    if (!Array.isArray(d.o) || d.o.length > 128 || !d.o.every((item) => typeof item === 'string' && item.length <= 64))
      return reject('invalid_field', 'digest: o must be a list of field names');
    o = d.o as string[];
  }
  return ok({ v, u, s, e, n, h, t, x, f: values, ...(o === undefined ? {} : { o }) });
}
