import { describe, expect, it } from 'vitest';
import { ROLLING_FEATURES, USER_FEATURES } from './definitions.js';
import { rollingField } from './keys.js';
import {
  didRuleHold,
  evaluateRule,
  INITIAL_OFFER_STATE,
  isRedeemable,
  OFFER_RULES,
  type OfferRule,
  stepOffers,
} from './rules.js';

const [chat, discount, hesitant] = OFFER_RULES as [OfferRule, OfferRule, OfferRule];
const NOW = 1_772_445_600_000;

describe('offer rules', () => {
  it('live chat: cart value (1 h) ≥ 150 and no cart activity for 60 s', () => {
    const features = new Map([
      ['cart_value_1h', '150.00'],
      ['last_cart_activity_at', String(NOW - 60_000)],
    ]);
    expect(evaluateRule(chat, features, NOW)).toBe(true);
    expect(evaluateRule(chat, features, NOW - 1)).toBe(false); // idle for 59.999 s only
    expect(evaluateRule(chat, new Map([...features, ['cart_value_1h', '149.99']]), NOW)).toBe(false);
    // No cart at all: cart_value has no empty value, so the rule cannot hold.
    expect(evaluateRule(chat, new Map([['last_cart_activity_at', '0']]), NOW)).toBe(false);
  });

  it('discount: ≥ 4 distinct products in 5 m, no add to cart, price range at least 2×', () => {
    const features = new Map([
      ['product_view_count_5m', '4'],
      ['price_range_viewed_5m', '25.00-50.00'],
    ]);
    // cart_add_count_5m is absent: its empty value "0" satisfies "== 0".
    expect(evaluateRule(discount, features, NOW)).toBe(true);
    expect(evaluateRule(discount, new Map([...features, ['cart_add_count_5m', '1']]), NOW)).toBe(false);
    expect(evaluateRule(discount, new Map([...features, ['price_range_viewed_5m', '25.00-49.99']]), NOW)).toBe(false);
    expect(evaluateRule(discount, new Map([...features, ['product_view_count_5m', '3']]), NOW)).toBe(false);
  });

  it('fires once per session, on the false → true edge, and again in a new session', () => {
    const holds = new Map([
      ['product_view_count_5m', '5'],
      ['price_range_viewed_5m', '10.00-90.00'],
    ]);
    const fails = new Map([['product_view_count_5m', '1']]);
    let step = stepOffers(INITIAL_OFFER_STATE, 's1', holds, NOW);
    expect(step.fired.map((f) => f.ruleId)).toEqual(['price_sensitive_browser']);
    step = stepOffers(step.state, 's1', holds, NOW + 1);
    expect(step.fired).toEqual([]); // still true: no new edge
    step = stepOffers(step.state, 's1', fails, NOW + 2);
    step = stepOffers(step.state, 's1', holds, NOW + 3);
    expect(step.fired).toEqual([]); // a new edge, but it already fired in this session
    step = stepOffers(step.state, 's2', holds, NOW + 4);
    expect(step.fired.map((f) => [f.ruleId, f.sessionKey])).toEqual([['price_sensitive_browser', 's2']]);
    // The state is plain data that survives JSON (persisted across reloads).
    expect(JSON.parse(JSON.stringify(step.state))).toEqual(step.state);
  });

  it('the redemption check evaluates on the state right after the event, at the claimed time', () => {
    const afterEvent = new Map([
      ['cart_value_1h', '200.00'],
      ['last_cart_activity_at', String(NOW)],
    ]);
    expect(didRuleHold(chat, afterEvent, NOW + 60_000)).toBe(true);
    expect(didRuleHold(chat, afterEvent, NOW + 30_000)).toBe(false);
  });

  it('hesitant cart (free delivery): ≥ 2 removals in 5 m while the cart is worth ≥ 50', () => {
    const features = new Map([
      ['cart_remove_count_5m', '2'],
      ['cart_value_1h', '50.00'],
    ]);
    expect(hesitant.offer).toBe('free_shipping');
    expect(evaluateRule(hesitant, features, NOW)).toBe(true);
    expect(evaluateRule(hesitant, new Map([...features, ['cart_remove_count_5m', '1']]), NOW)).toBe(false);
    expect(evaluateRule(hesitant, new Map([...features, ['cart_value_1h', '49.99']]), NOW)).toBe(false);
    // Everything removed: no cart value, so no offer on an empty cart.
    expect(evaluateRule(hesitant, new Map([['cart_remove_count_5m', '3']]), NOW)).toBe(false);
  });

  it('redeemable rules read only user-lane features, which the server checks as of the claimed event', () => {
    const userFields = new Set([
      ...ROLLING_FEATURES.flatMap((def) => def.windows.map((w) => rollingField(def.name, w))),
      ...USER_FEATURES.map((def) => def.name),
    ]);
    const redeemable = OFFER_RULES.filter(isRedeemable);
    expect(redeemable.map((rule) => rule.offer).sort()).toEqual(['discount', 'free_shipping']);
    for (const rule of redeemable) for (const c of rule.all) expect(userFields.has(c.feature), c.feature).toBe(true);
    expect(isRedeemable(chat)).toBe(false);
  });
});
