/**
 * Bots get no offers, and operators see them counted (feature-core bots.ts, the store's feature
 * worker, POST /api/offers/events `{kind: 'bot'}`, the offers panel's `bots`):
 *
 * 1. A script opening fifteen product pages as fast as it can: the worker takes it for a bot by its
 *    pace (session_peak_events_10s ≥ 45), no offer card is left on screen although the journey
 *    qualifies for the discount, and the "implausible pace" bot sessions went up by one, in the
 *    dashboard's API and on its offers panel.
 * 2. A browser whose user agent is Googlebot's (launched so, see `launchCrawler`), at a human pace:
 *    no offer, counted as a crawler.
 * 3. The control: the same fifteen pages at a human pace (a second before every page) get the
 *    discount and count no bot. Without it, (1) would pass for a shop that never shows offers.
 *
 * The counters are read through the dashboard's API with the stack's OPS_TOKEN, so the spec needs the
 * whole stack (`node scripts/test.mjs --only e2e`); it fails with that advice without it.
 */
import type { Page } from '@playwright/test';
import { BOT_PEAK_EVENTS_10S } from '@tandem/feature-core';
import { botCounts, browse, GOOGLEBOT_UA, JOURNEY, launchCrawler, opsToken, workerVerdict } from './support/bots.js';
import { expect, giveConsent, test } from './support/consent.js';
import { offersRegion } from './support/shop.js';
import { e2eStack } from './support/stack.js';

const found = e2eStack();
if (found === null)
  throw new Error('bots.spec needs the end-to-end stack for the ops API: run `node scripts/test.mjs --only e2e`');
const stack = found;

const discountCard = (page: Page) => offersRegion(page).getByRole('heading', { name: '10% off your order' });

test('a script racing through fifteen product pages gets no offer and is counted by its pace', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(60_000);
  const storeUrl = stack.storeUrl;
  const before = await botCounts(request, storeUrl);
  const reported = page.waitForRequest(
    (req) => req.url().endsWith('/api/offers/events') && (req.postData() ?? '').includes('"kind":"bot"'),
  );
  await page.goto('/');
  const startedAt = Date.now();
  await browse(page, JOURNEY, 0);
  const tookMs = Date.now() - startedAt;

  // The worker settled on a bot, by pace: its snapshot says so and holds no offer.
  await expect.poll(async () => (await workerVerdict(page)).bot, { timeout: 10_000 }).toBe('implausible_pace');
  const verdict = await workerVerdict(page);
  // The margin over the threshold, for whoever tunes it: printed with the test's output.
  console.log(`bot journey: ${verdict.eventCount} events in ${tookMs} ms, peak ${verdict.peakEvents10s} in 10 s`);
  expect(verdict.peakEvents10s, `peak of ${verdict.eventCount} events in ${tookMs} ms`).toBeGreaterThanOrEqual(
    BOT_PEAK_EVENTS_10S,
  );
  expect(verdict.offers).toEqual([]);
  await expect(discountCard(page)).toHaveCount(0);
  await expect(offersRegion(page)).toHaveCount(0);

  // The page reported the session once; the dashboard's API counts it under its reason.
  expect(JSON.parse((await reported).postData() ?? '{}')).toEqual({ kind: 'bot', reason: 'implausible_pace' });
  await expect
    .poll(async () => (await botCounts(request, storeUrl)).implausible_pace.session, { timeout: 10_000 })
    .toBe(before.implausible_pace.session + 1);
  // A reload is the same session: not counted again.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Road Racer Pro' })).toBeVisible();
  await expect.poll(async () => (await workerVerdict(page)).bot).toBe('implausible_pace');
  await page.waitForTimeout(1_000);
  const after = await botCounts(request, storeUrl);
  expect(after.implausible_pace.session).toBe(before.implausible_pace.session + 1);

  // Operators see it on the dashboard's offers panel.
  await page.goto(`/ops/drift?token=${encodeURIComponent(opsToken())}`);
  const bots = page
    .getByRole('region', { name: 'Offers against the holdout' })
    .getByRole('region', { name: 'Bots (no offers)' });
  await expect(bots.locator('tr[data-bot-reason="implausible_pace"] [data-cell="sessions"]')).toHaveText(
    String(after.implausible_pace.session),
  );
  await bots.screenshot({ path: testInfo.outputPath('offers-panel-bots.png') });
});

test("a crawler's user agent at a human pace gets no offer and is counted as a crawler", async ({
  playwright,
  request,
}, testInfo) => {
  test.setTimeout(60_000);
  const storeUrl = stack.storeUrl;
  const before = await botCounts(request, storeUrl);
  const crawler = await launchCrawler(playwright.chromium, testInfo.project.use.launchOptions);
  try {
    const context = await crawler.newContext({ baseURL: storeUrl });
    await giveConsent(context, storeUrl);
    const page = await context.newPage();
    await page.goto('/');
    expect(await page.evaluate(() => navigator.userAgent)).toBe(GOOGLEBOT_UA);
    // The four products that bring a human the discount, a second before every page.
    await browse(page, JOURNEY.slice(0, 4), 1_000);
    await expect.poll(async () => (await workerVerdict(page)).bot, { timeout: 10_000 }).toBe('crawler_user_agent');
    const verdict = await workerVerdict(page);
    expect(verdict.peakEvents10s).toBeLessThan(BOT_PEAK_EVENTS_10S);
    expect(verdict.offers).toEqual([]);
    await expect(discountCard(page)).toHaveCount(0);
    await expect
      .poll(async () => (await botCounts(request, storeUrl)).crawler_user_agent.session, { timeout: 10_000 })
      .toBe(before.crawler_user_agent.session + 1);
  } finally {
    await crawler.close();
  }
});

test('the same fifteen pages at a human pace get the discount and count no bot', async ({ page, request }) => {
  test.setTimeout(90_000);
  const storeUrl = stack.storeUrl;
  const before = await botCounts(request, storeUrl);
  await page.goto('/');
  await browse(page, JOURNEY, 1_000);
  await expect(discountCard(page)).toBeVisible();
  const verdict = await workerVerdict(page);
  expect(verdict.bot).toBeNull();
  console.log(`human journey: ${verdict.eventCount} events, peak ${verdict.peakEvents10s} in 10 s`);
  expect(verdict.peakEvents10s).toBeLessThan(BOT_PEAK_EVENTS_10S);
  expect(verdict.offers).toContain('price_sensitive_browser');
  expect(await botCounts(request, storeUrl)).toEqual(before);
});
