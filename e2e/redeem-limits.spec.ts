/**
 * Offer redemption answers a flood as documented (apps/store/README.md, "Offers"): each browser gets
 * 10 claims per 10 minutes, answered on their merits; the next is `429 Too Many Requests` with a
 * `Retry-After` and a message for the shopper, before any claim is read. The limit is the browser's
 * (its `_sp_id` cookie), so another browser on the same machine is still answered.
 *
 * Needs the end-to-end stack of `npm test` (the store with Redis behind it).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect, giveConsent, test } from './support/consent.js';

/** Opens the shop until the tracker has set its `_sp_id` cookie: the browser identity limits count. */
async function trackedBrowser(page: Page, context: BrowserContext): Promise<void> {
  await page.goto('/');
  await expect
    .poll(async () => (await context.cookies()).some((cookie) => cookie.name.startsWith('_sp_id')))
    .toBe(true);
}

/** A claim that names no event: answered 400 when it gets through the limits. */
const JUNK_CLAIM = { ruleId: 'price_sensitive_browser' };

test('a browser gets 10 redemption claims per 10 minutes, then 429 with Retry-After', async ({
  page,
  context,
  browser,
  baseURL,
}) => {
  await trackedBrowser(page, context);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++)
    statuses.push((await page.request.post('/api/offers/redeem', { data: JUNK_CLAIM })).status());
  expect(statuses).toEqual(Array(10).fill(400));

  const limited = await page.request.post('/api/offers/redeem', { data: JUNK_CLAIM });
  expect(limited.status()).toBe(429);
  const retryAfter = Number(limited.headers()['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(600);
  expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });

  // Another shopper's browser on this machine is unaffected.
  const other = await browser.newContext({ baseURL });
  try {
    await giveConsent(other, baseURL);
    const otherPage = await other.newPage();
    await trackedBrowser(otherPage, other);
    expect((await otherPage.request.post('/api/offers/redeem', { data: JUNK_CLAIM })).status()).toBe(400);
  } finally {
    await other.close();
  }
});
