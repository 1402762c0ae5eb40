/**
 * Bot filtering before features drive offers: one pure decision that the browser (instant offers) and
 * the server (redemption) both take, so they never disagree about who is a bot. Two signals:
 *
 * - a known crawler's user agent (search engines, SEO and link-preview fetchers, HTTP libraries that
 *   say what they are). Headless browsers are not on the list: test automation and some assistive
 *   tools run them, and a scripted one shows itself by its pace;
 * - an implausible pace: `session_peak_events_10s`, the most events of the session within any
 *   10 seconds, at or above `BOT_PEAK_EVENTS_10S`.
 *
 * Why 45: a product page sends at most 3 or 4 events at once (page view, product view, a list view of
 * recommendations, a promotion view), and nobody opens a new page more than once a second for long, so
 * a human journey holds at most 10 pages × 4 = 40 events in any 10 seconds. A script that opens a
 * dozen product pages in a couple of seconds passes 45 at once. The property test in `bots.test.ts`
 * holds both sides.
 */
import type { FeatureValues } from './rules.js';

/** The feature the pace rule reads. */
export const PEAK_EVENTS_FIELD = 'session_peak_events_10s';

/** Events within 10 seconds of one session from which a shopper counts as a bot. */
export const BOT_PEAK_EVENTS_10S = 45;

/** Why a shopper counts as a bot. */
export type BotReason = 'crawler_user_agent' | 'implausible_pace';

export const BOT_REASONS: readonly BotReason[] = ['crawler_user_agent', 'implausible_pace'];

/** Feature fields the bot decision reads (evaluate them with the rules' fields). */
export const BOT_FEATURES: ReadonlySet<string> = new Set([PEAK_EVENTS_FIELD]);

/**
 * Crawlers that identify themselves: the generic words crawlers use (bot, crawler, spider, slurp) and
 * well-known fetchers and HTTP clients whose user agents do not contain them. `cubot` is a phone brand.
 */
const CRAWLER_UA =
  /(?<!cu)bot\b|bot\/|crawl|spider|slurp|mediapartners|bingpreview|facebookexternalhit|embedly|quora link preview|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java\/|libwww|wget|curl\/|scrapy|phantomjs|lighthouse|pagespeed|gtmetrix|ahrefs|semrush|baiduspider|bytespider|applebot|duckduckbot|gptbot|ccbot|claudebot|perplexitybot/i;

/** Whether a user agent names a crawler or a scripted HTTP client. Null or empty: not known as one. */
export function isKnownCrawler(userAgent: string | null | undefined): boolean {
  if (userAgent === null || userAgent === undefined || userAgent === '') return false;
  return CRAWLER_UA.test(userAgent);
}

/**
 * Why the shopper with these feature values (session lane included) and this user agent is a bot, or
 * null for a shopper who may be shown offers. An absent peak counts as 0 (no events yet).
 */
export function botReason(features: FeatureValues, userAgent: string | null | undefined): BotReason | null {
  if (isKnownCrawler(userAgent)) return 'crawler_user_agent';
  const peak = Number(features.get(PEAK_EVENTS_FIELD) ?? '0');
  if (Number.isFinite(peak) && peak >= BOT_PEAK_EVENTS_10S) return 'implausible_pace';
  return null;
}

/** Whether the shopper is likely a bot (see `botReason`). */
export function isLikelyBot(features: FeatureValues, userAgent: string | null | undefined): boolean {
  return botReason(features, userAgent) !== null;
}
