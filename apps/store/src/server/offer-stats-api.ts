/**
 * The offers experiment at the store's HTTP edge:
 * - `POST /api/offers/events {ruleId, kind: 'qualified'|'shown'|'dismissed'}`: the browser reports a
 *   rule that fired for it; the server derives the arm from the `_sp_id` cookie's domain_userid (the
 *   client never claims one) and counts the outcome once per browser, session and rule.
 * - `POST /api/offers/events {kind: 'bot', reason}`: the browser's worker took the session for a bot
 *   (feature-core `botReason`) and showed it no offer; counted once per browser session, by reason.
 * - The redemption guard: a control shopper gets no code (403 `held_out`), a granted code is counted,
 *   and so is a redemption refused as a bot's (403 `bot_suspected`, by reason).
 * - Order conversions: an order converts every rule its session qualified for.
 * Counting is best effort: a Redis failure is logged and answered (503 to the reporter), never thrown
 * into redemption or checkout.
 */
import { BOT_REASONS, type BotReason, type HoldoutArm, holdoutArm, isKnownCrawler } from '@tandem/feature-core';
import { requestCookies } from './features-api';
import { jsonError, readJsonBody } from './http';
import { currentHoldout, type OfferShopper, type OfferStats, offerStats } from './offer-stats';
import {
  BROWSER_OFFER_EVENTS,
  type BrowserOfferEvent,
  type HoldoutSettings,
  isBotReason,
  isOfferRuleId,
  isPossibleOutcome,
} from './offer-stats-model';
import { parseSpIdCookie, spIdCookieValue } from './snowplow-cookies';

export interface OfferStatsDeps {
  readonly holdout: HoldoutSettings;
  /** Undefined when no Redis is configured: arms still apply, nothing is counted. */
  readonly stats: OfferStats | undefined;
  readonly log?: (line: string) => void;
}

/** The process's holdout settings and counters. */
export function offerStatsDeps(): OfferStatsDeps {
  return { holdout: currentHoldout(), stats: offerStats() };
}

const NO_STORE = { 'cache-control': 'private, no-store' };
const defaultLog = (line: string) => console.warn(`[offers] ${line}`);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The browser and session of a request, from the tracker's `_sp_id` cookie; null without one. */
export function offerShopper(cookies: Iterable<{ name: string; value: string }>): OfferShopper | null {
  const ids = parseSpIdCookie(spIdCookieValue(cookies));
  return ids === undefined || ids.sessionId === null ? null : { browserId: ids.domainUserId, sessionId: ids.sessionId };
}

/** The kind of report a browser sends when its worker took the session for a bot. */
export const BOT_EVENT_KIND = 'bot';

/** An offer event body (a rule's outcome, or a bot), or why it is not one. */
export function parseOfferEvent(
  body: unknown,
):
  | { readonly ok: true; readonly kind: BrowserOfferEvent; readonly ruleId: string }
  | { readonly ok: true; readonly kind: typeof BOT_EVENT_KIND; readonly reason: BotReason }
  | { readonly ok: false; readonly detail: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, detail: 'expected an object {ruleId, kind} or {kind: "bot", reason}' };
  const { ruleId, kind, reason } = body as Record<string, unknown>;
  if (kind === BOT_EVENT_KIND)
    return isBotReason(reason)
      ? { ok: true, kind, reason }
      : { ok: false, detail: `reason must be one of ${BOT_REASONS.join(', ')}` };
  if (!isOfferRuleId(ruleId)) return { ok: false, detail: `unknown ruleId ${JSON.stringify(ruleId)?.slice(0, 64)}` };
  if (!(BROWSER_OFFER_EVENTS as readonly unknown[]).includes(kind))
    return { ok: false, detail: `kind must be one of ${BROWSER_OFFER_EVENTS.join(', ')}, ${BOT_EVENT_KIND}` };
  return { ok: true, ruleId, kind: kind as BrowserOfferEvent };
}

/** The body of a successful report: the server's arm, and whether this report counted (false on a repeat). */
export interface OfferEventAnswer {
  readonly arm: HoldoutArm;
  readonly counted: boolean;
}

const unavailable = () => jsonError(503, 'unavailable', 'Offer events cannot be counted right now.');

/**
 * `POST /api/offers/events`. A bot report is counted in any arm (bots are no part of the experiment).
 * Its reason is checked where the server can: `crawler_user_agent` only from a request whose own
 * User-Agent is a known crawler's. `implausible_pace` is taken on the browser's word (the server's
 * copy of the session's events may lag the worker's); a forged one only adds to a bot count.
 */
export async function offerEventsResponse(deps: OfferStatsDeps, request: Request): Promise<Response> {
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const event = parseOfferEvent(read.body);
  if (!event.ok) return jsonError(400, 'invalid_offer_event', event.detail);
  const shopper = offerShopper(requestCookies(request));
  if (shopper === null) return jsonError(400, 'no_session', "Offer events need the tracker's _sp_id cookie.");
  const arm = holdoutArm(shopper.browserId, deps.holdout.share, deps.holdout.salt);
  if (event.kind === BOT_EVENT_KIND) {
    if (event.reason === 'crawler_user_agent' && !isKnownCrawler(request.headers.get('user-agent')))
      return jsonError(400, 'invalid_offer_event', "crawler_user_agent, but this request's User-Agent is no crawler's");
  } else if (!isPossibleOutcome(arm, event.kind))
    return jsonError(409, 'held_out', `This shopper is in the offers holdout: no offer is ${event.kind} to them.`);
  if (deps.stats === undefined) return unavailable();
  const what = event.kind === BOT_EVENT_KIND ? `a bot session (${event.reason})` : `${event.kind} of ${event.ruleId}`;
  try {
    const counted =
      event.kind === BOT_EVENT_KIND
        ? await deps.stats.recordBot(shopper, event.reason, 'session')
        : await deps.stats.record(shopper, event.ruleId, event.kind);
    const answer: OfferEventAnswer = { arm, counted };
    return Response.json(answer, { headers: NO_STORE });
  } catch (error) {
    (deps.log ?? defaultLog)(`counting ${what} failed: ${message(error)}`);
    return unavailable();
  }
}

/** The bot reason of a redemption refused as a bot's (403 `bot_suspected`), else null. */
export async function botRefusalReason(response: Response): Promise<BotReason | null> {
  if (response.status !== 403) return null;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown; fields?: { reason?: unknown } } };
    const reason = body.error?.fields?.reason;
    return body.error?.code === 'bot_suspected' && isBotReason(reason) ? reason : null;
  } catch {
    return null;
  }
}

/**
 * Redemption behind the holdout: a control shopper is refused before any claim is checked (they were
 * never shown the offer, so a request can only be forged); a code `redeem` grants (200) is counted as
 * `redeemed` for the rule the server confirmed; a refusal as a bot's (403 `bot_suspected`) is counted
 * once per session, by reason. Counting failures are logged, the answer still goes out unchanged.
 */
export async function redeemWithHoldout(
  deps: OfferStatsDeps,
  request: Request,
  redeem: (request: Request) => Promise<Response>,
): Promise<Response> {
  const shopper = offerShopper(requestCookies(request));
  if (shopper !== null && holdoutArm(shopper.browserId, deps.holdout.share, deps.holdout.salt) === 'control')
    return jsonError(403, 'held_out', 'This offer is not available for your session.');
  const response = await redeem(request);
  // Without a tracker session there is no unit to count once: such a refusal is not counted.
  if (shopper === null || deps.stats === undefined) return response;
  try {
    if (response.status === 200) {
      const { ruleId } = (await response.clone().json()) as { ruleId?: unknown };
      if (isOfferRuleId(ruleId)) await deps.stats.record(shopper, ruleId, 'redeemed');
    } else {
      const reason = await botRefusalReason(response);
      if (reason !== null) await deps.stats.recordBot(shopper, reason, 'redeem_refused');
    }
  } catch (error) {
    (deps.log ?? defaultLog)(`counting a redemption failed: ${message(error)}`);
  }
  return response;
}

/** An order placed by this browser session: counts its conversions. Never throws. */
export async function recordOrderConversion(
  deps: OfferStatsDeps,
  ids: { readonly domainUserId: string; readonly sessionId: string | null } | undefined,
): Promise<void> {
  if (ids === undefined || ids.sessionId === null || deps.stats === undefined) return;
  try {
    await deps.stats.recordConversion({ browserId: ids.domainUserId, sessionId: ids.sessionId });
  } catch (error) {
    (deps.log ?? defaultLog)(`counting an order's conversions failed: ${message(error)}`);
  }
}
