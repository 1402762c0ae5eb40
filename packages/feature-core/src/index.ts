/**
 * @tandem/feature-core: the shopper feature engine, browser-safe entry point (engine, definitions,
 * tracker-payload adapter, serializer, keys, rules, wire format). The enriched-TSV and Snowbridge
 * adapters are server-side and live in `@tandem/feature-core/enriched`.
 */

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
export type { RejectReason, Rejection, Result } from './result.js';
export { REJECT_REASONS } from './result.js';
export {
  MAX_EVENT_AGE_MS,
  MAX_EVENT_LEAD_MS,
  acceptCart,
  acceptCheckoutStep,
  acceptEcommerceAction,
  acceptProduct,
  acceptPromotion,
  acceptTransaction,
  boundEventTime,
  toMinorUnits,
} from './acceptance.js';
export { type TrackerPayload, fromTrackerPayload } from './adapters/tracker-payload.js';

// Windows, lanes and evaluation
export { type WindowId, type WindowSpec, SESSION_GAP_MS, WINDOWS, WINDOW_IDS } from './engine/windows.js';
export { DEFAULT_CONFIG, type EngineConfig, LIMITS } from './engine/config.js';
export {
  type ApplyOutcome,
  type UserLane,
  OVERFLOW,
  applyToUserLane,
  createUserLane,
  nextUserChangeAtMs,
  pruneUserLane,
} from './engine/user-lane.js';
export {
  type SessionLane,
  applyToSessionLane,
  createSessionLane,
  isSessionClosed,
  sessionClosesAtMs,
  sessionExpiresAtMs,
} from './engine/session-lane.js';
export { type LaneValues, evaluateSessionLane, evaluateUserLane } from './engine/evaluate.js';
export { type EngineOutcome, type FeatureEngine, createFeatureEngine } from './engine/feature-engine.js';

// Definitions, serialization, keys, versions
export {
  type FeatureDefinition,
  type RollingFeature,
  type SessionFeature,
  type UserFeature,
  FEATURE_DEFINITIONS,
  ROLLING_FEATURES,
  SESSION_FEATURES,
  USER_FEATURES,
} from './definitions.js';
export { type ValueType, canonicalJson, divideHalfEven, formatHundredths, serializeValue } from './canonical.js';
export {
  HASH_META_FIELDS,
  rollingField,
  sessionFeatureKey,
  sessionHashKey,
  userFeatureKey,
  userHashKey,
} from './keys.js';
export { DEFINITION_REVISION, definitionVersion } from './version.js';
export {
  WIRE_SCHEMA_VERSION,
  deserializeSessionLane,
  deserializeUserLane,
  serializeSessionLane,
  serializeUserLane,
} from './wire.js';

// Offer rules
export {
  type Comparison,
  type Condition,
  type FeatureValues,
  type OfferRule,
  type OfferState,
  type RuleFiring,
  INITIAL_OFFER_STATE,
  OFFER_RULES,
  didRuleHold,
  evaluateRule,
  joinFeatureValues,
  stepOffers,
} from './rules.js';
