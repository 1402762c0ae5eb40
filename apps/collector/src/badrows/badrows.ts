/**
 * Snowplow bad rows: self-describing JSON under `iglu:com.snowplowanalytics.snowplow.badrows/<type>/jsonschema/2-0-x`
 * (SNOWPLOW.md §2), each with `processor`, `failure` (timestamp, messages or reason) and `payload`. Downstream
 * tools count them by type, so the schema URIs are the real ones; the shapes follow Snowplow's 2-0-x schemas
 * closely but are built here from the documented facts.
 *
 * Every builder returns plain JSON (strings, numbers, arrays, objects) with large strings truncated, so a
 * row is always serialisable and bounded whatever the input.
 */

/** The bad row types the collector and enrich emit. */
export type BadRowType =
  | 'size_violation'
  | 'cpformat_violation'
  | 'tracker_protocol_violations'
  | 'schema_violations'
  | 'enrichment_failures';

/** The version of each type's schema (Snowplow's current 2-0-x revisions). */
export const BAD_ROW_SCHEMA_VERSIONS: Readonly<Record<BadRowType, string>> = {
  size_violation: '2-0-0',
  cpformat_violation: '2-0-0',
  tracker_protocol_violations: '2-0-0',
  schema_violations: '2-0-0',
  enrichment_failures: '2-0-0',
};

export function badRowSchema<T extends BadRowType>(
  type: T,
): `iglu:com.snowplowanalytics.snowplow.badrows/${T}/jsonschema/${string}` {
  return `iglu:com.snowplowanalytics.snowplow.badrows/${type}/jsonschema/${BAD_ROW_SCHEMA_VERSIONS[type]}`;
}

/** Who produced the bad row. */
export interface Processor {
  artifact: string;
  version: string;
}

export const DEFAULT_PROCESSOR: Processor = { artifact: 'tandem-collector', version: '0.1.0' };

/** Longest string kept in a bad row (payloads and messages); longer ones are cut and marked. */
export const MAX_STRING_CHARS = 10_000;
/** How many characters of an oversized body a `size_violation` keeps (Snowplow keeps the start of the body). */
export const SIZE_VIOLATION_PAYLOAD_CHARS = 5_000;
const MAX_DEPTH = 20;
const MAX_ITEMS = 200;

/** A bad row; `T` is its type, also in the schema URI (see `badRowType`). */
export interface BadRow<T extends BadRowType = BadRowType> {
  schema: `iglu:com.snowplowanalytics.snowplow.badrows/${T}/jsonschema/${string}`;
  data: {
    processor: Processor;
    failure: Record<string, unknown>;
    payload: unknown;
  };
}

export interface BuildOptions {
  processor?: Processor;
  /** Failure time; default now. */
  now?: Date | number;
}

/** Cuts a string to `max` characters, marking the cut. */
export function truncate(value: string, max = MAX_STRING_CHARS): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}…[truncated ${value.length - max} chars]`;
}

/**
 * A JSON-safe, bounded copy of any value: strings truncated, arrays and objects capped in size and depth,
 * non-finite numbers, bigints, functions and symbols turned into strings or null, cycles cut.
 */
export function boundedJson(value: unknown, maxString = MAX_STRING_CHARS): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || v === undefined) return null;
    switch (typeof v) {
      case 'string':
        return truncate(v, maxString);
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        return v;
      case 'bigint':
        return v.toString();
      case 'object': {
        if (depth >= MAX_DEPTH) return '[too deep]';
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
        try {
          if (Array.isArray(v)) {
            const out = v.slice(0, MAX_ITEMS).map((item) => walk(item, depth + 1));
            if (v.length > MAX_ITEMS) out.push(`[${v.length - MAX_ITEMS} more items]`);
            return out;
          }
          if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
          if (v instanceof Uint8Array) return truncate(Buffer.from(v).toString('utf8'), maxString);
          const out: Record<string, unknown> = {};
          let count = 0;
          for (const key of Object.keys(v)) {
            if (count++ >= MAX_ITEMS) {
              out['…'] = `[${Object.keys(v).length - MAX_ITEMS} more keys]`;
              break;
            }
            out[truncate(key, 256)] = walk((v as Record<string, unknown>)[key], depth + 1);
          }
          return out;
        } finally {
          seen.delete(v);
        }
      }
      default:
        return String(v);
    }
  };
  return walk(value, 0);
}

function timestamp(now: Date | number | undefined): string {
  const date = now === undefined ? new Date() : new Date(now);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}

function build<T extends BadRowType>(
  type: T,
  failure: Record<string, unknown>,
  payload: unknown,
  options: BuildOptions,
): BadRow<T> {
  return {
    schema: badRowSchema(type),
    data: {
      processor: { ...(options.processor ?? DEFAULT_PROCESSOR) },
      failure: { timestamp: timestamp(options.now), ...(boundedJson(failure) as Record<string, unknown>) },
      payload: boundedJson(payload),
    },
  };
}

/** The raw collector payload a bad row refers to, as far as the collector knows it. */
export interface RawCollectorPayload {
  /** Vendor/version path, e.g. `com.snowplowanalytics.snowplow/tp2` or `i`. */
  path?: string;
  querystring?: string | null;
  body?: string | null;
  contentType?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  refererUri?: string | null;
  networkUserId?: string | null;
  /** Collector receive time, epoch ms. */
  timestamp?: number;
  headers?: Record<string, string | null | undefined>;
}

function collectorPayload(raw: RawCollectorPayload): Record<string, unknown> {
  return {
    vendor: 'com.snowplowanalytics.snowplow',
    version: raw.path === 'i' ? 'i' : 'tp2',
    querystring: raw.querystring ?? null,
    contentType: raw.contentType ?? null,
    body: raw.body ?? null,
    collector: DEFAULT_PROCESSOR.artifact,
    encoding: 'UTF-8',
    hostname: null,
    timestamp: raw.timestamp === undefined ? null : timestamp(raw.timestamp),
    ipAddress: raw.ipAddress ?? null,
    useragent: raw.userAgent ?? null,
    refererUri: raw.refererUri ?? null,
    headers: raw.headers
      ? Object.entries(raw.headers)
          .filter(([, v]) => typeof v === 'string')
          .map(([k, v]) => `${k}: ${v}`)
      : [],
    networkUserId: raw.networkUserId ?? null,
  };
}

/** A request body larger than the collector accepts; the payload is the start of the body. */
export function sizeViolation(
  input: { maximumAllowedSizeBytes: number; actualSizeBytes: number; body: string; expectation?: string },
  options: BuildOptions = {},
): BadRow<'size_violation'> {
  return build(
    'size_violation',
    {
      maximumAllowedSizeBytes: input.maximumAllowedSizeBytes,
      actualSizeBytes: input.actualSizeBytes,
      expectation:
        input.expectation ??
        `collector payload must be at most ${input.maximumAllowedSizeBytes} bytes, was ${input.actualSizeBytes}`,
    },
    { event: truncate(input.body, SIZE_VIOLATION_PAYLOAD_CHARS) },
    options,
  );
}

/** A request the collector could not read as a Snowplow payload (bad JSON, not payload_data, bad query string). */
export function cpformatViolation(
  input: { message: string; raw: RawCollectorPayload; expectation?: string },
  options: BuildOptions = {},
): BadRow<'cpformat_violation'> {
  return build(
    'cpformat_violation',
    {
      loader: input.raw.path === 'i' ? 'GET /i' : 'POST tp2',
      message: { error: input.message, ...(input.expectation ? { expectation: input.expectation } : {}) },
    },
    { payload: collectorPayload(input.raw) },
    options,
  );
}

/** One tracker protocol problem: a field missing or holding a bad value. */
export interface TrackerProtocolMessage {
  field: string;
  value: string | null;
  error: 'missing' | 'invalid' | string;
  expectation: string;
}

/** One event that breaks the tracker protocol (missing e/eid/tv/p, bad values); payload = the raw event. */
export function trackerProtocolViolations(
  input: { messages: TrackerProtocolMessage[]; event: Record<string, unknown>; raw?: RawCollectorPayload },
  options: BuildOptions = {},
): BadRow<'tracker_protocol_violations'> {
  return build(
    'tracker_protocol_violations',
    {
      vendor: 'com.snowplowanalytics.snowplow',
      version: input.raw?.path === 'i' ? 'i' : 'tp2',
      messages: input.messages.map((m) => ({
        field: m.field,
        value: m.value,
        error: m.error,
        expectation: m.expectation,
      })),
    },
    { raw: { ...(input.raw ? collectorPayload(input.raw) : {}), parameters: input.event } },
    options,
  );
}

/** One schema's failure: which `iglu:` URI, and why (not found, invalid data with per-path messages). */
export interface SchemaViolationMessage {
  schemaKey: string;
  /** `ResolutionError` when the schema is unknown; `ValidationError` when the data does not match. */
  error: 'ResolutionError' | 'ValidationError' | string;
  messages: { path: string; message: string; keyword?: string }[];
}

/** An event whose self-describing event (ue) or entities (co) fail Iglu validation; messages per schema. */
export function schemaViolations(
  input: { violations: SchemaViolationMessage[]; event: Record<string, unknown>; raw?: RawCollectorPayload },
  options: BuildOptions = {},
): BadRow<'schema_violations'> {
  return build(
    'schema_violations',
    {
      messages: input.violations.map((v) => ({
        schemaKey: v.schemaKey,
        error: {
          error: v.error,
          dataReports: v.messages.map((m) => ({
            message: m.message,
            path: m.path,
            ...(m.keyword ? { keyword: m.keyword } : {}),
          })),
        },
      })),
    },
    { raw: { ...(input.raw ? collectorPayload(input.raw) : {}), parameters: input.event } },
    options,
  );
}

/** An event that failed acceptance or enrichment, with a reason code from a closed set and detail. */
export function enrichmentFailures(
  input: {
    reason: string;
    detail: string;
    event: Record<string, unknown>;
    enrichment?: string;
    raw?: RawCollectorPayload;
  },
  options: BuildOptions = {},
): BadRow<'enrichment_failures'> {
  return build(
    'enrichment_failures',
    {
      messages: [
        {
          enrichment: input.enrichment
            ? { schemaKey: input.enrichment, identifier: input.enrichment.split('/').at(-3) ?? input.enrichment }
            : null,
          message: { error: input.reason, detail: input.detail },
        },
      ],
    },
    { raw: { ...(input.raw ? collectorPayload(input.raw) : {}), parameters: input.event } },
    options,
  );
}

/** The type of a bad row, read from its schema URI; null for anything else. */
export function badRowType(row: unknown): BadRowType | null {
  if (typeof row !== 'object' || row === null) return null;
  const schema = (row as { schema?: unknown }).schema;
  if (typeof schema !== 'string') return null;
  const match = /^iglu:com\.snowplowanalytics\.snowplow\.badrows\/([a-z_]+)\/jsonschema\/2-0-\d+$/.exec(schema);
  const type = match?.[1];
  return type !== undefined && type in BAD_ROW_SCHEMA_VERSIONS ? (type as BadRowType) : null;
}
