/**
 * Results for bad input. Pure code never throws on what it is given: it answers with a result whose
 * `reason` comes from a closed set, so a dead-letter path can count by reason.
 */

/** Why an input was not turned into an event, or a state could not be read. */
export type RejectReason =
  /** The JSON text, or a JSON field, could not be parsed. */
  | 'bad_json'
  /** A base64 field (ue_px, cx) is not URL-safe base64 of UTF-8 text. */
  | 'bad_base64'
  /** An enriched TSV line does not have exactly 131 fields. */
  | 'wrong_field_count'
  /** A field the event needs (event id, time) is missing or empty. */
  | 'missing_field'
  /**
   * The event names no shopper (neither user_id nor domain_userid): anonymous tracking, or a tracker
   * set up without identity. A valid Snowplow event no feature can be keyed on; under SP-Anonymous
   * the collector passes it on, and the aggregator counts and skips it.
   */
  | 'no_shopper'
  /** A field has the wrong type, format or range for its Snowplow schema. */
  | 'invalid_field'
  /** An entity the event type requires (product, cart, transaction, ...) is missing. */
  | 'missing_entity'
  /** The event type is not one Snowplow defines (`e` / `event`). */
  | 'unknown_event'
  /** A self-describing envelope (unstruct_event, contexts) is malformed. */
  | 'bad_envelope'
  /** A persisted state was written by another format or definition version. */
  | 'version_mismatch';

export const REJECT_REASONS: readonly RejectReason[] = [
  'bad_json',
  'bad_base64',
  'wrong_field_count',
  'missing_field',
  'no_shopper',
  'invalid_field',
  'missing_entity',
  'unknown_event',
  'bad_envelope',
  'version_mismatch',
];

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  /** Human-readable detail: which field, which value. Not for machines. */
  readonly detail: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | Rejection;

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}
