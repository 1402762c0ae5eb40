/**
 * @tandem/feature-core/testing: builders of realistic Snowplow inputs (tracker payloads, enriched TSV
 * lines, Snowbridge JSON) from one compact spec, for other workspaces' tests, load generators and
 * benchmarks. Not for production code: the builders encode what a spec says and check nothing.
 */

export {
  CHECKPOINTS as GOLDEN_CHECKPOINTS,
  JOURNEY as GOLDEN_JOURNEY,
  JOURNEY_T0 as GOLDEN_T0,
} from './golden-journey.fixture.js';
export {
  type CartSpec,
  DESKTOP_USER_AGENT,
  type EventSpec,
  type EventSpecType,
  enrichedFields,
  enrichedTsv,
  enrichedTsvWith,
  type MarketingSpec,
  PHONE_USER_AGENT,
  type ProductSpec,
  SCHEMAS,
  snowbridgeJson,
  type TransactionSpec,
  toTsvLine,
  trackerPayload,
  trackerPostBody,
  uuid,
} from './test-support/builders.js';
export { referenceKeyValues } from './test-support/reference-model.js';
