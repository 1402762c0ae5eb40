/**
 * Which Redis string keys of FEATURES.md each shopping scenario checks (issue 8: "every accelerator
 * key of FEATURES.md checked at least once across the suite"), and the accelerator's key list that
 * coverage is measured against.
 *
 * A key is written as a template, `user:{u}:<field>` or `session:{s}:<field>`: a scenario fills in its
 * own shopper's user key and session key. `SCENARIO_KEYS` is honest because it is enforced from both
 * sides: each scenario checks its keys through `scenarioKeys()` (e2e/support/scenario-redis.ts), which
 * fails the scenario when the keys it checked differ from its entry here; and
 * e2e/scenarios-window-cart-buyer.spec.ts fails, naming the keys, when some accelerator key is in no
 * entry.
 *
 * Part 2 (returning shopper, two tabs, offline: e2e/scenarios-*.spec.ts): add an entry per scenario
 * below, named as your `test` is, and check its keys with `scenarioKeys()` so the entry stays true.
 */
import { FEATURE_DEFINITIONS, rollingField, type WindowId } from '@tandem/feature-core';

/** A key template: `user:{u}:<field>` or `session:{s}:<field>`. */
export type KeyTemplate = `user:{u}:${string}` | `session:{s}:${string}`;

/**
 * The windows the accelerator writes each of its rolling features in (FEATURES.md, "Accelerator
 * features", column "accelerator windows"). Tandem computes all three windows for every rolling
 * feature (a superset); parity, and so coverage, is about these.
 */
const ACCELERATOR_WINDOWS: Readonly<Record<string, readonly WindowId[]>> = {
  product_view_count: ['5m', '1h'],
  avg_viewed_price: ['5m', '1h'],
  return_view_count: ['5m', '1h'],
  price_range_viewed: ['5m', '1h'],
  top_category: ['5m', '1h', '24h'],
  unique_categories: ['5m', '1h', '24h'],
  cart_add_count: ['5m', '1h'],
  cart_remove_count: ['5m', '1h'],
  cart_update_frequency: ['5m', '1h'],
  orders_count: ['24h'],
  order_value: ['24h'],
  avg_order_value: ['24h'],
};

/**
 * Every key the accelerator writes, from feature-core's definitions of origin `accelerator` (the
 * features FEATURES.md lists under "Accelerator features") in the windows above. Throws when a
 * rolling accelerator feature has no windows here: a new one must say which windows it has.
 */
export function acceleratorKeys(): KeyTemplate[] {
  const keys: KeyTemplate[] = [];
  for (const def of FEATURE_DEFINITIONS) {
    if (def.origin !== 'accelerator') continue;
    if (def.lane === 'session') {
      keys.push(`session:{s}:${def.name}`);
    } else if (def.lane === 'user') {
      const windows = ACCELERATOR_WINDOWS[def.name];
      if (windows === undefined) throw new Error(`scenario-keys: no accelerator windows listed for ${def.name}`);
      for (const window of windows) keys.push(`user:{u}:${rollingField(def.name, window)}`);
    } else {
      keys.push(`user:{u}:${def.name}`);
    }
  }
  return keys;
}

/** Scenario name (its `test` title) → the string keys it checks, accelerator keys and others. */
export const SCENARIO_KEYS: Readonly<Record<string, readonly KeyTemplate[]>> = {
  'the window shopper: lists, searches and many product views, no cart, bring the discount': [
    'user:{u}:product_view_count_5m',
    'user:{u}:product_view_count_1h',
    'user:{u}:product_view_total_5m',
    'user:{u}:avg_viewed_price_5m',
    'user:{u}:avg_viewed_price_1h',
    'user:{u}:return_view_count_5m',
    'user:{u}:return_view_count_1h',
    'user:{u}:price_range_viewed_5m',
    'user:{u}:price_range_viewed_1h',
    'user:{u}:top_category_5m',
    'user:{u}:top_category_1h',
    'user:{u}:top_category_24h',
    'user:{u}:unique_categories_5m',
    'user:{u}:unique_categories_1h',
    'user:{u}:unique_categories_24h',
    'user:{u}:category_view_count_5m',
    'user:{u}:cart_add_count_5m',
    'session:{s}:session_page_count',
    'session:{s}:session_bounce',
    'session:{s}:session_marketing_campaign',
    'session:{s}:session_search_count',
    'session:{s}:session_cart_ratio',
    'session:{s}:session_duration',
    'session:{s}:shopper_device_types',
    'session:{s}:shopper_latest_platform',
  ],
  'the stalled high-value cart: a big cart left alone on a phone brings the chat prompt': [
    'user:{u}:cart_add_count_5m',
    'user:{u}:cart_add_count_1h',
    'user:{u}:cart_remove_count_5m',
    'user:{u}:cart_remove_count_1h',
    'user:{u}:cart_update_frequency_5m',
    'user:{u}:cart_update_frequency_1h',
    'user:{u}:cart_value_5m',
    'user:{u}:cart_value_1h',
    'user:{u}:last_cart_activity_at',
    'session:{s}:session_cart_ratio',
    'session:{s}:session_page_count',
    'session:{s}:shopper_device_types',
  ],
  'the buyer: signs in, fills a cart, checks out; orders follow the user id, the session spans the sign-in': [
    'user:{u}:product_view_count_5m',
    'user:{u}:avg_viewed_price_5m',
    'user:{u}:product_view_total_5m',
    'user:{u}:cart_add_count_5m',
    'user:{u}:cart_value_5m',
    'user:{u}:orders_count_24h',
    'user:{u}:order_value_24h',
    'user:{u}:avg_order_value_24h',
    'session:{s}:session_page_count',
    'session:{s}:session_bounce',
    'session:{s}:session_cart_ratio',
    'session:{s}:session_marketing_campaign',
  ],
  // Part 2 adds its scenarios here.
  'the returning shopper: after 30 idle minutes the tracker starts a new session, the old one stays closed': [
    'user:{u}:product_view_count_5m',
    'user:{u}:product_view_count_1h',
    'user:{u}:price_range_viewed_1h',
    'session:{s}:session_page_count',
    'session:{s}:session_duration',
  ],
  'two tabs at once: one session, one set of features and offers in both tabs': [
    'user:{u}:product_view_count_5m',
    'user:{u}:product_view_total_5m',
    'user:{u}:price_range_viewed_5m',
    'user:{u}:avg_viewed_price_5m',
    'session:{s}:session_page_count',
  ],
  'offline for a while: the offer still comes, the held events arrive late and count, the gap closes': [
    'user:{u}:product_view_count_5m',
    'user:{u}:product_view_total_5m',
    'user:{u}:price_range_viewed_5m',
  ],
};

/** Accelerator keys no scenario checks, in the accelerator's order. */
export function uncoveredAcceleratorKeys(registry: Readonly<Record<string, readonly KeyTemplate[]>> = SCENARIO_KEYS) {
  const covered = new Set(Object.values(registry).flat());
  return acceleratorKeys().filter((key) => !covered.has(key));
}
