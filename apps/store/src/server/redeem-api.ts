/**
 * `POST /api/offers/redeem` and the checkout's use of a code, over Redis through `@upstash/redis`.
 *
 * Redeem: parse the claim, find the requesting shopper's own user lane (identity from the session
 * and the tracker's cookie, never from the claim), wait briefly for the claimed event to reach the
 * aggregator's snapshot, check the claim (redemption.ts), then issue a signed code bound to the
 * shopper's browser. One code per shopper, session and rule: asking again returns the same code.
 * Use at checkout: verify the code for this browser, then mark it used (SET NX), once.
 */
import type { Redis } from '@upstash/redis';
import { STORE_DEFINITION_VERSION } from '../features/engine-config';
import { requestCookies, shopperKeys } from './features-api';
import { jsonError, readJsonBody } from './http';
import type { LaneSnapshotReader } from './lane-snapshots';
import { issueOfferCode, OFFER_BENEFITS, type RedeemableOffer, verifyOfferCode } from './offer-codes';
import { checkClaim, parseClaim } from './redemption';
import { parseSpIdCookie, spIdCookieValue } from './snowplow-cookies';

export type OfferRedis = Pick<Redis, 'get' | 'set'>;

export interface RedeemDeps {
  readonly redis: OfferRedis | undefined;
  readonly lanes: LaneSnapshotReader | undefined;
  /** OFFER_SIGNING_KEY. */
  readonly signingKey: string | undefined;
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

const issuedKey = (browserId: string, sessionKey: string | null, ruleId: string) =>
  `tandem:offer:issued:${browserId}:${sessionKey ?? '-'}:${ruleId}`;
const usedKey = (nonce: string) => `tandem:offer:used:${nonce}`;

function codeBody(code: string, offer: RedeemableOffer, ruleId: string, expiresAtMs: number) {
  return { code, offer, ruleId, label: OFFER_BENEFITS[offer].label, expiresAtMs };
}

/** The answer to a redemption claim. */
export async function redeemResponse(deps: RedeemDeps, userId: string | null, request: Request): Promise<Response> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.warn(`[offers] ${line}`));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { redis, lanes, signingKey } = deps;
  if (redis === undefined || lanes === undefined || !signingKey)
    return jsonError(503, 'unavailable', 'Offers cannot be redeemed right now.');
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const parsed = parseClaim(read.body);
  if (!parsed.ok) return jsonError(400, 'invalid_claim', parsed.detail);
  const { claim, rule } = parsed;
  const cookies = requestCookies(request);
  const keys = shopperKeys(userId, cookies);
  const browserId = parseSpIdCookie(spIdCookieValue(cookies))?.domainUserId ?? null;
  if (keys.userKey === null || browserId === null)
    return jsonError(403, 'refused', 'We could not recognise your browsing session.');
  const offer = rule.offer as RedeemableOffer;
  try {
    const issued = await redis.get<string>(issuedKey(browserId, keys.sessionKey, rule.id));
    if (typeof issued === 'string') {
      const check = verifyOfferCode(signingKey, issued, browserId, now());
      if (check.ok) return Response.json(codeBody(issued, offer, rule.id, check.expiresAtMs), { headers: NO_STORE });
    }
    const deadline = now() + (deps.waitMs ?? REDEEM_WAIT_MS);
    for (;;) {
      const snapshot = await lanes.read(keys);
      if (snapshot.layout !== null && snapshot.layout.definitionVersion !== STORE_DEFINITION_VERSION) {
        log(
          `lane snapshots are of definition ${snapshot.layout.definitionVersion}, this store runs ${STORE_DEFINITION_VERSION}`,
        );
        return jsonError(503, 'unavailable', 'Offers cannot be checked right now.');
      }
      const check = checkClaim(rule, claim, snapshot.user, now());
      if (check.kind === 'unavailable') {
        log(`cannot check ${rule.id} for ${keys.userKey}: ${check.reason}`);
        return jsonError(503, 'unavailable', 'Offers cannot be checked right now.');
      }
      if (check.kind === 'refused') {
        log(`refused ${rule.id} for ${keys.userKey} at event ${claim.eventId}: ${check.reason}`);
        return jsonError(403, 'refused', 'This offer could not be confirmed for your session.');
      }
      if (check.kind === 'granted') {
        if (!check.exact) log(`granted ${rule.id} for ${keys.userKey} on a tile holding later folded events`);
        break;
      }
      if (now() >= deadline) {
        return jsonError(409, 'not_confirmed', 'We have not received your latest activity yet. Try again in a moment.');
      }
      await sleep(deps.pollMs ?? 500);
    }
    const ttl = deps.codeTtlMs ?? CODE_TTL_MS;
    const expiresAtMs = now() + ttl;
    const code = issueOfferCode(signingKey, offer, browserId, expiresAtMs);
    const stored = await redis.set(issuedKey(browserId, keys.sessionKey, rule.id), code, { nx: true, px: ttl });
    if (stored === null) {
      // A concurrent request of the same shopper won: answer its code.
      const winner = await redis.get<string>(issuedKey(browserId, keys.sessionKey, rule.id));
      const check = typeof winner === 'string' ? verifyOfferCode(signingKey, winner, browserId, now()) : null;
      if (winner !== null && check?.ok)
        return Response.json(codeBody(winner, offer, rule.id, check.expiresAtMs), { headers: NO_STORE });
    }
    log(`issued ${rule.id} (${offer}) to ${keys.userKey}, session ${keys.sessionKey ?? '-'}, event ${claim.eventId}`);
    return Response.json(codeBody(code, offer, rule.id, expiresAtMs), { headers: NO_STORE });
  } catch (error) {
    log(`redeem failed: ${error instanceof Error ? error.message : String(error)}`);
    return jsonError(503, 'unavailable', 'Offers cannot be redeemed right now.');
  }
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
  deps: Pick<RedeemDeps, 'redis' | 'signingKey' | 'now'>,
  code: string,
  browserId: string | null,
  orderId: string,
): Promise<CodeUse> {
  const { redis, signingKey } = deps;
  if (redis === undefined || !signingKey) return { ok: false, message: REFUSALS.unavailable };
  if (browserId === null) return { ok: false, message: REFUSALS.invalid };
  const nowMs = (deps.now ?? Date.now)();
  const check = verifyOfferCode(signingKey, code, browserId, nowMs);
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
