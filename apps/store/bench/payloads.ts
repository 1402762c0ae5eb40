/**
 * The T6 events, made the same way in the tab and in Node: real tracker payloads (what the feed
 * plugin handed to the sink during the latency run) repeated in order, each with a fresh eid and
 * times spread evenly over the `spanMs` before `nowMs` (as src/features/browser.test.ts does).
 */
import type { SentPayload } from '../src/tracking/tracker.js';

/**
 * The shop actions, in the order a session repeats them: 35 % product views, 10 % page views, 10 %
 * list views (6 products), 5 % list clicks, 10 % adds, 5 % removes, 10 % checkout steps, 5 % each
 * transactions, promotion views and site searches.
 */
export const ACTION_CYCLE = [
  'pageView',
  'listView',
  'productView',
  'listClick',
  'productView',
  'productView',
  'addToCart',
  'pageView',
  'productView',
  'promoView',
  'siteSearch',
  'listView',
  'productView',
  'addToCart',
  'removeFromCart',
  'productView',
  'checkoutStep',
  'checkoutStep',
  'productView',
  'transaction',
] as const;

export const BENCH_SPAN_MS = 4 * 60_000;

export function makeBenchPayloads(
  templates: readonly SentPayload[],
  count: number,
  nowMs: number,
  uuid: () => string,
  spanMs = BENCH_SPAN_MS,
): SentPayload[] {
  if (templates.length === 0) throw new Error('no template payloads: track something first');
  const start = nowMs - spanMs;
  const payloads: SentPayload[] = [];
  for (let i = 0; i < count; i++) {
    const template = templates[i % templates.length] as SentPayload;
    const timeMs = String(start + Math.floor((i * spanMs) / count));
    payloads.push({ ...template, eid: uuid(), dtm: timeMs, ttm: timeMs });
  }
  return payloads;
}

/** The baseline loop: only the JSON decode of what a tracker payload carries as JSON (`co`, `ue_pr`). */
export function decodeOnly(payloads: readonly SentPayload[]): number {
  let checksum = 0;
  for (const payload of payloads) {
    const contexts = payload.co;
    if (contexts !== undefined) checksum += (JSON.parse(contexts) as { data: unknown[] }).data.length;
    const event = payload.ue_pr;
    if (event !== undefined) checksum += JSON.parse(event) === null ? 0 : 1;
    checksum += Number(payload.ttm) > 0 ? 1 : 0;
  }
  return checksum;
}
