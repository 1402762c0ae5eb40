/**
 * Shopping scenarios, part 1 (issue 8): three realistic journeys through the real store with
 * tracking on, each asserting what the shopper sees and what the aggregator wrote for this shopper
 * in Redis, read through the accelerator's plain string keys (`user:<u>:<field>`,
 * `session:<s>:<field>`), with the exact values the journey determines. Part 2 (returning shopper,
 * two tabs, offline) is in e2e/scenarios-*.spec.ts files of its own; e2e/support/scenario-keys.ts
 * lists which keys each scenario checks, and the last test here fails, naming them, when an
 * accelerator key of FEATURES.md is checked by none.
 *
 * Categories. FEATURES.md counts list names and product categories together ("category lane"), and
 * the shop names its lists `top this week`, `new series`, `category <id>`, `search results` and
 * `recommendations`; every product page shows (and so tracks a list view of) its "You may also like"
 * list. A shopper who views N products therefore has `recommendations` counted N times, at least as
 * often as any product category: it is the top category of every product browser. The window shopper
 * asserts that, and the full `category_view_count_5m` object that explains it.
 *
 * Time. The stalled cart needs 60 s without cart activity, measured by the feature worker's own clock
 * (Playwright's clock does not reach workers: see e2e/offers.spec.ts), so it waits the real minute;
 * its Redis checks run inside that minute. It is the suite's only such wait besides offers.spec's.
 *
 * Needs the stack `node scripts/test.mjs --only e2e` starts (Redis, Kafka, collector, aggregator, store
 * on their own ports, OFFER_HOLDOUT_SHARE=0 so every browser sees its offers).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/consent.js';
import { acceleratorKeys, SCENARIO_KEYS, uncoveredAcceleratorKeys } from './support/scenario-keys.js';
import { type KeyOwner, scenarioKeys, trackerIds } from './support/scenario-redis.js';
import { cartLink, drawer, drawerToggle, featureRow, offersRegion, viewProduct } from './support/shop.js';
import { e2eStack } from './support/stack.js';

const stack = e2eStack();

/** The stack's addresses, or a failure naming the command that provides them (never the machine's Redis). */
function needStack() {
  if (stack === null)
    throw new Error('the scenarios read Redis: run them through `node scripts/test.mjs --only e2e -- e2e/<spec>`');
  return stack;
}

const WINDOW_SHOPPER = 'the window shopper: lists, searches and many product views, no cart, bring the discount';
const STALLED_CART = 'the stalled high-value cart: a big cart left alone on a phone brings the chat prompt';
const BUYER = 'the buyer: signs in, fills a cart, checks out; orders follow the user id, the session spans the sign-in';

/** A desktop Chrome on Linux, as a shopper's browser reports itself (headless Chromium says "Headless"). */
const DESKTOP_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const PHONE_AGENT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';

/** The drawer's browser (first) and server (second) cells of `field`. */
async function expectDrawerValue(page: Page, field: string, value: string): Promise<void> {
  const cells = featureRow(page, field).getByRole('cell');
  await expect(cells.nth(0), `${field} in the browser`).toHaveText(value);
  // The server's copy comes from /api/features, read when the drawer opens and as events arrive.
  await expect(cells.nth(1), `${field} on the server`).toHaveText(value, { timeout: 20_000 });
}

/** Money in cents → the canonical 2-decimal string. */
const euros = (cents: number) => (cents / 100).toFixed(2);

/** `sum / count` in cents, rounded half-even to the cent (FEATURES.md "Number formats"). */
function averageCents(sum: number, count: number): number {
  const floor = Math.floor(sum / count);
  const twice = 2 * (sum - floor * count);
  if (twice > count) return floor + 1;
  if (twice < count) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

test.describe('the window shopper', () => {
  test.use({ userAgent: DESKTOP_AGENT });

  test(WINDOW_SHOPPER, async ({ page, context }) => {
    // Story: a newsletter link brings her in. She compares watches, searches for a parka, glances at
    // a mug, goes back to the first watch: five product views, four products from €18 to €320, no
    // cart. The shop offers 10% off; Redis has the same picture of her browsing.
    test.setTimeout(90_000);
    const keys = scenarioKeys(needStack(), WINDOW_SHOPPER);
    try {
      const startedAt = Date.now();
      await page.goto('/?utm_source=newsletter&utm_medium=email&utm_campaign=winter-window');
      await expect(page.getByRole('heading', { level: 1, name: 'Ready for the first snow' })).toBeVisible();
      await expect(drawerToggle(page)).toBeVisible();
      const ids = await trackerIds(context);
      const me: KeyOwner = { u: ids.domainUserId, s: ids.sessionId };

      await viewProduct(page, 'Watches', 'Field Watch 38'); // €199.00
      await viewProduct(page, 'Watches', 'NATO Strap'); // €19.50
      await page.getByRole('searchbox', { name: 'Search products' }).fill('parka');
      await page.keyboard.press('Enter');
      await expect(page.getByRole('heading', { level: 1, name: 'Search results for “parka”' })).toBeVisible();
      await page
        .getByRole('link', { name: /Down Parka/ })
        .first()
        .click(); // €320.00
      await expect(page.getByRole('heading', { level: 1, name: 'Down Parka' })).toBeVisible();
      const discount = offersRegion(page).getByRole('heading', { name: '10% off your order' });
      // Three products are not enough for the discount; the fourth, at a sixth of the dearest, is.
      await expect(discount).toHaveCount(0);
      await viewProduct(page, 'Home', 'Enamel Mug'); // €18.00
      await expect(discount).toBeVisible();
      await expect(offersRegion(page).getByRole('button', { name: 'Get my code' })).toBeVisible();
      await viewProduct(page, 'Watches', 'Field Watch 38'); // a second look
      const journeyEnded = Date.now();

      // Product lane: 4 distinct products (5 views), mean of each product's price once:
      // (199.00 + 19.50 + 320.00 + 18.00) / 4 = 139.125, half-even 139.12.
      for (const w of ['5m', '1h'] as const) {
        await keys.toHold(`user:{u}:product_view_count_${w}`, me, '4');
        await keys.toHold(`user:{u}:avg_viewed_price_${w}`, me, '139.12');
        await keys.toHold(`user:{u}:price_range_viewed_${w}`, me, '18.00-320.00');
        await keys.toHold(
          `user:{u}:return_view_count_${w}`,
          me,
          '{"down-parka":1,"enamel-mug":1,"field-watch":2,"nato-strap":1}',
        );
      }
      await keys.toHold('user:{u}:product_view_total_5m', me, '5');

      // Category lane: 11 pages. Lists: home's two, the Watches list three times, the search results,
      // the Home list, and "You may also like" on each of the 5 product pages; product categories:
      // watches 3, jackets 1, home 1. So 9 categories, "recommendations" on top (see the note above).
      await keys.toHold(
        'user:{u}:category_view_count_5m',
        me,
        '{"category home":1,"category watches":3,"home":1,"jackets":1,"new series":1,' +
          '"recommendations":5,"search results":1,"top this week":1,"watches":3}',
      );
      for (const w of ['5m', '1h', '24h'] as const) {
        await keys.toHold(`user:{u}:top_category_${w}`, me, 'recommendations');
        await keys.toHold(`user:{u}:unique_categories_${w}`, me, '9');
      }
      // No cart: the count's key is absent (its empty value, 0), not "0".
      await keys.toHold('user:{u}:cart_add_count_5m', me, null);

      // Session lane: the newsletter's campaign, one search page, 11 pages, no add among 5 views.
      await keys.toHold('session:{s}:session_page_count', me, '11');
      await keys.toHold('session:{s}:session_bounce', me, 'false');
      await keys.toHold('session:{s}:session_marketing_campaign', me, 'winter-window');
      await keys.toHold('session:{s}:session_search_count', me, '1');
      await keys.toHold('session:{s}:session_cart_ratio', me, '0.00');
      await keys.toHold('session:{s}:shopper_device_types', me, '["Desktop"]');
      await keys.toHold('session:{s}:shopper_latest_platform', me, 'web');
      const elapsed = Date.now() - startedAt;
      await keys.toSatisfy(
        'session:{s}:session_duration',
        me,
        `ms from the first to the latest event: at least the journey's clicks, at most ${elapsed} ms`,
        (value) => /^\d+$/.test(value ?? '') && Number(value) >= 1_000 && Number(value) <= elapsed,
      );

      // Lifetimes: a 5 m key lives until its window would be empty (not the accelerator's 600 s for
      // all), a 24 h key about a day.
      expect(await keys.ttlSeconds('user:{u}:product_view_count_5m', me)).toBeGreaterThan(0);
      expect(await keys.ttlSeconds('user:{u}:product_view_count_5m', me)).toBeLessThanOrEqual(
        300 + 10 + Math.ceil((Date.now() - journeyEnded) / 1000),
      );
      expect(await keys.ttlSeconds('user:{u}:top_category_24h', me)).toBeGreaterThan(23 * 3600);

      // What she sees in "Why this offer?": the same values in her browser and on the server.
      await drawerToggle(page).click();
      await expect(drawer(page)).toBeVisible();
      await expectDrawerValue(page, 'product_view_count_5m', '4');
      await expectDrawerValue(page, 'avg_viewed_price_5m', '139.12');
      await expectDrawerValue(page, 'top_category_5m', 'recommendations');
      const rule = drawer(page).getByRole('listitem').filter({ hasText: 'price_sensitive_browser' }).first();
      await expect(rule).toContainText('fired this session');
      await page.keyboard.press('Escape');
      await expect(drawer(page)).toBeHidden();
      keys.done();
    } finally {
      keys.close();
    }
  });
});

test.describe('the stalled high-value cart', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: PHONE_AGENT });

  test(STALLED_CART, async ({ page, context }) => {
    // Story: on her phone, a shopper puts a €249 shell jacket and a €119 blanket in her cart, takes
    // the blanket out again, and then just looks at the cart for a minute. The shop offers a chat;
    // Redis says the same: a €249 cart whose last change was over a minute ago.
    test.setTimeout(150_000);
    const keys = scenarioKeys(needStack(), STALLED_CART);
    try {
      await page.goto('/');
      await expect(page.getByRole('heading', { level: 1, name: 'Ready for the first snow' })).toBeVisible();
      await expect(drawerToggle(page)).toBeVisible();
      const ids = await trackerIds(context);
      const me: KeyOwner = { u: ids.domainUserId, s: ids.sessionId };

      await viewProduct(page, 'Jackets', 'Storm Shell'); // €249.00
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
      await viewProduct(page, 'Home', 'Wool Blanket'); // €119.00
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 2 items');
      await cartLink(page).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible();
      await expect(page.getByTestId('cart-subtotal')).toHaveText('€368.00');
      const beforeRemove = Date.now();
      await page.getByRole('button', { name: 'Remove Wool Blanket' }).click();
      await expect(page.getByTestId('cart-subtotal')).toHaveText('€249.00');
      const afterRemove = Date.now();
      const chat = offersRegion(page).getByRole('heading', { name: 'Need a hand with your cart?' });
      await expect(chat).toHaveCount(0);

      // Inside the idle minute: the cart as the aggregator has it. Counts are events (2 adds, 1 removal).
      for (const w of ['5m', '1h'] as const) {
        await keys.toHold(`user:{u}:cart_add_count_${w}`, me, '2');
        await keys.toHold(`user:{u}:cart_remove_count_${w}`, me, '1');
        await keys.toHold(`user:{u}:cart_update_frequency_${w}`, me, '3');
        await keys.toHold(`user:{u}:cart_value_${w}`, me, '249.00');
      }
      const lastActivity = await keys.toSatisfy(
        'user:{u}:last_cart_activity_at',
        me,
        'the removal’s event time (epoch ms)',
        (value) => Number(value) >= beforeRemove - 1_000 && Number(value) <= afterRemove + 1_000,
      );
      // 6 pages (home, 2 category pages, 2 products, the cart); 2 adds for 2 product views.
      await keys.toHold('session:{s}:session_page_count', me, '6');
      await keys.toHold('session:{s}:session_cart_ratio', me, '1.00');
      await keys.toHold('session:{s}:shopper_device_types', me, '["Phone"]');

      // The chat prompt, a minute after the last cart change (real time: see the note at the top).
      await expect(chat).toBeVisible({ timeout: 90_000 });
      expect(Date.now() - afterRemove).toBeGreaterThanOrEqual(55_000);
      await expect(page.getByRole('status').filter({ hasText: 'New offer: Need a hand with your cart?' })).toHaveCount(
        1,
      );
      await expect(offersRegion(page).getByRole('button', { name: 'Start chat' })).toBeVisible();
      // The server's copy agrees the cart stalled: its last activity is unchanged and over 60 s old.
      expect(await keys.read('user:{u}:last_cart_activity_at', me)).toBe(lastActivity);
      expect(Date.now() - Number(lastActivity)).toBeGreaterThanOrEqual(60_000);

      await drawerToggle(page).click();
      await expectDrawerValue(page, 'cart_value_1h', '249.00');
      const chatRule = drawer(page).getByRole('listitem').filter({ hasText: 'stalled_high_value_cart' }).first();
      await expect(chatRule).toContainText('fired this session');
      await drawer(page).getByRole('button', { name: 'Close' }).click();
      keys.done();
    } finally {
      keys.close();
    }
  });
});

test.describe('the buyer', () => {
  test(BUYER, async ({ page, context }) => {
    // Story: a comparison site links her to a camp chair. She signs in as Ada, buys two pour-over
    // sets and a thermos (€112.50, free standard delivery) through the three checkout steps. Her
    // user key changes at sign-in from the browser's domain_userid to "ada": what she did before
    // stays with the anonymous key (nothing is merged), the cart and the order go to "ada", and the
    // session (the tracker's, unchanged by sign-in) holds the whole visit.
    test.setTimeout(120_000);
    const keys = scenarioKeys(needStack(), BUYER);
    try {
      await page.goto('/product/camp-chair?utm_source=compare-gear&utm_medium=referral&utm_campaign=camp-season');
      await expect(page.getByRole('heading', { level: 1, name: 'Camp Chair' })).toBeVisible();
      const ids = await trackerIds(context);
      const anonymous: KeyOwner = { u: ids.domainUserId, s: ids.sessionId };
      const ada: KeyOwner = { u: 'ada', s: ids.sessionId };
      // The anonymous view reached Redis under the domain_userid before she signs in.
      await keys.toHold('user:{u}:product_view_count_5m', anonymous, '1');

      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByLabel('Demo shopper').selectOption({ label: 'Ada Lovelace' });
      await page.getByLabel('Password').fill('demo');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByText('Signed in as Ada Lovelace')).toBeVisible();
      // The browser's feature worker follows the identity of the latest event: "ada" from now on.
      await expect
        .poll(() =>
          page.evaluate(async () => {
            const tandem = (
              globalThis as { tandem?: { features: { snapshot(): Promise<{ userKey: string | null }> } } }
            ).tandem;
            return (await tandem?.features.snapshot())?.userKey ?? null;
          }),
        )
        .toBe('ada');
      // Ada's 24 h and 5 m history from other runs of the suite (none, unless another spec signed in
      // as Ada first): the journey adds to it exactly.
      const count = async (template: Parameters<typeof keys.read>[0]) => Number((await keys.read(template, ada)) ?? 0);
      const cents = async (template: Parameters<typeof keys.read>[0]) =>
        Math.round(Number((await keys.read(template, ada)) ?? 0) * 100);
      const before = {
        orders: await count('user:{u}:orders_count_24h'),
        valueCents: await cents('user:{u}:order_value_24h'),
        adds: await count('user:{u}:cart_add_count_5m'),
        views: await count('user:{u}:product_view_total_5m'),
      };

      await viewProduct(page, 'Home', 'Pour-over Set'); // €39.00
      await page.getByLabel('Quantity').selectOption('2');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 2 items');
      await viewProduct(page, 'Home', 'Thermos 1 L'); // €34.50
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 3 items');
      // Two add events (one of quantity 2): counts are events, and the cart is worth 2 × 39.00 + 34.50.
      await keys.toHold('user:{u}:cart_add_count_5m', ada, String(before.adds + 2));
      await keys.toHold('user:{u}:cart_value_5m', ada, '112.50');
      await keys.toHold('user:{u}:product_view_total_5m', ada, String(before.views + 2));

      await cartLink(page).click();
      await expect(page.getByTestId('cart-subtotal')).toHaveText('€112.50');
      await page.getByRole('link', { name: 'Go to checkout' }).click();
      await expect(page.getByRole('heading', { name: 'Step 1 of 3: Address' })).toBeVisible();
      await expect(page.getByLabel('Full name')).toHaveValue('Ada Lovelace');
      await page.getByLabel('Street and number').fill('12 St Stephen’s Green');
      await page.getByLabel('Postcode').fill('D02 XY00');
      await page.getByLabel('City').fill('Dublin');
      await page.getByRole('button', { name: 'Continue to delivery' }).click();
      await expect(page.getByRole('heading', { name: 'Step 2 of 3: Delivery' })).toBeVisible();
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await expect(page.getByRole('heading', { name: 'Step 3 of 3: Payment' })).toBeVisible();
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiry (MM/YY)').fill('12/30');
      await page.getByLabel('Security code').fill('123');
      await page.getByRole('button', { name: 'Place order' }).click();

      await expect(page.getByRole('heading', { level: 1, name: 'Thank you: your order is confirmed' })).toBeVisible();
      await expect(page.getByTestId('order-id')).toHaveText(/^TS-\d{8}-[0-9A-F]{8}$/);
      await expect(page.getByRole('main').getByText('€112.50', { exact: true })).toBeVisible();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 0 items');

      // One order, though both the page and the store's server tracked its transaction (deduplicated
      // by transaction id); the order empties the cart value.
      const orders = before.orders + 1;
      const valueCents = before.valueCents + 11_250;
      await keys.toHold('user:{u}:orders_count_24h', ada, String(orders));
      await keys.toHold('user:{u}:order_value_24h', ada, euros(valueCents));
      await keys.toHold('user:{u}:avg_order_value_24h', ada, euros(averageCents(valueCents, orders)));
      await keys.toHold('user:{u}:cart_value_5m', ada, null);
      // Identity change: the anonymous key kept its one view (€79.00) and got no cart or order.
      await keys.toHold('user:{u}:avg_viewed_price_5m', anonymous, '79.00');
      expect(await keys.read('user:{u}:product_view_count_5m', anonymous)).toBe('1');
      expect(await keys.read('user:{u}:cart_add_count_5m', anonymous)).toBeNull();
      expect(await keys.read('user:{u}:orders_count_24h', anonymous)).toBeNull();

      // The session spans the sign-in: 10 pages (chair, sign-in, home, 2 × (category, product), cart,
      // checkout, confirmation), the campaign of its first page, 2 adds for 3 product views.
      await keys.toHold('session:{s}:session_page_count', ada, '10');
      await keys.toHold('session:{s}:session_bounce', ada, 'false');
      await keys.toHold('session:{s}:session_marketing_campaign', ada, 'camp-season');
      await keys.toHold('session:{s}:session_cart_ratio', ada, '0.67');

      // What she sees: the server's count of her orders in "Why this offer?".
      await drawerToggle(page).click();
      await expect(featureRow(page, 'orders_count_24h').getByRole('cell').nth(1)).toHaveText(String(orders), {
        timeout: 20_000,
      });
      await page.keyboard.press('Escape');
      keys.done();
    } finally {
      keys.close();
    }
  });
});

test('every accelerator key of FEATURES.md is checked by some scenario', () => {
  // 12 rolling features in their accelerator windows (23 keys) and 8 session features.
  expect(acceleratorKeys()).toHaveLength(31);
  expect(
    uncoveredAcceleratorKeys(),
    `accelerator keys no scenario checks (scenarios: ${Object.keys(SCENARIO_KEYS).length})`,
  ).toEqual([]);
});
