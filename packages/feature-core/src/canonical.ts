/**
 * The one canonical serializer: every feature value that is written (Redis, hashes, digests) goes
 * through here, so every writer and reader agrees byte for byte (FEATURES.md "Number formats").
 */

/**
 * `numerator / denominator` rounded half-even to an integer. Both are non-negative integers within
 * 2^53; exact (no floating-point division decides the rounding).
 */
export function divideHalfEven(numerator: number, denominator: number): number {
  const quotient = Math.floor(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  const twice = remainder * 2;
  if (twice > denominator) return quotient + 1;
  if (twice < denominator) return quotient;
  return quotient % 2 === 0 ? quotient : quotient + 1;
}

/** Rounds a non-negative float half-even to an integer (used once per converted price). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Hundredths (integer) as a decimal with exactly 2 places: 11766 → "117.66", 50 → "0.50". */
export function formatHundredths(hundredths: number): string {
  const sign = hundredths < 0 ? '-' : '';
  const abs = Math.abs(hundredths);
  const cents = abs % 100;
  return `${sign}${(abs - cents) / 100}.${cents < 10 ? '0' : ''}${cents}`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON values the canonical JSON writer accepts. */
export type CanonicalJson =
  | string
  | number
  | boolean
  | null
  | readonly CanonicalJson[]
  | { readonly [key: string]: CanonicalJson };

/**
 * Compact canonical JSON: object keys sorted by UTF-16 code unit order (written by hand, since
 * `JSON.stringify` puts integer-like keys first), arrays sorted by value (numbers numerically,
 * strings by code unit), so a set serializes the same whatever the insertion order.
 */
export function canonicalJson(value: CanonicalJson): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value as readonly CanonicalJson[];
    // Sets of strings (device classes, locations) sort as they are; anything else by its canonical text.
    if (items.every((item) => typeof item === 'string')) {
      return `[${[...(items as readonly string[])]
        .sort(compareCodeUnits)
        .map((item) => JSON.stringify(item))
        .join(',')}]`;
    }
    const sorted = [...items].sort((a, b) => {
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      return compareCodeUnits(canonicalJson(a), canonicalJson(b));
    });
    return `[${sorted.map(canonicalJson).join(',')}]`;
  }
  const record = value as { readonly [key: string]: CanonicalJson };
  const keys = Object.keys(record).sort(compareCodeUnits);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = record[key] as CanonicalJson;
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${typeof item === 'number' && Number.isFinite(item) ? String(item) : canonicalJson(item)}`;
  }
  return `${out}}`;
}

/** The value types features declare; each has one canonical text form. */
export type ValueType =
  | 'count'
  | 'money'
  | 'ratio'
  | 'range'
  | 'json'
  | 'string'
  | 'boolean'
  | 'epochMs'
  | 'durationMs';

/** What a feature computes, per value type, before serialization. */
export interface RawValues {
  /** An integer count; 0 is the empty value (key deleted). */
  count: number;
  /** Integer minor units (cents), written with 2 decimals. */
  money: number;
  /** Integer hundredths, written with 2 decimals. */
  ratio: number;
  /** [min, max] in minor units, written `min-max`. */
  range: readonly [number, number];
  /** An object (keys sorted) or a set as an array (sorted). */
  json: CanonicalJson;
  string: string;
  boolean: boolean;
  /** Epoch milliseconds, an integer. */
  epochMs: number;
  /** Milliseconds, an integer. */
  durationMs: number;
}

/** Serializes a raw feature value to its canonical string; null means empty (the key is deleted). */
export function serializeValue<T extends ValueType>(type: T, raw: RawValues[T] | null): string | null {
  if (raw === null) return null;
  switch (type) {
    case 'count':
      return raw === 0 ? null : String(raw);
    case 'money':
    case 'ratio':
      return formatHundredths(raw as number);
    case 'range': {
      const [min, max] = raw as RawValues['range'];
      return `${formatHundredths(min)}-${formatHundredths(max)}`;
    }
    case 'json':
      return canonicalJson(raw as CanonicalJson);
    case 'string':
      return raw === '' ? null : (raw as string);
    case 'boolean':
      return raw ? 'true' : 'false';
    case 'epochMs':
    case 'durationMs':
      return String(raw);
    default:
      return null;
  }
}
