/**
 * Redis key naming (FEATURES.md "Keys and identity"): the one place writers and readers take keys
 * and hash field names from.
 */

/** `user:{userKey}:{field}`, e.g. `user:u1:product_view_count_5m` or `user:u1:last_cart_activity_at`. */
export function userFeatureKey(userKey: string, field: string): string {
  return `user:${userKey}:${field}`;
}

/** `session:{sessionKey}:{field}`, e.g. `session:s1:session_page_count`. */
export function sessionFeatureKey(sessionKey: string, field: string): string {
  return `session:${sessionKey}:${field}`;
}

/** The hash holding every feature of a user key: `features:user:{userKey}`. */
export function userHashKey(userKey: string): string {
  return `features:user:${userKey}`;
}

/** The hash holding every feature of a session key: `features:session:{sessionKey}`. */
export function sessionHashKey(sessionKey: string): string {
  return `features:session:${sessionKey}`;
}

/** Field name of a rolling feature in its window: `{name}_{window}`. */
export function rollingField(name: string, window: string): string {
  return `${name}_${window}`;
}

/** Meta fields of the feature hashes, beside the feature fields. */
export const HASH_META_FIELDS = {
  /** Definition version hash. */
  version: '_v',
  /** Evaluation time, epoch ms. */
  evaluatedAt: '_at',
  /** Events applied to the lane. */
  events: '_events',
  /** Comma-separated fields whose capped sets overflowed (absent when none). */
  overflow: '_overflow',
} as const;
