/**
 * @tandem/feature-core/enriched: server-side adapters (Snowplow enriched TSV and the accelerator's
 * Snowbridge JSON). Kept out of the browser entry point to keep the worker bundle small.
 */

export {
  type EnrichedDigest,
  type EnrichedIdentity,
  type EnrichedLine,
  readEnrichedLine,
} from './adapters/enriched-digest.js';
export { ENRICHED_FIELD_NAMES, type EnrichedFieldName } from './adapters/enriched-fields.js';
export {
  ENRICHED_FIELD_COUNT,
  ENRICHED_FIELDS,
  fromEnrichedTsv,
  parseEnrichedTimestamp,
} from './adapters/enriched-tsv.js';
export { fromSnowbridgeJson } from './adapters/snowbridge-json.js';
export { classifyDevice, marketingFromUrl } from './snowplow.js';
