/**
 * The browser rebases on the server: a shopper whose browser lost its stored features (IndexedDB
 * cleared, another browser profile with the same cookies) continues from the aggregator's lane
 * snapshots, fetched by the feature worker when it starts (GET /api/features/state).
 */
import { expect, test } from './support/consent.js';
import { drawerToggle, featureRow, viewProduct } from './support/shop.js';

test('a browser without stored features continues from the server’s snapshot', async ({ page, browser }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  await viewProduct(page, 'Home', 'Enamel Mug');
  await viewProduct(page, 'Watches', 'Field Watch 38');
  await viewProduct(page, 'Jackets', 'Down Parka');

  // Wait until the server's lane snapshot covers the last view: the aggregator writes values at once but
  // snapshots the lane state at its checkpoints (every 5 s), and that state is what the worker rebases on.
  const lastEventId = await page.evaluate(async () => {
    const features = (globalThis as unknown as { tandem: { features: { recentEvents(): Promise<{ eid: string }[]> } } })
      .tandem.features;
    return (await features.recentEvents()).at(-1)?.eid ?? '';
  });
  expect(lastEventId).not.toBe('');
  await expect
    .poll(
      async () => {
        const state = (await (await page.request.get('/api/features/state')).json()) as Record<string, string | null>;
        return `${state.user ?? ''} ${state.session ?? ''}`;
      },
      {
        timeout: 30_000,
      },
    )
    .toContain(lastEventId);

  // Same cookies (the tracker's ids, the cart), nothing else: no IndexedDB, no running worker.
  const cookies = await page.context().cookies();
  const fresh = await browser.newContext({ baseURL: new URL(page.url()).origin });
  await fresh.addCookies(cookies);
  const other = await fresh.newPage();
  await other.goto('/');
  await expect(other.getByRole('heading', { level: 1, name: 'Ready for the first snow' })).toBeVisible();
  await drawerToggle(other).click();
  // The worker started empty and rebased: the browser column has the server's values, the home page view on top.
  await expect(featureRow(other, 'product_view_count_5m').getByRole('cell').first()).toHaveText('3', {
    timeout: 20_000,
  });
  await expect(featureRow(other, 'price_range_viewed_5m').getByRole('cell').first()).toHaveText('18.00-320.00');
  await fresh.close();
});
