import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOT_PEAK_EVENTS_10S, botReason, isKnownCrawler, isLikelyBot, PEAK_EVENTS_FIELD } from './bots.js';
import { evaluateSessionLane } from './engine/evaluate.js';
import { applyToSessionLane, createSessionLane } from './engine/session-lane.js';
import type { ShopperEventType } from './event.js';
import { shopperEvent, T0 } from './test-support/shopper-events.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CUBOT_PHONE =
  'Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

/** A page as a shopper's browser sends it: the page view and the page's other events at once. */
const PAGE_EVENTS: readonly ShopperEventType[] = ['page_view', 'product_view', 'list_view', 'promo_view'];

/** The session features of a journey: pages at the given times, `perPage` events each. */
function sessionValues(pageTimesMs: readonly number[], perPage: number): Map<string, string> {
  const lane = createSessionLane('s1');
  let n = 0;
  for (const t of pageTimesMs) {
    for (let i = 0; i < perPage; i++) {
      const type = PAGE_EVENTS[i % PAGE_EVENTS.length] as ShopperEventType;
      const product = type === 'product_view' ? { id: `p${n}`, category: 'c', price: 1000 } : undefined;
      applyToSessionLane(lane, shopperEvent({ n: n++, t: t + i * 40, type, ...(product ? { product } : {}) }));
    }
  }
  return evaluateSessionLane(lane, (pageTimesMs.at(-1) ?? T0) + 1000).values;
}

describe('known crawlers', () => {
  it('are named by their user agents; browsers, headless ones included, are not', () => {
    for (const ua of [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'python-requests/2.32.3',
      'curl/8.5.0',
      'Scrapy/2.11 (+https://scrapy.org)',
      'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
    ]) {
      expect(isKnownCrawler(ua), ua).toBe(true);
    }
    for (const ua of [CHROME, HEADLESS, IPHONE, CUBOT_PHONE, '', null, undefined]) {
      expect(isKnownCrawler(ua), String(ua)).toBe(false);
    }
  });

  it('a crawler is a bot whatever its pace', () => {
    expect(botReason(new Map(), 'Googlebot/2.1')).toBe('crawler_user_agent');
    expect(botReason(new Map([[PEAK_EVENTS_FIELD, '60']]), 'curl/8.5.0')).toBe('crawler_user_agent');
  });
});

describe('implausible pace', () => {
  it('reads session_peak_events_10s: at the threshold a bot, below it not; absent counts as 0', () => {
    expect(botReason(new Map([[PEAK_EVENTS_FIELD, String(BOT_PEAK_EVENTS_10S)]]), CHROME)).toBe('implausible_pace');
    expect(botReason(new Map([[PEAK_EVENTS_FIELD, String(BOT_PEAK_EVENTS_10S - 1)]]), CHROME)).toBeNull();
    expect(botReason(new Map(), CHROME)).toBeNull();
    expect(isLikelyBot(new Map(), null)).toBe(false);
  });

  it('the feature counts the most events within any 10 s of event time', () => {
    // 3 pages of 2 events: at 0 s, 9.999 s (same 10 s), 20 s (apart).
    const values = sessionValues([T0, T0 + 9_959, T0 + 20_000], 2);
    expect(values.get(PEAK_EVENTS_FIELD)).toBe('4');
    // A page exactly 10 s later starts a new span: [t, t + 10 s) is half open.
    expect(sessionValues([T0, T0 + 10_000], 1).get(PEAK_EVENTS_FIELD)).toBe('1');
  });

  it('property: a human-paced journey (pages at least 1 s apart, up to 4 events each) is never a bot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_000, max: 120_000 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        (gapsMs, perPage) => {
          let t = T0;
          const pages = gapsMs.map((gap) => (t += gap));
          const values = sessionValues(pages, perPage);
          expect(Number(values.get(PEAK_EVENTS_FIELD))).toBeLessThanOrEqual(40);
          expect(botReason(values, CHROME)).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: a burst (a dozen or more product pages within a few seconds) is a bot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 15, maxLength: 60 }),
        fc.array(fc.integer({ min: 1_000, max: 60_000 }), { maxLength: 10 }),
        (burstGapsMs, humanGapsMs) => {
          // Some human browsing first, then pages every 0-400 ms, 15 or more of them, 3 events each:
          // 15 pages within 6 s at most, so 45 events within 10 s.
          let t = T0;
          const before = humanGapsMs.map((gap) => (t += gap));
          const burst = burstGapsMs.map((gap) => (t += gap));
          const values = sessionValues([...before, ...burst], 3);
          expect(botReason(values, CHROME)).toBe('implausible_pace');
        },
      ),
      { numRuns: 200 },
    );
  });
});
