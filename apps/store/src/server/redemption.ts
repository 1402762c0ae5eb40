/**
 * The server's check of a redemption claim "rule R fired at event E" (FEATURES.md): R is evaluated on
 * the aggregator's own user lane as it was right after E, at the time the client says R turned true,
 * not on the state at redemption time, so a shopper who kept shopping is not refused. Pure.
 *
 * A claim can only name an event of the requesting shopper's own lane (the lane is chosen by the
 * request's identity, never by the claim), and R must hold on the server's values: an edited
 * IndexedDB, a forged worker message or an invented event id gets nothing.
 */
import {
  deserializeUserLane,
  didRuleHold,
  evaluateUserLaneAsOf,
  isRedeemable,
  OFFER_RULES,
  type OfferRule,
} from '@tandem/feature-core';
import { STORE_ENGINE_CONFIG } from '../features/engine-config';

export interface RedemptionClaim {
  readonly ruleId: string;
  /** The shopper's latest user-lane event when the rule fired (ActiveOffer.eventId). */
  readonly eventId: string;
  /** When the rule turned true (ActiveOffer.firedAtMs): E's time, or a later tick's for time-based conditions. */
  readonly firedAtMs: number;
}

/** How far ahead of the server's clock a device's firing time may be (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** A claim older than this is stale: offers are for the shopper who is here now. */
export const MAX_CLAIM_AGE_MS = 24 * 60 * 60_000;

export type ClaimParse =
  | { readonly ok: true; readonly claim: RedemptionClaim; readonly rule: OfferRule }
  | { readonly ok: false; readonly detail: string };

/** Validates a claim's shape; only redeemable rules can be claimed. */
export function parseClaim(body: unknown): ClaimParse {
  if (body === null || typeof body !== 'object') return { ok: false, detail: 'expected a JSON object' };
  const { ruleId, eventId, firedAtMs } = body as Record<string, unknown>;
  if (typeof ruleId !== 'string') return { ok: false, detail: 'ruleId must be a string' };
  const rule = OFFER_RULES.find((candidate) => candidate.id === ruleId);
  if (rule === undefined) return { ok: false, detail: `unknown rule '${ruleId.slice(0, 64)}'` };
  if (!isRedeemable(rule)) return { ok: false, detail: `rule '${ruleId}' gives no code` };
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > 64)
    return { ok: false, detail: 'eventId must be an event id' };
  if (typeof firedAtMs !== 'number' || !Number.isSafeInteger(firedAtMs) || firedAtMs <= 0)
    return { ok: false, detail: 'firedAtMs must be epoch milliseconds' };
  return { ok: true, claim: { ruleId, eventId, firedAtMs }, rule };
}

export type ClaimCheck =
  | {
      readonly kind: 'granted';
      readonly eventTimeMs: number;
      readonly atMs: number;
      /** False when a window the rule reads may count events after E (see evaluateUserLaneAsOf). */
      readonly exact: boolean;
    }
  /** E is not in the server's lane yet (the snapshot trails the stream by a few seconds): wait. */
  | { readonly kind: 'pending' }
  | { readonly kind: 'refused'; readonly reason: string }
  /** The server's own state cannot be read (another definition version, a corrupt snapshot): not the shopper's fault. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Checks `claim` against the shopper's user lane snapshot (feature-core wire format) at `nowMs`. */
export function checkClaim(
  rule: OfferRule,
  claim: RedemptionClaim,
  laneWire: string | null,
  nowMs: number,
): ClaimCheck {
  if (claim.firedAtMs > nowMs + MAX_FUTURE_SKEW_MS) return { kind: 'refused', reason: 'fired in the future' };
  if (claim.firedAtMs < nowMs - MAX_CLAIM_AGE_MS) return { kind: 'refused', reason: 'claim too old' };
  if (laneWire === null) return { kind: 'pending' };
  const lane = deserializeUserLane(laneWire, STORE_ENGINE_CONFIG);
  if (!lane.ok) return { kind: 'unavailable', reason: `unreadable lane snapshot: ${lane.detail}` };
  const asOf = evaluateUserLaneAsOf(lane.value, claim.eventId, claim.firedAtMs);
  if (asOf === null) return { kind: 'pending' };
  // The rule fired at or after its event; an earlier claimed time is read as the event's own.
  const atMs = Math.max(claim.firedAtMs, asOf.eventTimeMs);
  if (!didRuleHold(rule, asOf.values, atMs))
    return { kind: 'refused', reason: 'the rule did not hold after that event' };
  // Redeemable rules read rolling user features, named `<feature>_<window>`.
  const exact = !asOf.inexactWindows.some((w) => rule.all.some((c) => c.feature.endsWith(`_${w}`)));
  return { kind: 'granted', eventTimeMs: asOf.eventTimeMs, atMs, exact };
}
