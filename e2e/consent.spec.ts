/**
 * Consent: the store tracks nothing and stores nothing before the shopper accepts (no request to the
 * collector path, no IndexedDB database, no Snowplow cookie, no feature worker, no offers), starts
 * tracking on Accept without a reload (the page view reaches Kafka), and a withdrawal deletes the
 * feature database and the tracker's cookies. These tests click the banner; the other specs give
 * consent through e2e/support/consent.ts. Also: the store's Content Security Policy is on every page,
 * and shopping with tracking on violates it nowhere.
 */
import { type BrowserContext, test as base, expect, type Page } from '@playwright/test';
import { watchCspViolations } from './support/consent.js';
import { domainUserIdOf } from './support/drift.js';
import { drawerToggle, featureRow, offersRegion, viewProduct } from './support/shop.js';
import { e2eStack, eventually, watchEnrichedTopic } from './support/stack.js';

/** Consent is not given here; every test checks its pages for CSP violations. */
const test = base.extend({
  context: async ({ context }, use) => {
    const violations = watchCspViolations(context);
    await use(context);
    expect(violations(), 'Content Security Policy violations').toEqual([]);
  },
});

const banner = (page: Page) => page.getByRole('region', { name: 'Your privacy choices' });
const privacyChoices = (page: Page) => page.getByRole('button', { name: 'Privacy choices' });

/** Every request the page makes to the store's first-party collector path (`/t/…`): method, URL and body. */
function collectorRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/t/'))
      seen.push(`${request.method()} ${request.url()} ${request.postData() ?? ''}`);
  });
  return seen;
}

async function databaseNames(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((database) => database.name ?? ''));
}

async function snowplowCookies(context: BrowserContext): Promise<string[]> {
  return (await context.cookies())
    .map((cookie) => cookie.name)
    .filter((name) => name === 'sp' || name.startsWith('_sp_'));
}

/** Whether the feature worker's client was created on this page (its diagnostics global). */
async function featureClientStarted(page: Page): Promise<boolean> {
  return page.evaluate(() => 'tandem' in globalThis);
}

/** The four views of the discount rule (offers.spec.ts): with tracking on they bring an offer. */
async function browseWidePriceRange(page: Page): Promise<void> {
  await viewProduct(page, 'Home', 'Enamel Mug');
  await viewProduct(page, 'Watches', 'NATO Strap');
  await viewProduct(page, 'Watches', 'Field Watch 38');
  await viewProduct(page, 'Jackets', 'Down Parka');
}

test('without consent nothing is tracked or stored: no collector request, no IndexedDB, no Snowplow cookie, no offer', async ({
  page,
  context,
}) => {
  // Four product views, a cart, a decline, a reload and the quiet waits: more than 30 s on a busy machine.
  test.setTimeout(60_000);
  const requests = collectorRequests(page);
  await page.goto('/');
  await expect(banner(page)).toBeVisible();
  await expect(banner(page).getByRole('heading', { name: 'Your privacy choices' })).toBeVisible();
  // The shop works while the question is open (the banner sits in the flow, not over the page).
  await browseWidePriceRange(page);
  // Time for anything that would have gone out: the tracker sends each event at once, offers tick
  // every second. With consent these views bring the discount offer (offers.spec.ts); here, nothing.
  await page.waitForTimeout(2_000);
  await expect(offersRegion(page).getByRole('heading')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('link', { name: 'Cart, 1 item' })).toBeVisible();

  expect(requests).toEqual([]);
  expect(await databaseNames(page)).toEqual([]);
  expect(await snowplowCookies(context)).toEqual([]);
  expect(await featureClientStarted(page)).toBe(false);
  await expect(drawerToggle(page)).toHaveCount(0);

  // Declining keeps it that way, and says so when the choice is reopened from the footer.
  await banner(page).getByRole('button', { name: 'Decline' }).click();
  await expect(banner(page)).toBeHidden();
  await viewProduct(page, 'Bags', 'Daypack 22');
  await page.reload();
  await expect(banner(page)).toBeHidden();
  await privacyChoices(page).click();
  await expect(banner(page)).toBeVisible();
  await expect(banner(page).getByRole('heading', { name: 'Your privacy choices' })).toBeFocused();
  await expect(banner(page)).toContainText('You declined');
  await page.keyboard.press('Escape');
  await expect(banner(page)).toBeHidden();
  await expect(privacyChoices(page)).toBeFocused();
  await page.waitForTimeout(1_000);
  expect(requests).toEqual([]);
  expect(await databaseNames(page)).toEqual([]);
  expect(await snowplowCookies(context)).toEqual([]);
});

test('accepting starts tracking without a reload: the page view reaches the collector and Kafka, the drawer shows features', async ({
  page,
  context,
}) => {
  test.setTimeout(60_000);
  const stack = e2eStack();
  const kafka = stack === null ? null : await watchEnrichedTopic(stack);
  try {
    const requests = collectorRequests(page);
    await page.goto('/product/lantern');
    await expect(banner(page)).toBeVisible();
    await page.waitForTimeout(500);
    expect(requests).toEqual([]);
    // A mark on this document: still there after Accept means no reload happened.
    await page.evaluate(() => Object.assign(globalThis, { consentMark: true }));

    // By keyboard: the banner's buttons are real buttons in the tab order.
    await banner(page).getByRole('button', { name: 'Accept' }).focus();
    await page.keyboard.press('Enter');
    await expect(banner(page)).toBeHidden();
    // The page view of this page, queued while the shopper decided, goes out as the tracker starts.
    await expect
      .poll(() => requests.some((request) => request.startsWith('POST ') && request.includes('"e":"pv"')))
      .toBe(true);
    expect(await page.evaluate(() => (globalThis as { consentMark?: boolean }).consentMark)).toBe(true);
    expect(await featureClientStarted(page)).toBe(true);
    await expect
      .poll(async () => (await snowplowCookies(context)).some((name) => name.startsWith('_sp_id.')))
      .toBe(true);

    // The worker computes the shopper's features in this browser, and keeps them in IndexedDB.
    await viewProduct(page, 'Home', 'Enamel Mug');
    await drawerToggle(page).click();
    await expect(featureRow(page, 'product_view_count_5m').getByRole('cell').first()).toHaveText(/^[12]$/);
    await expect.poll(() => databaseNames(page)).toContain('tandem-features');

    // The page view of the page where the shopper accepted landed in Kafka.
    if (kafka !== null) {
      const domainUserId = domainUserIdOf(await context.cookies());
      const events = await eventually(
        () => kafka.events(domainUserId),
        (seen) => seen.some((event) => event.eventName === 'page_view'),
      );
      expect(events.map((event) => event.eventName)).toContain('page_view');
    }
  } finally {
    await kafka?.close();
  }
});

test('withdrawing consent stops tracking and deletes the feature database and the Snowplow cookies', async ({
  page,
  context,
}) => {
  test.setTimeout(60_000);
  await page.goto('/');
  await banner(page).getByRole('button', { name: 'Accept' }).click();
  await viewProduct(page, 'Home', 'Enamel Mug');
  await expect.poll(() => databaseNames(page)).toContain('tandem-features');
  await expect.poll(() => snowplowCookies(context)).not.toEqual([]);

  await privacyChoices(page).click();
  await expect(banner(page)).toContainText('You accepted');
  const reloaded = page.waitForEvent('load');
  await banner(page).getByRole('button', { name: 'Decline' }).click();
  await reloaded;

  await expect.poll(() => databaseNames(page)).toEqual([]);
  expect(await snowplowCookies(context)).toEqual([]);
  expect(await featureClientStarted(page)).toBe(false);
  const requests = collectorRequests(page);
  await viewProduct(page, 'Watches', 'Field Watch 38');
  await page.waitForTimeout(1_500);
  expect(requests).toEqual([]);
  expect(await databaseNames(page)).toEqual([]);
  await expect(drawerToggle(page)).toHaveCount(0);
});

test('every page carries the Content Security Policy: own origin only, scripts by nonce, no framing', async ({
  page,
}) => {
  const policies: string[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document')
      policies.push(response.headers()['content-security-policy'] ?? '');
  });
  await page.goto('/');
  await page.goto('/product/lantern');
  await page.goto('/search?q=watch');
  expect(policies).toHaveLength(3);
  const nonces = new Set<string>();
  for (const policy of policies) {
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("worker-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'(;|$)/);
    nonces.add(/'nonce-([^']+)'/.exec(policy)?.[1] ?? '');
  }
  // A fresh nonce per response, and Next.js put this response's on its scripts (the page hydrated: the
  // banner's buttons work, checked by the other tests).
  expect(nonces.size).toBe(3);
  const scriptNonces = await page.evaluate(() => Array.from(document.scripts, (script) => script.nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([[...nonces].at(-1)]));
});

test('the policy holds: a script injected into a page is refused, and the spec helpers see the violation', async ({
  browser,
}) => {
  // Its own context: the fixture's would (rightly) fail this test for the violation it provokes.
  const context = await browser.newContext();
  try {
    const violations = watchCspViolations(context);
    const page = await context.newPage();
    // An injection as a stored XSS would do it: an inline script without the nonce, in the served HTML
    // (the response's own CSP header is kept).
    await page.route('**/product/lantern', async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace('<body>', '<body><script>globalThis.injected = true</script>');
      await route.fulfill({ response, body: html });
    });
    await page.goto('/product/lantern');
    await expect(banner(page)).toBeVisible();
    expect(await page.evaluate(() => 'injected' in globalThis)).toBe(false);
    await expect.poll(() => violations().join('\n')).toContain("script-src 'self' 'nonce-");
    // The store's own scripts, carrying the nonce, still ran: the page hydrated and the banner works.
    await banner(page).getByRole('button', { name: 'Decline' }).click();
    await expect(banner(page)).toBeHidden();
  } finally {
    await context.close();
  }
});
