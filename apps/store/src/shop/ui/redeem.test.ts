import { describe, expect, it } from 'vitest';
import { NOT_CONFIRMED_RETRY_MS, REDEEM_URL, redeemClaim, redeemOffer, redeemOutcome } from './redeem';

const offer = { ruleId: 'price_sensitive_browser', eventId: 'e-42', firedAtMs: 1_700_000_000_000 };
const granted = {
  code: 'TND-D1-2-3',
  offer: 'discount',
  ruleId: 'price_sensitive_browser',
  label: '10% off your order',
  expiresAtMs: 1_700_007_200_000,
};
const error = (code: string, message: string) => ({ error: { code, message } });

/** A fetch answering the queued (status, body) pairs in order, recording the requests. */
function fakeFetch(answers: ([number, unknown] | 'network')[]) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = (async (url: string, init?: RequestInit) => {
    requests.push({ url, init });
    const answer = answers.shift();
    if (answer === undefined || answer === 'network') throw new TypeError('Failed to fetch');
    return new Response(JSON.stringify(answer[1]), { status: answer[0] });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

describe('redeem', () => {
  it('claims the rule, event and firing time the worker recorded', () => {
    expect(redeemClaim(offer)).toEqual(offer);
    expect(redeemClaim({ ...offer, firedAtMs: 1.6 })).toMatchObject({ firedAtMs: 2 });
    expect(redeemClaim({ ...offer, eventId: null })).toBeNull();
  });

  it('reads a granted code', () => {
    expect(redeemOutcome(200, granted)).toEqual({
      ok: true,
      code: {
        code: 'TND-D1-2-3',
        offer: 'discount',
        ruleId: 'price_sensitive_browser',
        expiresAtMs: 1_700_007_200_000,
      },
    });
    expect(redeemOutcome(200, { code: 42 })).toMatchObject({ ok: false, code: 'unexpected' });
  });

  it('classifies every error of the contract', () => {
    expect(redeemOutcome(409, error('not_confirmed', 'Try again in a moment.'))).toEqual({
      ok: false,
      code: 'not_confirmed',
      message: 'Try again in a moment.',
      retryable: true,
    });
    expect(redeemOutcome(403, error('refused', 'No.'))).toMatchObject({ code: 'refused', retryable: false });
    expect(redeemOutcome(400, error('invalid_claim', 'eventId must be an event id'))).toMatchObject({
      code: 'invalid_claim',
      message: 'This offer can no longer be redeemed.',
      retryable: false,
    });
    expect(redeemOutcome(503, error('unavailable', 'Offers cannot be redeemed right now.'))).toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
    expect(redeemOutcome(429, error('rate_limited', 'Too many offer requests.'))).toMatchObject({
      code: 'rate_limited',
      message: 'Too many offer requests.',
      retryable: true,
    });
    expect(redeemOutcome(403, error('bot_suspected', 'Not for automated browsing.'))).toMatchObject({
      code: 'bot_suspected',
      message: 'Not for automated browsing.',
      retryable: false,
    });
    expect(redeemOutcome(409, error('one_per_session', 'One code per visit.'))).toMatchObject({
      code: 'one_per_session',
      message: 'One code per visit.',
      retryable: false,
    });
    expect(redeemOutcome(502, null)).toMatchObject({ code: 'http_502', retryable: true });
  });

  it('posts the claim as JSON and answers the code', async () => {
    const { fetch, requests } = fakeFetch([[200, granted]]);
    const outcome = await redeemOffer(offer, { fetch, sleep: async () => {} });
    expect(outcome).toMatchObject({ ok: true, code: { code: 'TND-D1-2-3' } });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(REDEEM_URL);
    expect(requests[0]?.init?.method).toBe('POST');
    expect(JSON.parse(String(requests[0]?.init?.body))).toEqual(offer);
  });

  it('retries once after a pause when the server has not seen the event yet', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    const once = fakeFetch([
      [409, error('not_confirmed', 'wait')],
      [200, granted],
    ]);
    expect(await redeemOffer(offer, { fetch: once.fetch, sleep })).toMatchObject({ ok: true });
    expect(slept).toEqual([NOT_CONFIRMED_RETRY_MS]);

    const twice = fakeFetch([
      [409, error('not_confirmed', 'wait')],
      [409, error('not_confirmed', 'Not yet.')],
      [200, granted],
    ]);
    expect(await redeemOffer(offer, { fetch: twice.fetch, sleep, retryDelayMs: 5 })).toMatchObject({
      ok: false,
      code: 'not_confirmed',
      message: 'Not yet.',
    });
    expect(twice.requests).toHaveLength(2);
  });

  it('does not retry a refusal, and turns a network failure into a message', async () => {
    const refused = fakeFetch([[403, error('refused', 'No.')]]);
    expect(await redeemOffer(offer, { fetch: refused.fetch, sleep: async () => {} })).toMatchObject({
      ok: false,
      code: 'refused',
    });
    expect(refused.requests).toHaveLength(1);
    const offline = fakeFetch(['network']);
    expect(await redeemOffer(offer, { fetch: offline.fetch, sleep: async () => {} })).toMatchObject({
      ok: false,
      code: 'network',
      retryable: true,
    });
  });

  it('does not post a claim that names no event', async () => {
    const { fetch, requests } = fakeFetch([]);
    expect(await redeemOffer({ ...offer, eventId: null }, { fetch, sleep: async () => {} })).toMatchObject({
      ok: false,
      code: 'invalid_claim',
    });
    expect(requests).toHaveLength(0);
  });
});
