/**
 * The Snowplow enriched event, TSV form (SNOWPLOW.md §3): 131 tab-separated fields in a fixed order,
 * no header, UTF-8, empty value = empty string.
 */

export { ENRICHED_FIELD_NAMES } from '@tandem/feature-core/enriched';

import { ENRICHED_FIELD_NAMES, type EnrichedFieldName } from '@tandem/feature-core/enriched';

export type FieldName = EnrichedFieldName;

/** Every enriched field, as the string written to the TSV line. */
export type EnrichedFields = Record<FieldName, string>;

/** A record with every field present and empty. */
export function emptyFields(): EnrichedFields {
  const fields = {} as EnrichedFields;
  for (const name of ENRICHED_FIELD_NAMES) fields[name] = '';
  return fields;
}

/** Tabs, carriage returns and newlines inside a value would break the line format: they become spaces. */
export function sanitizeTsvValue(value: string): string {
  return value.replace(/[\t\r\n]/g, ' ');
}

/** One enriched TSV line (no trailing newline): the 131 fields in order, missing ones empty. */
export function toTsvLine(fields: Readonly<Partial<EnrichedFields>>): string {
  return ENRICHED_FIELD_NAMES.map((name) => sanitizeTsvValue(fields[name] ?? '')).join('\t');
}
