/**
 * Offer rules: declarative conditions over feature values, shared by the store (instant offers) and
 * the server (redemption checks). A rule fires at most once per shopper per session, when it turns
 * from false to true. Evaluation is a pure function of the feature values and the evaluation time.
 */
import { FEATURE_DEFINITIONS, type FeatureDefinition } from './definitions.js';
import { rollingField } from './keys.js';

export type Comparison = '>=' | '>' | '<=' | '<' | '==' | '!=';

/**
 * How a condition reads a feature value: `value` its number; `rangeRatio` max ÷ min of a
 * `"min-max"` range; `ageMs` the evaluation time minus an epoch-ms value (e.g. idle time).
 */
export type Measure = 'value' | 'rangeRatio' | 'ageMs';

export interface Condition {
  /** Feature field: `cart_value_1h`, `last_cart_activity_at`, `session_page_count`, ... */
  readonly feature: string;
  readonly measure?: Measure;
  readonly op: Comparison;
  readonly value: number;
}

/** What the store shows when a rule fires. Discounts and free shipping are redeemed for a code. */
export type OfferKind = 'live_chat' | 'discount' | 'free_shipping';

/** Offer kinds the shopper redeems for a signed code, checked on the server (the others cost nothing). */
export const REDEEMABLE_OFFERS: readonly OfferKind[] = ['discount', 'free_shipping'];

export interface OfferRule {
  readonly id: string;
  /** What the store shows when the rule fires. */
  readonly offer: OfferKind;
  readonly description: string;
  /** Every condition must hold. */
  readonly all: readonly Condition[];
}

/** The rules the demo store ships (ARCHITECTURE.md / the accelerator's two use cases). */
export const OFFER_RULES: readonly OfferRule[] = [
  {
    id: 'stalled_high_value_cart',
    offer: 'live_chat',
    description: 'Cart value (1 h) of at least 150 and no cart activity for 60 s: offer live chat.',
    all: [
      { feature: 'cart_value_1h', op: '>=', value: 150 },
      { feature: 'last_cart_activity_at', measure: 'ageMs', op: '>=', value: 60_000 },
    ],
  },
  {
    id: 'price_sensitive_browser',
    offer: 'discount',
    description:
      'At least 4 distinct products viewed in 5 m, no add to cart, highest price at least 2x the lowest: offer a discount.',
    all: [
      { feature: 'product_view_count_5m', op: '>=', value: 4 },
      { feature: 'cart_add_count_5m', op: '==', value: 0 },
      { feature: 'price_range_viewed_5m', measure: 'rangeRatio', op: '>=', value: 2 },
    ],
  },
  {
    // Tandem's own: a shopper who keeps taking things out of a sizeable cart is weighing the total;
    // free delivery removes the most common last-minute cost without cutting the price.
    id: 'hesitant_cart',
    offer: 'free_shipping',
    description:
      'At least 2 removals from the cart in 5 m while the cart is still worth at least 50: offer free delivery.',
    all: [
      { feature: 'cart_remove_count_5m', op: '>=', value: 2 },
      { feature: 'cart_value_1h', op: '>=', value: 50 },
    ],
  },
];

/** Every feature field the rules read: what deciding offers needs evaluated. */
export function ruleFeatures(rules: readonly OfferRule[] = OFFER_RULES): ReadonlySet<string> {
  return new Set(rules.flatMap((rule) => rule.all.map((condition) => condition.feature)));
}

/** Whether a rule's offer is redeemed for a code (and so checked on the server). */
export function isRedeemable(rule: OfferRule): boolean {
  return REDEEMABLE_OFFERS.includes(rule.offer);
}

/** Feature values by field, user and session lanes together. Absent fields take their empty value. */
export type FeatureValues = ReadonlyMap<string, string>;

const EMPTY_VALUES = (() => {
  const map = new Map<string, string | null>();
  const add = (field: string, def: FeatureDefinition) => map.set(field, def.emptyValue);
  for (const def of FEATURE_DEFINITIONS) {
    if (def.lane === 'user') for (const w of def.windows) add(rollingField(def.name, w), def);
    else add(def.name, def);
  }
  return map;
})();

function measure(text: string, how: Measure, atMs: number): number {
  if (how === 'rangeRatio') {
    const [min, max] = text.split('-').map(Number);
    if (min === undefined || max === undefined) return Number.NaN;
    return min === 0 ? (max === 0 ? 1 : Number.POSITIVE_INFINITY) : max / min;
  }
  const value = Number(text);
  return how === 'ageMs' ? atMs - value : value;
}

function compare(left: number, op: Comparison, right: number): boolean {
  switch (op) {
    case '>=':
      return left >= right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '<':
      return left < right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

/**
 * Whether every condition of `rule` holds on `features` at `atMs`. An absent feature takes its
 * documented empty value; a feature with no empty value (e.g. no cart yet) fails its condition.
 */
export function evaluateRule(rule: OfferRule, features: FeatureValues, atMs: number): boolean {
  return rule.all.every((condition) => {
    const text = features.get(condition.feature) ?? EMPTY_VALUES.get(condition.feature) ?? null;
    if (text === null) return false;
    const left = measure(text, condition.measure ?? 'value', atMs);
    return !Number.isNaN(left) && compare(left, condition.op, condition.value);
  });
}

/**
 * Offer state of one shopper: which rules fired in the current session, and which held at the last
 * evaluation (so a rule fires only on a false → true edge). Plain data: persist it as is.
 */
export interface OfferState {
  readonly sessionKey: string | null;
  readonly fired: readonly string[];
  readonly holding: readonly string[];
}

export const INITIAL_OFFER_STATE: OfferState = { sessionKey: null, fired: [], holding: [] };

export interface RuleFiring {
  readonly ruleId: string;
  readonly offer: OfferRule['offer'];
  readonly sessionKey: string;
  readonly atMs: number;
}

/**
 * One evaluation step: returns the next offer state and the rules that fire now (turned true, not yet
 * fired in this session). A new session key starts a fresh session: every rule may fire again.
 */
export function stepOffers(
  state: OfferState,
  sessionKey: string,
  features: FeatureValues,
  atMs: number,
  rules: readonly OfferRule[] = OFFER_RULES,
): { state: OfferState; fired: RuleFiring[] } {
  const sameSession = state.sessionKey === sessionKey;
  const fired = new Set(sameSession ? state.fired : []);
  const wasHolding = new Set(sameSession ? state.holding : []);
  const holding: string[] = [];
  const firings: RuleFiring[] = [];
  for (const rule of rules) {
    if (!evaluateRule(rule, features, atMs)) continue;
    holding.push(rule.id);
    if (!wasHolding.has(rule.id) && !fired.has(rule.id)) {
      fired.add(rule.id);
      firings.push({ ruleId: rule.id, offer: rule.offer, sessionKey, atMs });
    }
  }
  return { state: { sessionKey, fired: [...fired], holding }, fired: firings };
}

/**
 * The server's redemption check: did `rule` hold on the state right after event E, evaluated at
 * `atMs` (E's time, or the later firing time the client claims for time-based conditions such as
 * idle carts)? `features` are the server's values over exactly the events up to and including E.
 */
export function didRuleHold(rule: OfferRule, featuresAfterEvent: FeatureValues, atMs: number): boolean {
  return evaluateRule(rule, featuresAfterEvent, atMs);
}

/** Joins user-lane and session-lane values into one map of fields for rule evaluation. */
export function joinFeatureValues(...lanes: readonly FeatureValues[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const lane of lanes) for (const [field, value] of lane) out.set(field, value);
  return out;
}
