import { OFFER_RULES } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import {
  ANY_RULE,
  botCountsFor,
  botsFromHash,
  countsFor,
  countsFromHash,
  holdoutSettings,
  impliedOutcomes,
  isPossibleOutcome,
  offerStatsKeys,
  offersReport,
} from './offer-stats-model';

const HOLDOUT = { share: 0.1, salt: 'tandem-holdout-1' };
const [firstRule] = OFFER_RULES;
const RULE = firstRule?.id ?? 'missing';

/** A counters hash with `n` of each `rule|arm|outcome`. */
const hashOf = (entries: Record<string, number>) =>
  Object.fromEntries(Object.entries(entries).map(([field, n]) => [field, String(n)]));

describe('holdoutSettings', () => {
  it('defaults to 10 % with the default salt; 0 disables; a bad value keeps 10 % and says why', () => {
    expect(holdoutSettings({})).toEqual({ share: 0.1, salt: 'tandem-holdout-1', problem: null });
    expect(holdoutSettings({ OFFER_HOLDOUT_SHARE: '0', OFFER_HOLDOUT_SALT: ' spring ' })).toEqual({
      share: 0,
      salt: 'spring',
      problem: null,
    });
    const bad = holdoutSettings({ OFFER_HOLDOUT_SHARE: '10' });
    expect(bad.share).toBe(0.1);
    expect(bad.problem).toMatch(/OFFER_HOLDOUT_SHARE: holdout share "10" is not a number between 0 and 1/);
  });
});

describe('the counters model', () => {
  it('keeps every key under tandem:offers: and no raw shopper id in the counters', () => {
    expect(offerStatsKeys.counters).toBe('tandem:offers:counters');
    expect(offerStatsKeys.session('3f2a', 'sid-1')).toBe('tandem:offers:session:3f2a:sid-1');
  });

  it('a report implies the funnel before it, for the rule and for "any rule"', () => {
    expect(impliedOutcomes('qualified')).toEqual(['qualified']);
    expect(impliedOutcomes('redeemed')).toEqual(['qualified', 'shown', 'redeemed']);
    expect(countsFor('r1', 'treatment', 'shown')).toEqual([
      { mark: 'r1|qualified', counter: 'r1|treatment|qualified' },
      { mark: '*|qualified', counter: '*|treatment|qualified' },
      { mark: 'r1|shown', counter: 'r1|treatment|shown' },
      { mark: '*|shown', counter: '*|treatment|shown' },
    ]);
  });

  it('control shoppers can only qualify and convert', () => {
    expect(isPossibleOutcome('control', 'qualified')).toBe(true);
    expect(isPossibleOutcome('control', 'converted')).toBe(true);
    for (const outcome of ['shown', 'dismissed', 'redeemed'] as const) {
      expect(isPossibleOutcome('control', outcome)).toBe(false);
      expect(isPossibleOutcome('treatment', outcome)).toBe(true);
    }
  });

  it('reads counters back per rule and arm, skipping malformed fields', () => {
    const counts = countsFromHash({
      'r1|treatment|qualified': '5',
      'r1|control|converted': '2',
      'r1|sideways|qualified': '9',
      'r1|treatment|teleported': '9',
      'r1|treatment|qualified|x': '9',
      'r2|treatment|shown': '-1',
      'r2|treatment|qualified': 'many',
    });
    expect([...counts.keys()]).toEqual(['r1']);
    expect(counts.get('r1')?.treatment).toEqual({ qualified: 5, shown: 0, dismissed: 0, redeemed: 0, converted: 0 });
    expect(counts.get('r1')?.control.converted).toBe(2);
  });
});

describe('offersReport', () => {
  it('lists "any rule" first, then every shop rule, even before any data', () => {
    const report = offersReport({}, HOLDOUT);
    expect(report.rules.map((row) => row.ruleId)).toEqual([ANY_RULE, ...OFFER_RULES.map((rule) => rule.id)]);
    expect(report.observedControlShare).toBeNull();
    const any = report.rules[0];
    expect(any?.offerRate.rate).toBeNull();
    expect(any?.conversion.control.rate).toBeNull();
    expect(any?.uplift).toEqual({
      enough: false,
      reason: expect.stringMatching(/^not enough data: 0 treatment and 0 control/),
    });
  });

  it('offer rate = shown ÷ qualified, redemption rate = redeemed ÷ shown, conversion per arm ÷ qualified', () => {
    const report = offersReport(
      hashOf({
        [`${RULE}|treatment|qualified`]: 80,
        [`${RULE}|treatment|shown`]: 72,
        [`${RULE}|treatment|redeemed`]: 18,
        [`${RULE}|treatment|converted`]: 20,
        [`${RULE}|control|qualified`]: 20,
        [`${RULE}|control|converted`]: 2,
        '*|treatment|qualified': 90,
        '*|control|qualified': 10,
      }),
      HOLDOUT,
      10,
    );
    const row = report.rules.find((r) => r.ruleId === RULE);
    expect(row?.description).toBe(firstRule?.description);
    expect(row?.offerRate.rate).toBeCloseTo(0.9, 12);
    expect(row?.redemptionRate.rate).toBeCloseTo(0.25, 12);
    expect(row?.conversion.treatment.rate).toBeCloseTo(0.25, 12);
    expect(row?.conversion.control.rate).toBeCloseTo(0.1, 12);
    expect(row?.conversion.treatment.lower).toBeLessThan(0.25);
    expect(row?.conversion.treatment.upper).toBeGreaterThan(0.25);
    expect(row?.uplift).toMatchObject({ enough: true, verdict: 'unclear' });
    if (row?.uplift.enough) {
      expect(row.uplift.difference).toBeCloseTo(0.15, 12);
      expect(row.uplift.lower).toBeLessThan(0); // 25 % vs 10 % on 80 and 20 sessions: not yet clear
    }
    expect(report.observedControlShare).toBeCloseTo(0.1, 12);
  });

  it('calls a clear uplift up (and a clear loss down) once the interval leaves 0', () => {
    const up = offersReport(
      hashOf({
        'r|treatment|qualified': 5000,
        'r|treatment|converted': 600,
        'r|control|qualified': 5000,
        'r|control|converted': 400,
      }),
      HOLDOUT,
    ).rules.find((r) => r.ruleId === 'r');
    expect(up?.uplift).toMatchObject({ enough: true, verdict: 'up' });
    const down = offersReport(
      hashOf({
        'r|treatment|qualified': 5000,
        'r|treatment|converted': 400,
        'r|control|qualified': 5000,
        'r|control|converted': 600,
      }),
      HOLDOUT,
    ).rules.find((r) => r.ruleId === 'r');
    expect(down?.uplift).toMatchObject({ enough: true, verdict: 'down' });
  });

  it('says "not enough data" until both arms have the minimum', () => {
    const row = offersReport(
      hashOf({ 'r|treatment|qualified': 500, 'r|control|qualified': 29, 'r|control|converted': 3 }),
      HOLDOUT,
    ).rules.find((r) => r.ruleId === 'r');
    expect(row?.uplift).toEqual({
      enough: false,
      reason: 'not enough data: 500 treatment and 29 control sessions qualified, 30 each needed',
    });
  });

  it('never reports a rate above 1 when a counter ran ahead of its denominator', () => {
    const row = offersReport(hashOf({ 'r|treatment|qualified': 3, 'r|treatment|converted': 4 }), HOLDOUT).rules.find(
      (r) => r.ruleId === 'r',
    );
    expect(row?.conversion.treatment.rate).toBe(1);
  });
});

describe('bot counters', () => {
  it('a refused redemption implies the bot session; each is marked once per session', () => {
    expect(botCountsFor('implausible_pace', 'session')).toEqual([
      { mark: 'bot|session', counter: 'bot|implausible_pace|session' },
    ]);
    expect(botCountsFor('crawler_user_agent', 'redeem_refused')).toEqual([
      { mark: 'bot|session', counter: 'bot|crawler_user_agent|session' },
      { mark: 'bot|redeem_refused', counter: 'bot|crawler_user_agent|redeem_refused' },
    ]);
  });

  it('reads back per reason with a total, every reason listed, and stays out of the rule rows', () => {
    const hash = hashOf({
      'bot|implausible_pace|session': 7,
      'bot|implausible_pace|redeem_refused': 2,
      'bot|crawler_user_agent|session': 3,
      'bot|teleporting|session': 50,
      'bot|crawler_user_agent|redeem_refused': -4,
      '*|treatment|qualified': 5,
    });
    expect(botsFromHash(hash)).toEqual({
      reasons: [
        { reason: 'crawler_user_agent', session: 3, redeem_refused: 0 },
        { reason: 'implausible_pace', session: 7, redeem_refused: 2 },
      ],
      total: { session: 10, redeem_refused: 2 },
    });
    const report = offersReport(hash, HOLDOUT);
    expect(report.bots.total.session).toBe(10);
    expect(report.rules.map((row) => row.ruleId)).not.toContain('bot');
    expect(report.rules[0]?.treatment.qualified).toBe(5);
  });

  it('reports zeros before any bot was seen', () => {
    expect(offersReport({}, HOLDOUT).bots).toEqual({
      reasons: [
        { reason: 'crawler_user_agent', session: 0, redeem_refused: 0 },
        { reason: 'implausible_pace', session: 0, redeem_refused: 0 },
      ],
      total: { session: 0, redeem_refused: 0 },
    });
  });
});
