/**
 * The browser's side of `POST /api/offers/redeem`: sends the worker's claim ("rule R fired at event
 * E"), retries once when the server has not seen E yet, and turns every answer (including a network
 * failure) into a result the offer card can show. Never throws. fetch and sleep are passed in.
 */
import type { ActiveOffer } from '../../features/feature-state';

/** The server's answer to a granted claim. */
export interface RedeemedCode {
  readonly code: string;
  readonly offer: string;
  readonly ruleId: string;
  /** Epoch ms. */
  readonly expiresAtMs: number;
}

export type RedeemOutcome =
  | { readonly ok: true; readonly code: RedeemedCode }
  | {
      readonly ok: false;
      /**
       * The server's error code (`not_confirmed`, `refused`, `invalid_claim`, `unavailable`,
       * `rate_limited`, `bot_suspected`, `one_per_session`), or `network`.
       */
      readonly code: string;
      readonly message: string;
      /** Whether asking again later may succeed. */
      readonly retryable: boolean;
    };

export interface RedeemDeps {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** Wait before the one retry of a `not_confirmed` answer. */
  readonly retryDelayMs?: number;
}

export const REDEEM_URL = '/api/offers/redeem';
export const NOT_CONFIRMED_RETRY_MS = 3_000;

/** Messages of our own: the server's are shown where they are written for shoppers. */
const MESSAGES = {
  not_confirmed: 'We have not received your latest activity yet. Please try again in a moment.',
  refused: 'This offer could not be confirmed for your session.',
  invalid_claim: 'This offer can no longer be redeemed.',
  unavailable: 'Offers cannot be redeemed right now. Please try again later.',
  rate_limited: 'Too many offer requests. Please try again later.',
  network: 'The shop could not be reached. Check your connection and try again.',
  unexpected: 'Something went wrong while getting your code. Please try again.',
} as const;

/** The claim body the server checks, from the offer the worker fired. Null when it names no event. */
export function redeemClaim(
  offer: Pick<ActiveOffer, 'ruleId' | 'eventId' | 'firedAtMs'>,
): { ruleId: string; eventId: string; firedAtMs: number } | null {
  if (offer.eventId === null || offer.eventId === '') return null;
  return { ruleId: offer.ruleId, eventId: offer.eventId, firedAtMs: Math.round(offer.firedAtMs) };
}

function isRedeemedCode(value: unknown): value is RedeemedCode {
  if (value === null || typeof value !== 'object') return false;
  const body = value as Record<string, unknown>;
  return (
    typeof body.code === 'string' &&
    body.code !== '' &&
    typeof body.offer === 'string' &&
    typeof body.ruleId === 'string' &&
    typeof body.expiresAtMs === 'number'
  );
}

/** One HTTP answer (status and parsed JSON body, null when not JSON) as an outcome. */
export function redeemOutcome(status: number, body: unknown): RedeemOutcome {
  if (status === 200 && isRedeemedCode(body))
    return {
      ok: true,
      code: { code: body.code, offer: body.offer, ruleId: body.ruleId, expiresAtMs: body.expiresAtMs },
    };
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : status === 200 ? 'unexpected' : `http_${status}`;
  const serverMessage = typeof error?.message === 'string' && error.message !== '' ? error.message : null;
  switch (code) {
    case 'not_confirmed':
      return { ok: false, code, message: serverMessage ?? MESSAGES.not_confirmed, retryable: true };
    case 'refused':
      return { ok: false, code, message: serverMessage ?? MESSAGES.refused, retryable: false };
    case 'invalid_claim':
      // The server's detail is written for developers ("eventId must be an event id").
      return { ok: false, code, message: MESSAGES.invalid_claim, retryable: false };
    case 'unavailable':
      return { ok: false, code, message: serverMessage ?? MESSAGES.unavailable, retryable: true };
    case 'rate_limited':
      return { ok: false, code, message: serverMessage ?? MESSAGES.rate_limited, retryable: true };
    // Final answers written for shoppers: automated browsing, or this visit's code was already given.
    case 'bot_suspected':
    case 'one_per_session':
      return { ok: false, code, message: serverMessage ?? MESSAGES.refused, retryable: false };
    default:
      return { ok: false, code, message: MESSAGES.unexpected, retryable: status >= 500 || status === 0 };
  }
}

async function attempt(deps: RedeemDeps, claim: object): Promise<RedeemOutcome> {
  let response: Response;
  try {
    response = await deps.fetch(REDEEM_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(claim),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, code: 'network', message: MESSAGES.network, retryable: true };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): judged by the status alone.
  }
  return redeemOutcome(response.status, body);
}

/**
 * Redeems `offer`: one request, and one more after `retryDelayMs` when the server answers
 * `not_confirmed` (its snapshot trails the stream by a few seconds). The server itself waits up to
 * ~12 s for the event, so the whole call can take ~30 s at worst.
 */
export async function redeemOffer(
  offer: Pick<ActiveOffer, 'ruleId' | 'eventId' | 'firedAtMs'>,
  deps: RedeemDeps,
): Promise<RedeemOutcome> {
  const claim = redeemClaim(offer);
  if (claim === null) return { ok: false, code: 'invalid_claim', message: MESSAGES.invalid_claim, retryable: false };
  const first = await attempt(deps, claim);
  if (first.ok || first.code !== 'not_confirmed') return first;
  await deps.sleep(deps.retryDelayMs ?? NOT_CONFIRMED_RETRY_MS);
  return attempt(deps, claim);
}
