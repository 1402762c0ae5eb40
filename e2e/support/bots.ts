/**
 * Bots as the specs drive them: a journey through the shop at a chosen pace, the feature worker's
 * own verdict (its snapshot's `bot`), and the bot counters the operators read (`GET /api/ops/drift`,
 * `offers.bots`, with the stack's OPS_TOKEN).
 */
import type { APIRequestContext, Browser, BrowserType, LaunchOptions, Page } from '@playwright/test';
import type { BotReason } from '@tandem/feature-core';
import { readEnvLocal } from '@tandem/infra/env-local';
import { expect } from './consent.js';

/** Googlebot's desktop user agent, as it sends it. */
export const GOOGLEBOT_UA =
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36';

/**
 * A browser whose user agent is Googlebot's everywhere, workers included: launched with
 * `--user-agent`, as a crawler's browser is. A context's `userAgent` option would not do: Chromium
 * applies that DevTools override to pages and dedicated workers but not to a SharedWorker (where the
 * store's feature worker runs), which keeps the browser's own user agent.
 */
export async function launchCrawler(browserType: BrowserType, options: LaunchOptions | undefined): Promise<Browser> {
  return browserType.launch({ ...options, args: [...(options?.args ?? []), `--user-agent=${GOOGLEBOT_UA}`] });
}

/**
 * Fifteen distinct products from €18 to €320, nothing added to the cart: by the fourth the discount
 * rule (≥ 4 distinct products in 5 min, highest price ≥ 2 × lowest, no add to cart) holds.
 */
export const JOURNEY: readonly (readonly [category: string, product: string])[] = [
  ['Home', 'Enamel Mug'], // €18.00
  ['Watches', 'NATO Strap'], // €19.50
  ['Watches', 'Field Watch 38'], // €199.00
  ['Jackets', 'Down Parka'], // €320.00
  ['Shoes', 'Trail Runner 2'],
  ['Shoes', 'City Sneaker'],
  ['Jackets', 'Storm Shell'],
  ['Jackets', 'Fleece Hoodie'],
  ['Bags', 'Daypack 22'],
  ['Bags', 'Travel Duffel 60'],
  ['Bags', 'City Tote'],
  ['Watches', 'Solar Digital'],
  ['Home', 'Wool Blanket'],
  ['Home', 'Camp Chair'],
  ['Shoes', 'Road Racer Pro'],
];

/**
 * Opens each product of `journey` from its category page (client-side navigation, so the page's
 * worker client stays), waiting `pauseMs` before every page: 0 is a script's pace, 1 000 a brisk human's.
 */
export async function browse(
  page: Page,
  journey: readonly (readonly [string, string])[],
  pauseMs: number,
): Promise<void> {
  for (const [category, product] of journey) {
    if (pauseMs > 0) await page.waitForTimeout(pauseMs);
    await page
      .getByRole('navigation', { name: 'Categories' })
      .getByRole('link', { name: category, exact: true })
      .click();
    await expect(page.getByRole('heading', { level: 1, name: category })).toBeVisible();
    if (pauseMs > 0) await page.waitForTimeout(pauseMs);
    await page
      .getByRole('link', { name: new RegExp(product) })
      .first()
      .click();
    await expect(page.getByRole('heading', { level: 1, name: product })).toBeVisible();
  }
}

/** What the spec reads of the feature worker's snapshot. */
export interface WorkerVerdict {
  readonly bot: BotReason | null;
  readonly offers: readonly string[];
  /** `session_peak_events_10s`: the most events of the session within 10 s. */
  readonly peakEvents10s: number;
  readonly eventCount: number;
}

interface SnapshotLike {
  readonly bot?: BotReason | null;
  readonly offers: readonly { readonly ruleId: string }[];
  readonly values: Readonly<Record<string, string>>;
  readonly eventCount: number;
}

/** The feature worker's current verdict on this tab's shopper (`window.tandem.features`, see tracking/react.tsx). */
export async function workerVerdict(page: Page): Promise<WorkerVerdict> {
  // Right after a navigation or reload the page may not have connected its worker yet.
  await page.waitForFunction(() => (globalThis as { tandem?: { features?: unknown } }).tandem?.features !== undefined);
  const snapshot = await page.evaluate(() =>
    (globalThis as unknown as { tandem: { features: { snapshot(): Promise<SnapshotLike> } } }).tandem.features
      .snapshot()
      .then((s) => ({ bot: s.bot ?? null, offers: s.offers, values: s.values, eventCount: s.eventCount })),
  );
  return {
    bot: snapshot.bot,
    offers: snapshot.offers.map((offer) => offer.ruleId),
    peakEvents10s: Number(snapshot.values.session_peak_events_10s ?? '0'),
    eventCount: snapshot.eventCount,
  };
}

/** The ops token the stack's store reads: the environment's, else the one generated into .env.local. */
export function opsToken(): string {
  const token = process.env.OPS_TOKEN?.trim() || readEnvLocal().OPS_TOKEN?.trim();
  if (!token) throw new Error('no OPS_TOKEN in the environment or .env.local (the stack generates it)');
  return token;
}

/** Bot sessions and refused redemptions per reason, as the dashboard's API serves them. */
export type BotCounts = Readonly<Record<BotReason, { readonly session: number; readonly redeem_refused: number }>>;

/** The bot counters from `GET /api/ops/drift` (the offers panel's data). */
export async function botCounts(request: APIRequestContext, storeUrl: string): Promise<BotCounts> {
  const response = await request.get(`${storeUrl}/api/ops/drift`, {
    headers: { authorization: `Bearer ${opsToken()}` },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as {
    offers:
      | { available: true; bots: { reasons: { reason: BotReason; session: number; redeem_refused: number }[] } }
      | { available: false; reason: string };
  };
  if (!body.offers.available) throw new Error(`offer statistics unavailable: ${body.offers.reason}`);
  const counts: Record<string, { session: number; redeem_refused: number }> = {};
  for (const row of body.offers.bots.reasons)
    counts[row.reason] = { session: row.session, redeem_refused: row.redeem_refused };
  return counts as BotCounts;
}
