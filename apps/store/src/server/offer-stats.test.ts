/**
 * The offers experiment's HTTP edge and counters against a real redis-server, through the real
 * Upstash-compatible REST endpoint and the store's `@upstash/redis` client: reports, the redemption
 * guard and order conversions, counted once per browser, session and rule, in the arm the server
 * derives itself.
 */
import { OFFER_RULES } from '@tandem/feature-core';
import { freePort } from '@tandem/infra/ports';
import { type EnsuredRedis, ensureRedis } from '@tandem/infra/redis';
import { createRestEndpoint, type RestEndpoint } from '@tandem/infra/rest';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOfferStats, type OfferStats, shopperTag } from './offer-stats';
import { type OfferStatsDeps, offerEventsResponse, recordOrderConversion, redeemWithHoldout } from './offer-stats-api';
import { offerStatsKeys } from './offer-stats-model';

const HOLDOUT = { share: 0.5, salt: 'tandem-holdout-1' };
/** With HOLDOUT: pinned in feature-core's holdout.test.ts. */
const TREATED = 'e2e00000-0000-4000-8000-000000000001';
const HELD_OUT = 'e2e00000-0000-4000-8000-000000000002';
const SESSION = 'aaaaaaaa-5555-4000-8000-0000000000a2';
const [chat, discount] = OFFER_RULES;
const CHAT = chat?.id ?? '';
const DISCOUNT = discount?.id ?? '';

let redis: EnsuredRedis | undefined;
let rest: RestEndpoint | undefined;
let client: Redis;
let stats: OfferStats;
let deps: OfferStatsDeps;
const logged: string[] = [];

beforeAll(async () => {
  redis = await ensureRedis({ url: `redis://127.0.0.1:${await freePort()}`, log: () => {} });
  rest = await createRestEndpoint({ redisUrl: redis.url, token: 'offers-test', port: 0, log: () => {} });
  client = new Redis({ url: rest.url, token: 'offers-test', automaticDeserialization: false });
  stats = createOfferStats(client, HOLDOUT);
  deps = { holdout: HOLDOUT, stats, log: (line) => logged.push(line) };
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await redis?.stop();
});

beforeEach(async () => {
  await client.flushdb();
  logged.length = 0;
});

const cookie = (browserId: string, sessionId = SESSION) =>
  `_sp_ses.9f1c=*; _sp_id.9f1c=${browserId}.1772445600.1.1772445600.1772445600.${sessionId}.prev.first.1772445600000.3`;

const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

function event(browserId: string | null, body: unknown, sessionId = SESSION, userAgent = CHROME_UA): Request {
  return new Request('http://shop.test/api/offers/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': userAgent,
      ...(browserId === null ? {} : { cookie: cookie(browserId, sessionId) }),
    },
    body: JSON.stringify(body),
  });
}

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function ruleRow(ruleId: string) {
  const row = (await stats.read()).rules.find((r) => r.ruleId === ruleId);
  if (row === undefined) throw new Error(`no row ${ruleId}`);
  return row;
}

describe('POST /api/offers/events', () => {
  it('counts a treatment qualification once per session, however often it is reported', async () => {
    expect(
      await answer(await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'qualified' }))),
    ).toEqual({
      status: 200,
      body: { arm: 'treatment', counted: true },
    });
    expect(
      (await answer(await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'qualified' })))).body,
    ).toEqual({ arm: 'treatment', counted: false });
    await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'shown' }));
    await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'shown' }));
    // A new session of the same browser is a new unit.
    await offerEventsResponse(
      deps,
      event(TREATED, { ruleId: DISCOUNT, kind: 'qualified' }, 'bbbbbbbb-5555-4000-8000-0000000000b2'),
    );
    const row = await ruleRow(DISCOUNT);
    expect(row.treatment).toMatchObject({ qualified: 2, shown: 1 });
    expect(row.control.qualified).toBe(0);
    expect(row.offerRate).toMatchObject({ numerator: 1, denominator: 2, rate: 0.5 });
  });

  it('counts a control qualification in control and refuses "shown" from a held-out browser', async () => {
    expect(
      (await answer(await offerEventsResponse(deps, event(HELD_OUT, { ruleId: CHAT, kind: 'qualified' })))).body,
    ).toEqual({
      arm: 'control',
      counted: true,
    });
    const shown = await answer(await offerEventsResponse(deps, event(HELD_OUT, { ruleId: CHAT, kind: 'shown' })));
    expect(shown.status).toBe(409);
    expect(shown.body).toMatchObject({ error: { code: 'held_out' } });
    const row = await ruleRow(CHAT);
    expect(row.control).toMatchObject({ qualified: 1, shown: 0 });
    expect(row.treatment.qualified).toBe(0);
    expect((await ruleRow('*')).control.qualified).toBe(1);
  });

  it('takes the arm from the cookie, not from anything the browser claims', async () => {
    await offerEventsResponse(deps, event(HELD_OUT, { ruleId: CHAT, kind: 'qualified', arm: 'treatment' }));
    expect((await ruleRow(CHAT)).control.qualified).toBe(1);
  });

  it('"any rule" counts a session once, whichever rules it qualified for', async () => {
    await offerEventsResponse(deps, event(TREATED, { ruleId: CHAT, kind: 'qualified' }));
    await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'qualified' }));
    expect((await ruleRow('*')).treatment.qualified).toBe(1);
    expect((await ruleRow(CHAT)).treatment.qualified).toBe(1);
    expect((await ruleRow(DISCOUNT)).treatment.qualified).toBe(1);
  });

  it('answers bad reports with a clear error and counts nothing', async () => {
    const unknown = await answer(
      await offerEventsResponse(deps, event(TREATED, { ruleId: 'free-car', kind: 'qualified' })),
    );
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_offer_event', message: 'unknown ruleId "free-car"' } },
    });
    const kind = await answer(await offerEventsResponse(deps, event(TREATED, { ruleId: CHAT, kind: 'converted' })));
    expect(kind).toMatchObject({
      status: 400,
      body: { error: { message: 'kind must be one of qualified, shown, dismissed, bot' } },
    });
    const anonymous = await answer(await offerEventsResponse(deps, event(null, { ruleId: CHAT, kind: 'qualified' })));
    expect(anonymous).toMatchObject({ status: 400, body: { error: { code: 'no_session' } } });
    expect(await client.exists(offerStatsKeys.counters)).toBe(0);
  });

  it('keeps no raw browser id in Redis and lets a session expire', async () => {
    await offerEventsResponse(deps, event(TREATED, { ruleId: CHAT, kind: 'qualified' }));
    const keys = await client.keys('*');
    expect(keys.sort()).toEqual([offerStatsKeys.counters, offerStatsKeys.session(shopperTag(TREATED), SESSION)].sort());
    expect(keys.join(' ')).not.toContain(TREATED);
    const ttl = await client.pttl(offerStatsKeys.session(shopperTag(TREATED), SESSION));
    expect(ttl).toBeGreaterThan(47 * 3_600_000);
  });
});

describe('bot sessions reported by the page', () => {
  const bots = async () => (await stats.read()).bots;

  it('counts a bot session once per browser session, by reason, in any arm', async () => {
    const first = await answer(
      await offerEventsResponse(deps, event(TREATED, { kind: 'bot', reason: 'implausible_pace' })),
    );
    expect(first).toEqual({ status: 200, body: { arm: 'treatment', counted: true } });
    // Reloads and retries of the same session count nothing more.
    const again = await answer(
      await offerEventsResponse(deps, event(TREATED, { kind: 'bot', reason: 'implausible_pace' })),
    );
    expect(again.body).toEqual({ arm: 'treatment', counted: false });
    // A held-out browser's bot is counted too: bots are no part of the experiment.
    await offerEventsResponse(deps, event(HELD_OUT, { kind: 'bot', reason: 'implausible_pace' }));
    await offerEventsResponse(
      deps,
      event(
        TREATED,
        { kind: 'bot', reason: 'crawler_user_agent' },
        'cccccccc-5555-4000-8000-0000000000c2',
        GOOGLEBOT_UA,
      ),
    );
    expect(await bots()).toEqual({
      reasons: [
        { reason: 'crawler_user_agent', session: 1, redeem_refused: 0 },
        { reason: 'implausible_pace', session: 2, redeem_refused: 0 },
      ],
      total: { session: 3, redeem_refused: 0 },
    });
    // Nothing of the experiment moved.
    expect((await ruleRow('*')).treatment.qualified).toBe(0);
    expect((await ruleRow('*')).control.qualified).toBe(0);
  });

  it('refuses a crawler reason from a request whose User-Agent is no crawler, and unknown reasons', async () => {
    const forged = await answer(
      await offerEventsResponse(deps, event(TREATED, { kind: 'bot', reason: 'crawler_user_agent' })),
    );
    expect(forged).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_offer_event', message: expect.stringMatching(/User-Agent is no crawler/) } },
    });
    const unknown = await answer(await offerEventsResponse(deps, event(TREATED, { kind: 'bot', reason: 'vibes' })));
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: { message: 'reason must be one of crawler_user_agent, implausible_pace' } },
    });
    const anonymous = await answer(
      await offerEventsResponse(deps, event(null, { kind: 'bot', reason: 'implausible_pace' })),
    );
    expect(anonymous).toMatchObject({ status: 400, body: { error: { code: 'no_session' } } });
    expect((await bots()).total.session).toBe(0);
  });
});

describe('redemption behind the holdout', () => {
  const codeFor = (ruleId: string) => async () =>
    Response.json({ code: 'TANDEM-X', offer: 'discount_10', ruleId, label: '10 % off', expiresAtMs: 1 });
  const redeemRequest = (browserId: string) =>
    new Request('http://shop.test/api/offers/redeem', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie(browserId) },
      body: '{}',
    });

  it('refuses a control shopper before any claim is checked', async () => {
    let checked = 0;
    const response = await redeemWithHoldout(deps, redeemRequest(HELD_OUT), async () => {
      checked++;
      return codeFor(DISCOUNT)();
    });
    expect(await answer(response)).toMatchObject({ status: 403, body: { error: { code: 'held_out' } } });
    expect(checked).toBe(0);
    expect((await ruleRow(DISCOUNT)).control.redeemed).toBe(0);
  });

  it('passes a treatment shopper through and counts the granted code once (and the funnel before it)', async () => {
    const first = await redeemWithHoldout(deps, redeemRequest(TREATED), codeFor(DISCOUNT));
    expect(first.status).toBe(200);
    expect(((await first.json()) as { code: string }).code).toBe('TANDEM-X');
    await redeemWithHoldout(deps, redeemRequest(TREATED), codeFor(DISCOUNT)); // asks again: same code
    expect((await ruleRow(DISCOUNT)).treatment).toMatchObject({ qualified: 1, shown: 1, redeemed: 1 });
  });

  const botRefusal = (reason: string) => async () =>
    Response.json(
      { error: { code: 'bot_suspected', message: 'No offers for automated browsing.', fields: { reason } } },
      { status: 403 },
    );

  it('counts a redemption refused as a bot once per session, by reason, with its bot session', async () => {
    const refused = await redeemWithHoldout(deps, redeemRequest(TREATED), botRefusal('implausible_pace'));
    // The answer goes out unchanged.
    expect(await answer(refused)).toMatchObject({
      status: 403,
      body: { error: { code: 'bot_suspected', fields: { reason: 'implausible_pace' } } },
    });
    await redeemWithHoldout(deps, redeemRequest(TREATED), botRefusal('implausible_pace')); // the script retries
    const { bots } = await stats.read();
    expect(bots.reasons.find((row) => row.reason === 'implausible_pace')).toEqual({
      reason: 'implausible_pace',
      session: 1,
      redeem_refused: 1,
    });
    expect(bots.total).toEqual({ session: 1, redeem_refused: 1 });
    expect((await ruleRow(DISCOUNT)).treatment.redeemed).toBe(0);
  });

  it('a session the page already reported is not counted again when its redemption is refused', async () => {
    await offerEventsResponse(deps, event(TREATED, { kind: 'bot', reason: 'implausible_pace' }));
    await redeemWithHoldout(deps, redeemRequest(TREATED), botRefusal('implausible_pace'));
    expect((await stats.read()).bots.total).toEqual({ session: 1, redeem_refused: 1 });
  });

  it('counts no bot for other refusals, or a bot_suspected without a known reason', async () => {
    await redeemWithHoldout(deps, redeemRequest(TREATED), botRefusal('vibes'));
    await redeemWithHoldout(deps, redeemRequest(TREATED), async () =>
      Response.json({ error: { code: 'refused', fields: { reason: 'implausible_pace' } } }, { status: 403 }),
    );
    await redeemWithHoldout(deps, redeemRequest(TREATED), async () => new Response('not json', { status: 403 }));
    expect((await stats.read()).bots.total).toEqual({ session: 0, redeem_refused: 0 });
    expect(logged).toEqual([]);
  });

  it('counts nothing when the redemption itself is refused', async () => {
    const refused = await redeemWithHoldout(deps, redeemRequest(TREATED), async () =>
      Response.json({ error: { code: 'refused' } }, { status: 403 }),
    );
    expect(refused.status).toBe(403);
    expect((await ruleRow(DISCOUNT)).treatment.redeemed).toBe(0);
  });
});

describe('order conversions', () => {
  it('converts every rule the session qualified for, once, in its arm', async () => {
    await offerEventsResponse(deps, event(TREATED, { ruleId: DISCOUNT, kind: 'shown' }));
    await offerEventsResponse(deps, event(HELD_OUT, { ruleId: DISCOUNT, kind: 'qualified' }));
    await recordOrderConversion(deps, { domainUserId: TREATED, sessionId: SESSION });
    await recordOrderConversion(deps, { domainUserId: TREATED, sessionId: SESSION }); // a second order
    await recordOrderConversion(deps, { domainUserId: HELD_OUT, sessionId: SESSION });
    const row = await ruleRow(DISCOUNT);
    expect(row.treatment.converted).toBe(1);
    expect(row.control.converted).toBe(1);
    expect((await ruleRow('*')).treatment.converted).toBe(1);
    expect(row.conversion.treatment.rate).toBe(1);
  });

  it('an order from a session that qualified for nothing converts nothing', async () => {
    await recordOrderConversion(deps, { domainUserId: TREATED, sessionId: SESSION });
    await recordOrderConversion(deps, undefined);
    await recordOrderConversion(deps, { domainUserId: TREATED, sessionId: null });
    expect(await client.keys('*')).toEqual([]);
  });
});

describe('when Redis is down', () => {
  it('reports answer 503, redemption still hands out its code, orders never fail', async () => {
    const down = createOfferStats(
      new Redis({ url: 'http://127.0.0.1:9', token: 'x', automaticDeserialization: false, retry: false }),
      HOLDOUT,
    );
    const downDeps: OfferStatsDeps = { holdout: HOLDOUT, stats: down, log: (line) => logged.push(line) };
    const report = await offerEventsResponse(downDeps, event(TREATED, { ruleId: CHAT, kind: 'qualified' }));
    expect(report.status).toBe(503);
    const redeemed = await redeemWithHoldout(
      downDeps,
      new Request('http://shop.test/api/offers/redeem', { method: 'POST', headers: { cookie: cookie(TREATED) } }),
      async () => Response.json({ code: 'TANDEM-Y', ruleId: DISCOUNT }),
    );
    expect(redeemed.status).toBe(200);
    await expect(
      recordOrderConversion(downDeps, { domainUserId: TREATED, sessionId: SESSION }),
    ).resolves.toBeUndefined();
    expect(logged).toHaveLength(3);
  });
});
