/**
 * Canonical text → typed value: the pure half of the read client (`@tandem/feature-core/read`). Every
 * value in Redis was written by the one canonical serializer (`src/canonical.ts`), so parsing is
 * strict: text in any other form is reported, never guessed at. Nothing here throws on input.
 */
import { type CatalogValueType, catalogValueType } from './catalog.js';
import { type FeatureDefinition, ROLLING_FEATURES, SESSION_FEATURES, USER_FEATURES } from './definitions.js';
import type { WindowId } from './engine/windows.js';
import { HASH_META_FIELDS, rollingField } from './keys.js';

/** A price range, in base-currency units (`12.99-149.95` → `{ min: 12.99, max: 149.95 }`). */
export interface FeatureRange {
  readonly min: number;
  readonly max: number;
}

/** Any parsed feature value. */
export type FeatureValue =
  | number
  | boolean
  | string
  | FeatureRange
  | Readonly<Record<string, number>>
  | readonly string[];

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const INTEGER = /^(0|[1-9][0-9]*)$/;
const DECIMAL = '-?(?:0|[1-9][0-9]*)\\.[0-9]{2}';
const DECIMAL_ONLY = new RegExp(`^${DECIMAL}$`);
const RANGE = new RegExp(`^(${DECIMAL})-(${DECIMAL})$`);

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function parseInteger(text: string): ParseResult<number> {
  if (!INTEGER.test(text)) return fail('not a canonical integer');
  const value = Number(text);
  return Number.isSafeInteger(value) ? { ok: true, value } : fail('integer beyond 2^53');
}

function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return fail('not JSON');
  }
}

/**
 * Parses one canonical value of a catalogue value type: integers and epoch ms as safe integers,
 * decimals (exactly 2 places) as numbers, ranges as `{ min, max }`, JSON objects of counts, JSON
 * arrays of strings, `true`/`false` as booleans, strings as they are (but never empty: an empty
 * value is never written).
 */
export function parseCanonicalValue(type: CatalogValueType, text: string): ParseResult<FeatureValue> {
  switch (type) {
    case 'integer':
    case 'epoch-ms':
      return parseInteger(text);
    case 'decimal':
      return DECIMAL_ONLY.test(text) ? { ok: true, value: Number(text) } : fail('not a decimal with 2 places');
    case 'range': {
      const match = RANGE.exec(text);
      if (match === null) return fail('not "min-max" with 2 decimal places each');
      const min = Number(match[1]);
      const max = Number(match[2]);
      return min <= max ? { ok: true, value: { min, max } } : fail('min above max');
    }
    case 'json-object': {
      const parsed = parseJson(text);
      if (!parsed.ok) return parsed;
      const value = parsed.value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('not a JSON object');
      for (const count of Object.values(value)) {
        if (!Number.isSafeInteger(count)) return fail('a JSON object value is not an integer');
      }
      return { ok: true, value: value as Record<string, number> };
    }
    case 'json-array': {
      const parsed = parseJson(text);
      if (!parsed.ok) return parsed;
      if (!Array.isArray(parsed.value)) return fail('not a JSON array');
      if (!parsed.value.every((item) => typeof item === 'string')) return fail('a JSON array item is not a string');
      return { ok: true, value: parsed.value as string[] };
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? { ok: true, value: text === 'true' } : fail('not true or false');
    case 'string':
      return text === '' ? fail('an empty string is never written') : { ok: true, value: text };
  }
}

/** One readable field of a feature hash. */
export interface ReadField {
  readonly field: string;
  readonly feature: string;
  readonly valueType: CatalogValueType;
  /** The canonical text an absent field stands for; null = "no value". */
  readonly emptyValue: string | null;
  /** The rolling window of a `{name}_{window}` field; null otherwise. */
  readonly window: WindowId | null;
}

function readField(
  def: Pick<FeatureDefinition, 'name' | 'type' | 'emptyValue'>,
  field: string,
  window: WindowId | null,
): ReadField {
  return { field, feature: def.name, valueType: catalogValueType(def), emptyValue: def.emptyValue, window };
}

/** Every feature field of a user hash (`features:user:{userKey}`), in catalogue order. */
export const USER_READ_FIELDS: readonly ReadField[] = [
  ...ROLLING_FEATURES.flatMap((def) =>
    def.windows.map((window) => readField(def, rollingField(def.name, window), window)),
  ),
  ...USER_FEATURES.map((def) => readField(def, def.name, null)),
];

/** Every feature field of a session hash (`features:session:{sessionKey}`). */
export const SESSION_READ_FIELDS: readonly ReadField[] = SESSION_FEATURES.map((def) => readField(def, def.name, null));

/** The hash's metadata, beside the feature fields. */
export interface HashMeta {
  /** `_v`: the definition version that wrote the hash; null when the hash is absent. */
  readonly version: string | null;
  /** `_at`: when the values were evaluated, epoch ms (server clock); null when absent. */
  readonly evaluatedAtMs: number | null;
  /** `_events`: events applied to the lane; null when absent. */
  readonly eventsApplied: number | null;
  /** `_overflow`: fields whose capped sets overflowed (their values are approximate); usually empty. */
  readonly overflowed: readonly string[];
}

/** A field whose text does not parse as its value type. */
export interface InvalidField {
  readonly field: string;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedHash {
  /** Every requested field, its parsed value or the parsed empty value (null = "no value"). */
  readonly values: Readonly<Record<string, FeatureValue | null>>;
  readonly meta: HashMeta;
}

function parseMetaInteger(text: string | undefined, field: string, invalid: InvalidField[]): number | null {
  if (text === undefined) return null;
  const parsed = parseInteger(text);
  if (parsed.ok) return parsed.value;
  invalid.push({ field, text, reason: parsed.reason });
  return null;
}

/**
 * Parses a feature hash as `HGETALL` returned it (field → canonical text; `{}` when the hash is
 * absent). Every field in `fields` gets a value: its parsed text, or its parsed empty value when the
 * field is absent. Fields not in `fields` (another window, another definition version's features)
 * are ignored. Any text that does not parse is reported as `invalid`, with every such field.
 */
export function parseFeatureHash(
  record: Readonly<Record<string, string>>,
  fields: readonly ReadField[],
):
  | { readonly ok: true; readonly value: ParsedHash }
  | { readonly ok: false; readonly invalid: readonly InvalidField[] } {
  const invalid: InvalidField[] = [];
  const values: Record<string, FeatureValue | null> = {};
  for (const spec of fields) {
    const text = record[spec.field] ?? spec.emptyValue;
    if (text === null) {
      values[spec.field] = null;
      continue;
    }
    const parsed = parseCanonicalValue(spec.valueType, text);
    if (parsed.ok) values[spec.field] = parsed.value;
    else invalid.push({ field: spec.field, text, reason: `${parsed.reason} (${spec.valueType})` });
  }
  const overflow = record[HASH_META_FIELDS.overflow];
  const meta: HashMeta = {
    version: record[HASH_META_FIELDS.version] ?? null,
    evaluatedAtMs: parseMetaInteger(record[HASH_META_FIELDS.evaluatedAt], HASH_META_FIELDS.evaluatedAt, invalid),
    eventsApplied: parseMetaInteger(record[HASH_META_FIELDS.events], HASH_META_FIELDS.events, invalid),
    overflowed: overflow === undefined || overflow === '' ? [] : overflow.split(','),
  };
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, value: { values, meta } };
}

/**
 * An `HGETALL` reply as field → text. ioredis gives an object of strings; `@upstash/redis` created
 * with `automaticDeserialization: false` gives Redis's flat `[field, value, ...]` array (`[]` or null
 * for an absent hash). A value that is not a string means the client parsed it (`@upstash/redis`'s
 * default turns `"3"` into 3 and `"true"` into true, and loses a category named `"1e3"`): refused,
 * since the canonical text cannot be recovered in general.
 */
export function hashRecordOf(
  reply: unknown,
):
  | { readonly ok: true; readonly value: Record<string, string> }
  | { readonly ok: false; readonly reason: 'deserialized_reply' | 'unexpected_reply'; readonly detail: string } {
  if (reply === null || reply === undefined) return { ok: true, value: {} };
  const unexpected = (detail: string) => ({ ok: false, reason: 'unexpected_reply', detail }) as const;
  const record: Record<string, string> = {};
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) return unexpected('a flat reply with an odd number of items');
    for (let i = 0; i < reply.length; i += 2) {
      const field = reply[i] as unknown;
      const value = reply[i + 1] as unknown;
      if (typeof field !== 'string') return unexpected(`a field name of type ${typeof field}`);
      if (typeof value !== 'string')
        return { ok: false, reason: 'deserialized_reply', detail: `field ${field} came back as ${typeof value}` };
      record[field] = value;
    }
    return { ok: true, value: record };
  }
  if (typeof reply !== 'object') return unexpected(`a reply of type ${typeof reply}`);
  for (const [field, value] of Object.entries(reply)) {
    if (typeof value !== 'string')
      return { ok: false, reason: 'deserialized_reply', detail: `field ${field} came back as ${typeof value}` };
    record[field] = value;
  }
  return { ok: true, value: record };
}
