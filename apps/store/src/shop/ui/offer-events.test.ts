import { holdoutArm } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import { browserArm, browserIdFromCookies, createOfferEventReporter } from './offer-events';

const HOLDOUT = { share: 0.5, salt: 'tandem-holdout-1' };
const TREATED = 'e2e00000-0000-4000-8000-000000000001';
const HELD_OUT = 'e2e00000-0000-4000-8000-000000000002';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('browserArm', () => {
  it('uses the domain_userid of the tracker cookie, as the server does', () => {
    const cookies = `theme=dark; _sp_ses.9f1c=*; _sp_id.9f1c=${HELD_OUT}.1772445600.1.1772445600.1772445600.sid-1234-5678`;
    expect(browserIdFromCookies(cookies)).toBe(HELD_OUT);
    expect(browserArm(HOLDOUT, browserIdFromCookies(cookies))).toBe('control');
    expect(browserArm(HOLDOUT, TREATED)).toBe(holdoutArm(TREATED, 0.5, 'tandem-holdout-1'));
  });

  it('shows nothing while the browser is unknown, everything without a holdout', () => {
    expect(browserIdFromCookies('theme=dark')).toBeNull();
    expect(browserArm(HOLDOUT, null)).toBeNull();
    expect(browserArm(undefined, null)).toBe('treatment');
    expect(browserArm({ share: 0, salt: 's' }, HELD_OUT)).toBe('treatment');
  });
});

describe('createOfferEventReporter', () => {
  it('sends each report once per session and rule, and again after a reload only if it failed', async () => {
    const sent: string[] = [];
    let status = 503;
    const storage = memoryStorage();
    const deps = {
      fetch: async (_url: string, init: RequestInit) => {
        sent.push(String(init.body));
        return new Response(null, { status });
      },
      storage,
    };
    const reporter = createOfferEventReporter(deps);
    reporter.report('s1', 'discount', 'qualified');
    reporter.report('s1', 'discount', 'qualified'); // still in flight: dropped
    await settle();
    expect(sent).toEqual(['{"ruleId":"discount","kind":"qualified"}']);
    status = 200;
    reporter.report('s1', 'discount', 'qualified'); // the first failed: retried
    await settle();
    reporter.report('s1', 'discount', 'qualified'); // acknowledged: not again
    const reloaded = createOfferEventReporter(deps);
    reloaded.report('s1', 'discount', 'qualified');
    reloaded.report('s2', 'discount', 'qualified'); // a new session
    await settle();
    expect(sent).toHaveLength(3);
  });

  it('reports a bot session once per session, and stops on an answer a retry cannot change', async () => {
    const sent: string[] = [];
    let status = 503;
    const deps = {
      fetch: async (_url: string, init: RequestInit) => {
        sent.push(String(init.body));
        return new Response(null, { status });
      },
      storage: memoryStorage(),
    };
    const reporter = createOfferEventReporter(deps);
    reporter.reportBot('s1', 'implausible_pace');
    await settle();
    expect(sent).toEqual(['{"kind":"bot","reason":"implausible_pace"}']);
    status = 200;
    reporter.reportBot('s1', 'implausible_pace'); // the first failed: retried
    await settle();
    reporter.reportBot('s1', 'implausible_pace'); // acknowledged: not again, not after a reload either
    createOfferEventReporter(deps).reportBot('s1', 'implausible_pace');
    status = 400;
    reporter.reportBot('s2', 'crawler_user_agent'); // refused for good
    await settle();
    reporter.reportBot('s2', 'crawler_user_agent');
    await settle();
    expect(sent).toEqual([
      '{"kind":"bot","reason":"implausible_pace"}',
      '{"kind":"bot","reason":"implausible_pace"}',
      '{"kind":"bot","reason":"crawler_user_agent"}',
    ]);
  });

  it('never throws when the network or the storage fails', async () => {
    const reporter = createOfferEventReporter({
      fetch: async () => {
        throw new TypeError('offline');
      },
      storage: {
        getItem: () => {
          throw new Error('denied');
        },
        setItem: () => {
          throw new Error('denied');
        },
      },
    });
    expect(() => reporter.report('s1', 'chat', 'shown')).not.toThrow();
    expect(() => reporter.reportBot('s1', 'implausible_pace')).not.toThrow();
    await settle();
  });
});
