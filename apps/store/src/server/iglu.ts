/**
 * The store as an Iglu static repository for the project's own schemas (vendor `com.tandem`):
 * `GET /iglu/schemas/<vendor>/<name>/<format>/<version>` answers the JSON Schema, so a real Snowplow
 * pipeline (Enrich with this store in its Iglu resolver) validates the events the shop sends. The
 * documents are defined once, in feature-core.
 */
import { FEATURE_DIGEST_SCHEMA } from '@tandem/feature-core';

const SCHEMAS: readonly Readonly<Record<string, unknown>>[] = [
  FEATURE_DIGEST_SCHEMA as unknown as Readonly<Record<string, unknown>>,
];

function pathOf(schema: Readonly<Record<string, unknown>>): string {
  const self = schema.self as Record<string, string>;
  return `${self.vendor}/${self.name}/${self.format}/${self.version}`;
}

const BY_PATH = new Map(SCHEMAS.map((schema) => [pathOf(schema), schema]));

/** The answer for the path segments after `/iglu/schemas/`. */
export function igluResponse(segments: readonly string[]): Response {
  const schema = BY_PATH.get(segments.join('/'));
  if (schema === undefined) {
    return Response.json({ error: { code: 'not_found', message: 'no such schema' } }, { status: 404 });
  }
  // Schemas are immutable per version (SchemaVer): cache them for a day.
  return Response.json(schema, { headers: { 'cache-control': 'public, max-age=86400' } });
}
