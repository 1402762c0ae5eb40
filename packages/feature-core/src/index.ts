/**
 * @tandem/feature-core: the shopper feature engine, browser-safe entry point (engine, definitions,
 * tracker-payload adapter, serializer, keys, rules, wire format). The enriched-TSV and Snowbridge
 * adapters are server-side and live in `@tandem/feature-core/enriched`.
 */

export {
  acceptCart,
  acceptCheckoutStep,
  acceptEcommerceAction,
  acceptProduct,
  acceptPromotion,
  acceptTransaction,
  boundEventTime,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_LEAD_MS,
  toMinorUnits,
} from './acceptance.js';
export { fromTrackerPayload, type TrackerPayload } from './adapters/tracker-payload.js';
// Bot filtering before offers
export {
  BOT_FEATURES,
  BOT_PEAK_EVENTS_10S,
  BOT_REASONS,
  type BotReason,
  botReason,
  isKnownCrawler,
  isLikelyBot,
  PEAK_EVENTS_FIELD,
} from './bots.js';
export { canonicalJson, divideHalfEven, formatHundredths, serializeValue, type ValueType } from './canonical.js';
// The feature catalogue for other systems (docs/catalog.md, the store's /api/catalog)
export {
  buildFeatureCatalog,
  CATALOG_FORMAT,
  CATALOG_SCHEMA_VERSION,
  CATALOG_VALUE_TYPES,
  type CatalogFeature,
  type CatalogValueType,
  type FeatureCatalog,
} from './catalog.js';
// Definitions, serialization, keys, versions
export {
  FEATURE_DEFINITIONS,
  type FeatureDefinition,
  mostViewedValue,
  type ProductAttribute,
  ROLLING_FEATURES,
  type RollingFeature,
  SESSION_FEATURES,
  type SessionFeature,
  TALLIED_ATTRIBUTES,
  USER_FEATURES,
  type UserFeature,
} from './definitions.js';
// Client digests and drift (reconciliation)
export {
  accumulateDrift,
  addEventId,
  buildFeatureDigest,
  type CauseInputs,
  CLOCK_SKEW_THRESHOLD_MS,
  COMPARED_FIELDS,
  type ComparedField,
  compareDigest,
  comparedValues,
  type DigestComparison,
  type DigestInput,
  DRIFT_CAUSES,
  type DriftCause,
  type DriftEvidence,
  type DriftStats,
  digestValuesHash,
  driftCause,
  driftRatios,
  EMPTY_DRIFT_STATS,
  EMPTY_EVENT_SET_HASH,
  type EventSetHash,
  eventSetHashOf,
  FEATURE_DIGEST_SCHEMA,
  FEATURE_DIGEST_SCHEMA_URI,
  type FeatureDigest,
  type FieldComparison,
  type FieldDriftCounts,
  type FieldDriftRatios,
  type FieldOutcome,
  formatEventSetHash,
  parseFeatureDigest,
  type ServerSide,
  smape,
} from './digest.js';
export { DEFAULT_CONFIG, type EngineConfig, LIMITS } from './engine/config.js';
export { type CoveredEvents, coverageStartMs, coveredEvents } from './engine/covered.js';
export {
  type AsOfValues,
  evaluateSessionLane,
  evaluateUserLane,
  evaluateUserLaneAsOf,
  evaluateUserLaneUpTo,
  featureHashFields,
  type LaneValues,
  type UpToValues,
} from './engine/evaluate.js';
export { createFeatureEngine, type EngineOutcome, type FeatureEngine } from './engine/feature-engine.js';
export {
  applyToSessionLane,
  createSessionLane,
  isSessionClosed,
  type SessionLane,
  sessionClosesAtMs,
  sessionExpiresAtMs,
} from './engine/session-lane.js';
export {
  type ApplyOutcome,
  applyToUserLane,
  createUserLane,
  type EventPosition,
  isUserLaneEvent,
  latestUserLaneEvent,
  nextUserChangeAtMs,
  OVERFLOW,
  pruneUserLane,
  type UserLane,
  userLaneUpTo,
} from './engine/user-lane.js';
// Windows, lanes and evaluation
export { SESSION_GAP_MS, WINDOW_IDS, WINDOWS, type WindowId, type WindowSpec } from './engine/windows.js';
// Events and acceptance
export type {
  Cart,
  CheckoutStep,
  DeviceClass,
  EcommerceActionType,
  Geo,
  Marketing,
  Product,
  Promotion,
  ShopperEvent,
  ShopperEventType,
  Transaction,
} from './event.js';
export { ECOMMERCE_ACTION_TYPES } from './event.js';
// Offers holdout and its statistics
export {
  DEFAULT_HOLDOUT_SALT,
  DEFAULT_HOLDOUT_SHARE,
  HOLDOUT_ARMS,
  type HoldoutArm,
  holdoutArm,
  holdoutBucket,
  parseHoldoutShare,
} from './holdout.js';
export {
  type DifferenceEstimate,
  type Interval,
  newcombeDifference,
  wilsonInterval,
  Z_95,
} from './holdout-uplift.js';
export {
  HASH_META_FIELDS,
  rollingField,
  sessionFeatureKey,
  sessionHashKey,
  userFeatureKey,
  userHashKey,
} from './keys.js';
export {
  agreeingDigests,
  buildDriftRecord,
  type ClientDigestInput,
  clientDigest,
  type DriftRecord,
  type DriftRecordInput,
  driftCounterIncrements,
  driftStatsFromCounters,
  type ExcludedFields,
  type ServerCut,
  type ServerCutOptions,
  type ServerLanesForDigest,
  serverSideForDigest,
} from './reconcile.js';
export type { Rejection, RejectReason, Result } from './result.js';
export { REJECT_REASONS } from './result.js';
// Offer rules
export {
  type Comparison,
  type Condition,
  didRuleHold,
  evaluateRule,
  type FeatureValues,
  INITIAL_OFFER_STATE,
  isRedeemable,
  joinFeatureValues,
  OFFER_RULES,
  type OfferKind,
  type OfferRule,
  type OfferState,
  REDEEMABLE_OFFERS,
  type RuleFiring,
  ruleFeatures,
  stepOffers,
} from './rules.js';
export { DEFINITION_REVISION, definitionVersion } from './version.js';
export {
  deserializeSessionLane,
  deserializeUserLane,
  serializeSessionLane,
  serializeUserLane,
  WIRE_SCHEMA_VERSION,
} from './wire.js';
