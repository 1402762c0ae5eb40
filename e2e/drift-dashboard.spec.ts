/**
 * The drift dashboard renders real data in Chromium: a shopper whose beacon is dropped drifts, the
 * reconciler records it, and /ops/drift (opened with the dashboard token, as `npm start` prints it)
 * shows it in charts with data points, the shopper with browser and server values side by side, and
 * the pipeline's health; it updates without a reload. Saves docs/images/drift-dashboard.png.
 */
import { resolve } from 'node:path';
import type { Locator } from '@playwright/test';
import type { DriftRecord } from '@tandem/feature-core';
import { readEnvLocal } from '@tandem/infra/env-local';
import { expect, giveConsent, test } from './support/consent.js';
import { domainUserIdOf, driftReader, dropNextProductViewBeacon } from './support/drift.js';
import { viewProduct } from './support/shop.js';
import { e2eStack } from './support/stack.js';

const stack = e2eStack();
const SCREENSHOT = resolve('docs/images/drift-dashboard.png');

/** The dashboard token the stack's store reads: the environment's, else the one generated into .env.local. */
function opsToken(): string {
  const token = process.env.OPS_TOKEN?.trim() || readEnvLocal().OPS_TOKEN?.trim();
  if (!token) throw new Error('no OPS_TOKEN in the environment or .env.local (the stack generates it)');
  return token;
}

/** SVG marks that carry data: line dots and non-empty bar rectangles (recharts skips zero-height bars). */
async function dataMarks(chart: Locator): Promise<{ dots: number; bars: number }> {
  return {
    dots: await chart.locator('.recharts-line-dots circle').count(),
    bars: await chart.locator('path.recharts-rectangle').count(),
  };
}

test('the drift dashboard shows a drifting shopper, side by side, in charts with data points', async ({
  browser,
  request,
}) => {
  test.setTimeout(150_000);
  if (stack === null)
    throw new Error('drift-dashboard.spec needs the end-to-end stack: run `node scripts/test.mjs --only e2e`');
  const token = opsToken();
  const drift = driftReader(stack);
  const shopperContext = await browser.newContext();
  await giveConsent(shopperContext);
  const opsContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // The API is not open: no token, 401; the bearer token, 200 and never cached.
    expect((await request.get('/api/ops/drift')).status()).toBe(401);
    const api = await request.get('/api/ops/drift', { headers: { authorization: `Bearer ${token}` } });
    expect(api.status()).toBe(200);
    expect(api.headers()['cache-control']).toBe('no-store');

    // One shopper; one product-view beacon is answered here and never delivered, so the browser
    // counts an event the server never gets: browser_only_events.
    const page = await shopperContext.newPage();
    await page.goto('/');
    await viewProduct(page, 'Home', 'Enamel Mug');
    const dropped = await dropNextProductViewBeacon(page);
    await viewProduct(page, 'Watches', 'Field Watch 38');
    await expect.poll(dropped).toBe(1);
    await viewProduct(page, 'Jackets', 'Down Parka');
    const userKey = domainUserIdOf(await shopperContext.cookies());

    let drifted: DriftRecord | null = null;
    await expect
      .poll(
        async () => {
          drifted = (await drift.mismatches()).find((r) => r.userKey === userKey) ?? null;
          return drifted?.cause ?? null;
        },
        { timeout: 60_000, intervals: [500] },
      )
      .toBe('browser_only_events');

    // The printed URL: ?token= trades the token for the cookie and comes back without it.
    const ops = await opsContext.newPage();
    await ops.goto(`/ops/drift?token=${encodeURIComponent(token)}`);
    await expect(ops).toHaveURL(/\/ops\/drift$/);
    // The cookie: HttpOnly, SameSite=Strict, on the dashboard's paths only (the shop never sends it).
    const opsCookies = (await opsContext.cookies()).filter((c) => c.name === 'tandem_ops');
    expect(opsCookies.map((c) => c.path).sort()).toEqual(['/api/ops', '/ops']);
    for (const cookie of opsCookies) expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await expect(ops.getByRole('heading', { level: 1, name: 'Drift dashboard' })).toBeVisible();
    const status = ops.getByRole('status').filter({ hasText: /^Live: updated/ });
    await expect(status).toBeVisible();

    // Charts with data: agreement dots in the minutes with digests, outcome bars, the worst fields.
    const agreement = ops.locator('figure[data-chart="agreement"]');
    const causes = ops.locator('figure[data-chart="causes"]');
    const fields = ops.locator('figure[data-chart="fields"]');
    await expect(agreement.getByText('Agreement and drift rate per minute (%)')).toBeVisible();
    await expect.poll(async () => (await dataMarks(agreement)).dots).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await dataMarks(causes)).bars).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await dataMarks(fields)).bars).toBeGreaterThanOrEqual(1);
    const fieldsOverTime = ops.locator('figure[data-chart="fields-over-time"]');
    await expect.poll(async () => (await dataMarks(fieldsOverTime)).dots).toBeGreaterThanOrEqual(1);
    await expect(causes.locator('.recharts-legend-item-text', { hasText: 'Browser-only events' })).toBeVisible();

    // The shopper in the table, with evidence, a history chart and every compared field side by side.
    const shoppers = ops.getByRole('region', { name: 'Drifting shoppers' });
    await expect(shoppers.locator(`tr[data-user-key="${userKey}"]`)).toBeVisible();
    const detail = ops.locator(`article[id="shopper-${userKey}"]`);
    await expect(detail.getByText('Events browser / server')).toBeVisible();
    await expect.poll(async () => (await dataMarks(detail.locator('figure'))).dots).toBeGreaterThanOrEqual(1);
    const sideBySide = detail.locator(`table[data-side-by-side="${userKey}"]`);
    if (!(await sideBySide.isVisible())) await detail.locator('summary').first().click();
    await expect(sideBySide.getByRole('columnheader', { name: 'Browser' })).toBeVisible();
    await expect(sideBySide.getByRole('columnheader', { name: 'Server' })).toBeVisible();
    const latest = await drift.latest(userKey);
    expect(latest).not.toBeNull();
    await expect(sideBySide.locator('tbody tr')).toHaveCount(latest?.fields.length ?? -1);
    const viewRow = sideBySide.locator('tr[data-field="product_view_count_5m"]');
    const viewField = latest?.fields.find((f) => f.field === 'product_view_count_5m');
    await expect(viewRow.locator('td').nth(0)).toHaveText(viewField?.browser ?? '∅');
    await expect(viewRow.locator('td').nth(1)).toHaveText(viewField?.server ?? '∅');

    // Pipeline health from the aggregator's metrics.
    const health = ops.getByRole('region', { name: 'Pipeline health' });
    await expect(health.getByText('Freshness p50 / p99')).toBeVisible();
    await expect(health.getByText(/^\d+ ms \/ \d+ ms$/)).toBeVisible();
    await expect(health.getByText(/^[\d.]+ events\/s$/)).toBeVisible({ timeout: 15_000 });
    await expect(health.getByText(/^\d+ messages$/)).toBeVisible();

    // Live: the page updates on its own.
    const before = await status.textContent();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).not.toBe(before);

    await ops.screenshot({ path: SCREENSHOT, fullPage: true });

    // At phone width the dashboard itself does not overflow sideways (tables scroll in their own box;
    // the charts re-measure on the next resize observation, so this is polled).
    await ops.setViewportSize({ width: 390, height: 844 });
    const overflow = () =>
      ops.evaluate(() => {
        const main = document.getElementById('main');
        return main === null ? -1 : main.scrollWidth - main.clientWidth;
      });
    try {
      await expect.poll(overflow, { timeout: 5_000 }).toBeLessThanOrEqual(1);
    } catch (error) {
      // Name what sticks out, so a failure says where to look.
      const wide = await ops.evaluate(() => {
        const limit = document.getElementById('main')?.getBoundingClientRect().right ?? window.innerWidth;
        return Array.from(document.querySelectorAll('#main *'))
          .filter((el) => el.getBoundingClientRect().right > limit + 1)
          .slice(0, 8)
          .map(
            (el) =>
              `${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} ${Math.round(el.getBoundingClientRect().right)}px`,
          );
      });
      throw new Error(`the dashboard overflows at 390 px (main ends at the viewport): ${wide.join('; ')}`, {
        cause: error,
      });
    }
  } finally {
    await shopperContext.close();
    await opsContext.close();
    drift.close();
  }
});
