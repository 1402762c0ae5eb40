/**
 * `POST /api/offers/redeem` and the checkout's use of a code, over Redis through `@upstash/redis`.
 *
 * Redeem, in order of cost: rate limits (per client address and per browser, shared by every store
 * process through Redis) and a cap on claims waiting in this process; parse the claim; refuse a
 * crawler's user agent; find the requesting shopper's own user lane (identity from the session and
 * the tracker's cookie, never from the claim), wait briefly for the claimed event to reach the
 * aggregator's snapshot, refuse a session whose pace is a bot's (feature-core bots.ts, the decision
 * the browser takes), check the claim (redemption.ts), then issue a signed code bound to the
 * shopper's browser. One code per browser and session, whatever the rule: asking again for the same
 * rule returns the same code, another rule is refused (409 `one_per_session`).
 * Use at checkout: verify the code for this browser, then mark it used (SET NX), once.
 */
import {
  BOT_FEATURES,
  type BotReason,
  botReason,
  deserializeSessionLane,
  evaluateSessionLane,
  isKnownCrawler,
} from '@tandem/feature-core';
import { logPseudonym } from '@tandem/infra/erasure';
import type { Redis } from '@upstash/redis';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from '../features/engine-config';
import { requestCookies, shopperKeys } from './features-api';
import { jsonError, readJsonBody } from './http';
import type { LaneSnapshotReader } from './lane-snapshots';
import { issueOfferCode, OFFER_BENEFITS, type RedeemableOffer, type SigningKeys, verifyOfferCode } from './offer-codes';
import { clientAddress, type RateLimit, type RateRedis, takeRateToken } from './rate-limit';
import { checkClaim, parseClaim } from './redemption';
import { parseSpIdCookie, spIdCookieValue } from './snowplow-cookies';

export type OfferRedis = Pick<Redis, 'get' | 'set'> & RateRedis;

export interface RedeemLimits {
  /** Claims per browser (`_sp_id`'s domain_userid). */
  readonly perBrowser: RateLimit;
  /** Claims per client address (see `clientAddress`: as good as the proxy in front of the store). */
  readonly perAddress: RateLimit;
  /** Claims waiting for their event in this process at once; more are answered 429 at once. */
  readonly maxPending: number;
}

/**
 * A shopper redeems at most a few offers a visit, and a claim the server has not confirmed yet is
 * retried once by the page: 10 claims in 10 minutes per browser leaves room for that and stops a
 * script. 100 per address allows a shop's worth of shoppers behind one NAT.
 */
export const DEFAULT_REDEEM_LIMITS: RedeemLimits = {
  perBrowser: { limit: 10, windowMs: 10 * 60_000 },
  perAddress: { limit: 100, windowMs: 10 * 60_000 },
  maxPending: 200,
};

export interface RedeemDeps {
  readonly redis: OfferRedis | undefined;
  readonly lanes: LaneSnapshotReader | undefined;
  /** OFFER_SIGNING_KEY and OFFER_SIGNING_KEYS_PREVIOUS (offer-codes.ts `parseSigningKeys`). */
  readonly signingKeys: SigningKeys | undefined;
  readonly limits?: RedeemLimits;
  /** Addresses of proxies in front of the store whose X-Forwarded-For entries are skipped. */
  readonly trustedProxies?: readonly string[];
  readonly now?: () => number;
  /** How long to wait for the claimed event to reach the server's snapshot (checkpoints every 5 s). */
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** How long an issued code stays valid. */
  readonly codeTtlMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

export const REDEEM_WAIT_MS = 12_000;
export const CODE_TTL_MS = 2 * 60 * 60_000;

/** The code issued to a browser in a session: `<ruleId> <code>`. */
const issuedKey = (browserId: string, sessionKey: string | null) =>
  `tandem:offer:issued:${browserId}:${sessionKey ?? '-'}`;
const usedKey = (nonce: string) => `tandem:offer:used:${nonce}`;

/** How logs name a shopper: a pseudonym, never the key (docs/privacy.md). */
const shopperRef = (userKey: string) => logPseudonym('user', userKey);

function codeBody(code: string, offer: RedeemableOffer, ruleId: string, expiresAtMs: number) {
  return { code, offer, ruleId, label: OFFER_BENEFITS[offer].label, expiresAtMs };
}

function parseIssued(value: unknown): { ruleId: string; code: string } | null {
  if (typeof value !== 'string') return null;
  const space = value.indexOf(' ');
  return space <= 0 ? null : { ruleId: value.slice(0, space), code: value.slice(space + 1) };
}

function tooMany(retryAfterS: number, message: string): Response {
  return Response.json(
    { error: { code: 'rate_limited', message } },
    { status: 429, headers: { 'cache-control': 'no-store', 'retry-after': String(retryAfterS) } },
  );
}

function botRefusal(reason: BotReason): Response {
  return jsonError(403, 'bot_suspected', 'Offers are not available for automated browsing.', { reason });
}

/** Claims waiting for their event in this process (the cap of `RedeemLimits.maxPending`). */
let pendingClaims = 0;

/** The answer to a redemption claim. */
export async function redeemResponse(deps: RedeemDeps, userId: string | null, request: Request): Promise<Response> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.warn(`[offers] ${line}`));
  const { redis, lanes, signingKeys } = deps;
  if (redis === undefined || lanes === undefined || signingKeys === undefined)
    return jsonError(503, 'unavailable', 'Offers cannot be redeemed right now.');
  const limits = deps.limits ?? DEFAULT_REDEEM_LIMITS;
  const cookies = requestCookies(request);
  const browserId = parseSpIdCookie(spIdCookieValue(cookies))?.domainUserId ?? null;
  const address = clientAddress(request.headers.get('x-forwarded-for'), deps.trustedProxies ?? []);
  try {
    // Limits first: they guard the work below (a claim can hold a request for 12 s of snapshot reads).
    const byAddress = await takeRateToken(redis, 'redeem-address', address, limits.perAddress);
    if (!byAddress.allowed) {
      if (byAddress.count === limits.perAddress.limit + 1)
        log(`rate limit: an address passed ${limits.perAddress.limit} claims`);
      return tooMany(byAddress.retryAfterS, 'Too many offer requests from your network. Please try again later.');
    }
    if (browserId !== null) {
      const byBrowser = await takeRateToken(redis, 'redeem-browser', browserId, limits.perBrowser);
      if (!byBrowser.allowed) {
        if (byBrowser.count === limits.perBrowser.limit + 1)
          log(`rate limit: a browser passed ${limits.perBrowser.limit} claims`);
        return tooMany(byBrowser.retryAfterS, 'Too many offer requests. Please try again later.');
      }
    }
  } catch (error) {
    log(`rate limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return jsonError(503, 'unavailable', 'Offers cannot be redeemed right now.');
  }
  if (pendingClaims >= limits.maxPending) return tooMany(5, 'Offers are busy right now. Please try again in a moment.');
  pendingClaims++;
  try {
    return await checkAndIssue(deps, { redis, lanes, signingKeys, now, log }, userId, request, browserId, cookies);
  } finally {
    pendingClaims--;
  }
}

async function checkAndIssue(
  deps: RedeemDeps,
  ctx: {
    readonly redis: OfferRedis;
    readonly lanes: LaneSnapshotReader;
    readonly signingKeys: SigningKeys;
    readonly now: () => number;
    readonly log: (line: string) => void;
  },
  userId: string | null,
  request: Request,
  browserId: string | null,
  cookies: ReturnType<typeof requestCookies>,
): Promise<Response> {
  const { redis, lanes, signingKeys, now, log } = ctx;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const parsed = parseClaim(read.body);
  if (!parsed.ok) return jsonError(400, 'invalid_claim', parsed.detail);
  const { claim, rule } = parsed;
  const keys = shopperKeys(userId, cookies);
  if (keys.userKey === null || browserId === null)
    return jsonError(403, 'refused', 'We could not recognise your browsing session.');
  const userAgent = request.headers.get('user-agent');
  const who = shopperRef(keys.userKey);
  if (isKnownCrawler(userAgent)) {
    log(`refused ${rule.id} for ${who}: crawler_user_agent`);
    return botRefusal('crawler_user_agent');
  }
  const offer = rule.offer as RedeemableOffer;
  const sessionCodeKey = issuedKey(browserId, keys.sessionKey);
  /** The code already issued this session: the same answer for its rule, a refusal for another. */
  const answerIssued = (value: unknown): Response | null => {
    const issued = parseIssued(value);
    if (issued === null) return null;
    const check = verifyOfferCode(signingKeys, issued.code, browserId, now());
    if (!check.ok) return null;
    if (issued.ruleId === rule.id)
      return Response.json(codeBody(issued.code, check.offer, rule.id, check.expiresAtMs), { headers: NO_STORE });
    return jsonError(
      409,
      'one_per_session',
      `You already have an offer code for this visit (${OFFER_BENEFITS[check.offer].label}): one code per visit.`,
      { ruleId: issued.ruleId },
    );
  };
  try {
    const earlier = answerIssued(await redis.get<string>(sessionCodeKey));
    if (earlier !== null) return earlier;
    const deadline = now() + (deps.waitMs ?? REDEEM_WAIT_MS);
    for (;;) {
      const snapshot = await lanes.read(keys);
      if (snapshot.layout !== null && snapshot.layout.definitionVersion !== STORE_DEFINITION_VERSION) {
        log(
          `lane snapshots are of definition ${snapshot.layout.definitionVersion}, this store runs ${STORE_DEFINITION_VERSION}`,
        );
        return jsonError(503, 'unavailable', 'Offers cannot be checked right now.');
      }
      const pace = sessionBotReason(snapshot.session, userAgent);
      if (pace !== null) {
        log(`refused ${rule.id} for ${who}: ${pace}`);
        return botRefusal(pace);
      }
      const check = checkClaim(rule, claim, snapshot.user, now());
      if (check.kind === 'unavailable') {
        log(`cannot check ${rule.id} for ${who}: ${check.reason}`);
        return jsonError(503, 'unavailable', 'Offers cannot be checked right now.');
      }
      if (check.kind === 'refused') {
        log(`refused ${rule.id} for ${who} at event ${claim.eventId}: ${check.reason}`);
        return jsonError(403, 'refused', 'This offer could not be confirmed for your session.');
      }
      if (check.kind === 'granted') {
        if (!check.exact) log(`granted ${rule.id} for ${who} on a tile holding later folded events`);
        break;
      }
      if (now() >= deadline) {
        return jsonError(409, 'not_confirmed', 'We have not received your latest activity yet. Try again in a moment.');
      }
      await sleep(deps.pollMs ?? 500);
    }
    const ttl = deps.codeTtlMs ?? CODE_TTL_MS;
    const expiresAtMs = now() + ttl;
    const code = issueOfferCode(signingKeys, offer, browserId, expiresAtMs);
    const stored = await redis.set(sessionCodeKey, `${rule.id} ${code}`, { nx: true, px: ttl });
    if (stored === null) {
      // A concurrent claim of the same browser and session won: answer as if it had come first.
      const winner = answerIssued(await redis.get<string>(sessionCodeKey));
      if (winner !== null) return winner;
    }
    log(`issued ${rule.id} (${offer}) to ${who}, event ${claim.eventId}`);
    return Response.json(codeBody(code, offer, rule.id, expiresAtMs), { headers: NO_STORE });
  } catch (error) {
    log(`redeem failed: ${error instanceof Error ? error.message : String(error)}`);
    return jsonError(503, 'unavailable', 'Offers cannot be redeemed right now.');
  }
}

/**
 * The pace half of the bot decision on the server's own session lane (the user agent was checked
 * before); null for a human pace, a session not in the snapshot yet, or an unreadable one (the
 * claim's own check reports that).
 */
function sessionBotReason(sessionWire: string | null, userAgent: string | null): BotReason | null {
  if (sessionWire === null) return null;
  const lane = deserializeSessionLane(sessionWire, STORE_ENGINE_CONFIG);
  if (!lane.ok || lane.value.lastT < 0) return null;
  // Evaluated at the session's last event: the peak stays a fact of the session after it closes.
  return botReason(evaluateSessionLane(lane.value, lane.value.lastT, BOT_FEATURES).values, userAgent);
}

const NO_STORE = { 'cache-control': 'private, no-store' };

export type CodeUse =
  | { readonly ok: true; readonly offer: RedeemableOffer }
  | { readonly ok: false; readonly message: string };

const REFUSALS = {
  malformed: 'This is not an offer code.',
  invalid: 'This code is not valid for you.',
  expired: 'This code has expired.',
  used: 'This code has already been used.',
  unavailable: 'Offer codes cannot be checked right now; remove the code to order without it.',
} as const;

/** Verifies `code` for this browser and marks it used for `orderId`: succeeds once per code. */
export async function spendOfferCode(
  deps: Pick<RedeemDeps, 'redis' | 'signingKeys' | 'now'>,
  code: string,
  browserId: string | null,
  orderId: string,
): Promise<CodeUse> {
  const { redis, signingKeys } = deps;
  if (redis === undefined || signingKeys === undefined) return { ok: false, message: REFUSALS.unavailable };
  if (browserId === null) return { ok: false, message: REFUSALS.invalid };
  const nowMs = (deps.now ?? Date.now)();
  const check = verifyOfferCode(signingKeys, code, browserId, nowMs);
  if (!check.ok) return { ok: false, message: REFUSALS[check.reason] };
  try {
    const ttl = Math.max(1, check.expiresAtMs - nowMs);
    const marked = await redis.set(usedKey(check.nonce), orderId, { nx: true, px: ttl });
    if (marked === null) return { ok: false, message: REFUSALS.used };
  } catch {
    return { ok: false, message: REFUSALS.unavailable };
  }
  return { ok: true, offer: check.offer };
}
