/**
 * Iglu schema registry: loads the JSON Schemas kept in `apps/collector/schemas/<vendor>/<name>/<format>/<version>`
 * (the layout of an Iglu static repository), maps `iglu:` URIs to them and validates data the way Snowplow enrich
 * does. All file reads happen in `createSchemaRegistry`; every other function is pure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_DIGEST_SCHEMA } from '@tandem/feature-core';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';

/** The meta-schema every Snowplow self-describing JSON Schema declares. */
export const SELF_DESC_META_SCHEMA =
  'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#';

export const PAYLOAD_DATA_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
export const UNSTRUCT_EVENT_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
export const CONTEXTS_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';

/** The default schema directory: `apps/collector/schemas`. */
export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../schemas', import.meta.url));

const IGLU_URI =
  /^iglu:([a-zA-Z0-9._-]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/([1-9][0-9]*-(?:0|[1-9][0-9]*)-(?:0|[1-9][0-9]*))$/;
const SCHEMA_VER = /^[1-9][0-9]*-(?:0|[1-9][0-9]*)-(?:0|[1-9][0-9]*)$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
/** Base64 in either alphabet (the tracker sends URL-safe without padding; tolerate the standard one too). */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface SchemaKey {
  vendor: string;
  name: string;
  format: string;
  version: string;
}

export interface ResolvedSchema extends SchemaKey {
  uri: string;
  /** Absolute path of the schema file. */
  path: string;
  /** The parsed schema document, `self` block included. */
  schema: Record<string, unknown>;
}

export type ValidationFailureReason = 'unknown_schema' | 'invalid_uri' | 'invalid_data';

export type ValidationResult = { ok: true } | { ok: false; reason: ValidationFailureReason; messages: string[] };

export interface SelfDescribing {
  schema: string;
  data: unknown;
}

/** The tracker-protocol field a failure came from. */
export type PayloadField = 'ue_pr' | 'ue_px' | 'co' | 'cx';

export interface PayloadEventFailure {
  field: PayloadField;
  reason: ValidationFailureReason | 'invalid_base64' | 'invalid_json' | 'missing';
  /** The schema of the failing part (the envelope or one entity), when known. */
  schema?: string;
  /** Index of the failing entity in the contexts array, when the failure is about one entity. */
  index?: number;
  messages: string[];
}

export interface PayloadEventValidation {
  ok: boolean;
  failures: PayloadEventFailure[];
  /** The self-describing event inside the unstruct envelope, when it decoded and validated. */
  unstructEvent?: SelfDescribing;
  /** The entities of the contexts envelope that decoded and validated. */
  contexts: SelfDescribing[];
}

export interface SchemaRegistryOptions {
  /** Directory laid out as `<vendor>/<name>/<format>/<version>`; defaults to `apps/collector/schemas`. */
  schemasDir?: string;
  /** When true, data under a schema the registry does not know is accepted instead of failing. */
  passThroughUnknown?: boolean;
  /** Schema documents held in code; default the project's own (`PROJECT_SCHEMAS`). */
  documents?: readonly Readonly<Record<string, unknown>>[];
}

/**
 * The project's own schemas (vendor `com.tandem`), defined once in feature-core so the browser that
 * sends the events, this registry and the store's `/iglu/` route share one definition.
 */
export const PROJECT_SCHEMAS: readonly Readonly<Record<string, unknown>>[] = [
  FEATURE_DIGEST_SCHEMA as unknown as Readonly<Record<string, unknown>>,
];

export interface SchemaRegistry {
  /** Every loaded schema's Iglu URI, sorted. */
  readonly uris: readonly string[];
  readonly passThroughUnknown: boolean;
  resolve(uri: string): ResolvedSchema | undefined;
  validate(uri: string, data: unknown): ValidationResult;
  validateSelfDescribing(value: unknown): ValidationResult;
  validatePayloadEvent(event: Record<string, string>): PayloadEventValidation;
}

/** Parses `iglu:vendor/name/format/model-revision-addition`; undefined when the string is not one. */
export function parseIgluUri(uri: string): SchemaKey | undefined {
  const m = IGLU_URI.exec(uri);
  if (!m) return undefined;
  const [, vendor, name, format, version] = m;
  if (!vendor || !name || !format || !version) return undefined;
  return { vendor, name, format, version };
}

export function toIgluUri(key: SchemaKey): string {
  return `iglu:${key.vendor}/${key.name}/${key.format}/${key.version}`;
}

/** Turns an Ajv instance path (`/products/0/price`) into Snowplow's JSONPath style (`$.products[0].price`). */
export function toJsonPath(instancePath: string): string {
  if (instancePath === '') return '$';
  let out = '$';
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^(0|[1-9][0-9]*)$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += `.${seg}`;
    else out += `['${seg.replace(/'/g, "\\'")}']`;
  }
  return out;
}

/** One readable line per Ajv error, e.g. `$.price: must be <= 9999999`. */
export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  if (!errors || errors.length === 0) return ['$: invalid'];
  return errors.map((e) => {
    const path = toJsonPath(e.instancePath);
    let message = e.message ?? 'invalid';
    if (e.keyword === 'additionalProperties') {
      message += ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`;
    } else if (e.keyword === 'enum') {
      message += `: ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
    }
    return `${path}: ${message}`;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile() && !entry.name.startsWith('.')) out.push(full);
  }
  return out;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, multipleOfPrecision: 6, strict: true, allowUnionTypes: true });
  // Snowplow's schemas use these two formats; draft-04 Ajv ships no format implementations.
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', DATE_TIME);
  // The `self` block names the schema; it is metadata, not a constraint.
  ajv.addKeyword({ keyword: 'self', schemaType: 'object' });
  return ajv;
}

interface Entry {
  resolved: ResolvedSchema;
  validate: ValidateFunction;
}

function loadSchema(ajv: Ajv, root: string, file: string): Entry {
  const parts = relative(root, file).split(sep);
  if (parts.length !== 4) throw new Error(`schema file ${file} is not at <vendor>/<name>/<format>/<version>`);
  const [vendor = '', name = '', format = '', version = ''] = parts;
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`schema file ${file} is not JSON: ${(err as Error).message}`);
  }
  return compileSchema(ajv, schema, { vendor, name, format, version }, `schema file ${file}`, file);
}

/** Checks a schema document against the key it is filed under and compiles it. */
function compileSchema(ajv: Ajv, schema: unknown, key: SchemaKey, origin: string, path: string): Entry {
  const { vendor, name, format, version } = key;
  if (!SCHEMA_VER.test(version)) throw new Error(`${origin}: "${version}" is not a SchemaVer`);
  if (!isRecord(schema)) throw new Error(`${origin} is not a JSON object`);
  if (schema.$schema !== SELF_DESC_META_SCHEMA) throw new Error(`${origin}: $schema must be ${SELF_DESC_META_SCHEMA}`);
  const self = schema.self;
  if (
    !isRecord(self) ||
    self.vendor !== vendor ||
    self.name !== name ||
    self.format !== format ||
    self.version !== version
  ) {
    throw new Error(`${origin}: self block does not match its path ${vendor}/${name}/${format}/${version}`);
  }
  // Compile without `$schema`: it names Snowplow's meta-schema, which Ajv does not know.
  const { $schema: _meta, ...body } = schema;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(body);
  } catch (err) {
    throw new Error(`${origin} does not compile: ${(err as Error).message}`);
  }
  return { resolved: { ...key, uri: toIgluUri(key), path, schema }, validate };
}

/** A schema document held in code (the project's own, from feature-core), filed under its `self` block. */
function loadDocument(ajv: Ajv, schema: Readonly<Record<string, unknown>>): Entry {
  const self = isRecord(schema.self) ? schema.self : {};
  const key = {
    vendor: String(self.vendor ?? ''),
    name: String(self.name ?? ''),
    format: String(self.format ?? ''),
    version: String(self.version ?? ''),
  };
  return compileSchema(ajv, schema, key, `schema ${toIgluUri(key)}`, `(in code) ${toIgluUri(key)}`);
}

/** Decodes a tracker `ue_px` / `cx` value (URL-safe base64, usually unpadded) to text; undefined when not base64. */
export function decodeBase64Field(value: string): string | undefined {
  const trimmed = value.trim();
  if (!BASE64.test(trimmed) || trimmed.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(trimmed.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url').toString('utf8');
}

export function createSchemaRegistry(options: SchemaRegistryOptions = {}): SchemaRegistry {
  const root = options.schemasDir ?? DEFAULT_SCHEMAS_DIR;
  const passThroughUnknown = options.passThroughUnknown ?? false;
  const ajv = createAjv();
  const entries = new Map<string, Entry>();
  for (const file of listFiles(root)) {
    const entry = loadSchema(ajv, root, file);
    entries.set(entry.resolved.uri, entry);
  }
  for (const document of options.documents ?? PROJECT_SCHEMAS) {
    const entry = loadDocument(ajv, document);
    entries.set(entry.resolved.uri, entry);
  }

  function validate(uri: string, data: unknown): ValidationResult {
    if (typeof uri !== 'string' || !parseIgluUri(uri)) {
      return { ok: false, reason: 'invalid_uri', messages: [`${JSON.stringify(uri)} is not a valid Iglu URI`] };
    }
    const entry = entries.get(uri);
    if (!entry) {
      if (passThroughUnknown) return { ok: true };
      return { ok: false, reason: 'unknown_schema', messages: [`schema ${uri} is not in the registry`] };
    }
    if (entry.validate(data)) return { ok: true };
    return { ok: false, reason: 'invalid_data', messages: formatAjvErrors(entry.validate.errors) };
  }

  function validateSelfDescribing(value: unknown): ValidationResult {
    if (!isRecord(value)) {
      return { ok: false, reason: 'invalid_data', messages: ['$: a self-describing JSON must be an object'] };
    }
    const messages: string[] = [];
    if (!('schema' in value)) messages.push("$: must have required property 'schema'");
    if (!('data' in value)) messages.push("$: must have required property 'data'");
    for (const key of Object.keys(value)) {
      if (key !== 'schema' && key !== 'data') messages.push(`$: must NOT have additional properties (${key})`);
    }
    if (messages.length > 0) return { ok: false, reason: 'invalid_data', messages };
    if (typeof value.schema !== 'string') {
      return { ok: false, reason: 'invalid_uri', messages: ['$.schema: must be string'] };
    }
    return validate(value.schema, value.data);
  }

  /** Decodes the JSON or base64 form of a field pair and validates the envelope; undefined when neither is set. */
  function decodeEnvelope(
    event: Record<string, string>,
    plain: PayloadField,
    encoded: PayloadField,
    envelopeUri: string,
    failures: PayloadEventFailure[],
  ): { field: PayloadField; data: unknown } | undefined {
    const field = event[plain] !== undefined ? plain : event[encoded] !== undefined ? encoded : undefined;
    if (field === undefined) return undefined;
    const raw = event[field] ?? '';
    let text: string | undefined = raw;
    if (field === encoded) {
      text = decodeBase64Field(raw);
      if (text === undefined) {
        failures.push({ field, reason: 'invalid_base64', messages: [`${field}: not valid base64`] });
        return undefined;
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      failures.push({ field, reason: 'invalid_json', messages: [`${field}: ${(err as Error).message}`] });
      return undefined;
    }
    const envelope = validateSelfDescribing(parsed);
    const schema = isRecord(parsed) && typeof parsed.schema === 'string' ? parsed.schema : undefined;
    if (!envelope.ok) {
      failures.push({ field, reason: envelope.reason, ...(schema ? { schema } : {}), messages: envelope.messages });
      return undefined;
    }
    const key = schema ? parseIgluUri(schema) : undefined;
    const expected = parseIgluUri(envelopeUri);
    if (!key || !expected || key.vendor !== expected.vendor || key.name !== expected.name) {
      failures.push({
        field,
        reason: 'invalid_data',
        ...(schema ? { schema } : {}),
        messages: [`$.schema: expected a ${expected?.name ?? envelopeUri} envelope, got ${schema}`],
      });
      return undefined;
    }
    return { field, data: (parsed as SelfDescribing).data };
  }

  function validatePayloadEvent(event: Record<string, string>): PayloadEventValidation {
    const failures: PayloadEventFailure[] = [];
    const contexts: SelfDescribing[] = [];
    let unstructEvent: SelfDescribing | undefined;

    const ue = decodeEnvelope(event, 'ue_pr', 'ue_px', UNSTRUCT_EVENT_SCHEMA, failures);
    if (ue) {
      // The envelope schema already checked the shape {schema, data}; validate the event against its own schema.
      const inner = isRecord(ue.data) ? ue.data : {};
      const result = validate(inner.schema as string, inner.data);
      const schema = typeof inner.schema === 'string' ? inner.schema : undefined;
      if (result.ok && schema) unstructEvent = { schema, data: inner.data };
      else if (!result.ok) {
        failures.push({
          field: ue.field,
          reason: result.reason,
          ...(schema ? { schema } : {}),
          messages: result.messages,
        });
      }
    } else if (event.e === 'ue' && event.ue_pr === undefined && event.ue_px === undefined) {
      failures.push({
        field: 'ue_pr',
        reason: 'missing',
        messages: ['a self-describing event (e=ue) needs ue_pr or ue_px'],
      });
    }

    const co = decodeEnvelope(event, 'co', 'cx', CONTEXTS_SCHEMA, failures);
    if (co) {
      const entities: unknown[] = Array.isArray(co.data) ? co.data : [];
      entities.forEach((entity, index) => {
        const result = validateSelfDescribing(entity);
        const schema = isRecord(entity) && typeof entity.schema === 'string' ? entity.schema : undefined;
        if (result.ok && schema) contexts.push({ schema, data: (entity as SelfDescribing).data });
        else if (!result.ok) {
          failures.push({
            field: co.field,
            reason: result.reason,
            ...(schema ? { schema } : {}),
            index,
            messages: result.messages,
          });
        }
      });
    }

    return { ok: failures.length === 0, failures, ...(unstructEvent ? { unstructEvent } : {}), contexts };
  }

  return {
    uris: [...entries.keys()].sort(),
    passThroughUnknown,
    resolve: (uri) => entries.get(uri)?.resolved,
    validate,
    validateSelfDescribing,
    validatePayloadEvent,
  };
}
