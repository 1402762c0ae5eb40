/**
 * The shop in a real browser (Debian chromium): browse → cart → checkout → confirmation, search,
 * sign-in/out, and keyboard reachability. Runs against STORE_E2E_URL (see playwright.config.ts);
 * `npm test` runs it against the whole stack with tracking on, so every step also sends its events
 * through the store's /t proxy to the collector: the shop works the same whatever tracking does.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/consent.js';
import { cartLink } from './support/shop.js';

/** Presses Tab until `target` has focus (at most `max` times); fails if it never does. */
async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`not reachable with Tab in ${max} presses: ${target}`);
}

test('browse home → category → product → cart → quantity → checkout → confirmation', async ({ page, browser }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Ready for the first snow' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Top this week' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'New series' })).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 0 items');

  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Watches' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Watches' })).toBeVisible();
  await page.getByRole('link', { name: /Field Watch 38/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Field Watch 38' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'You may also like' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Field Watch 38 by Tempora' })).toBeVisible();

  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 × Field Watch 38' })).toBeVisible();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');

  // A second product, added from a recommendation list, to remove later.
  await page.goto('/product/enamel-mug');
  await page.getByLabel('Quantity').selectOption('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 3 items');

  await cartLink(page).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible();
  await page.getByLabel('Quantity of Field Watch 38').selectOption('3');
  await expect(page.getByTestId('cart-subtotal')).toHaveText('€633.00'); // 3 × 199.00 + 2 × 18.00
  await page.getByRole('button', { name: 'Remove Enamel Mug' }).click();
  await expect(page.getByTestId('cart-subtotal')).toHaveText('€597.00');
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 3 items');

  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await expect(page.getByRole('heading', { name: 'Step 1 of 3: Address' })).toBeVisible();
  await page.getByRole('button', { name: 'Continue to delivery' }).click();
  await expect(page.getByText('Required').first()).toBeVisible();
  await expect(page.getByLabel('Full name')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Street and number').fill('12 St Stephen’s Green');
  await page.getByLabel('Postcode').fill('D02 XY00');
  await page.getByLabel('City').fill('Dublin');
  await page.getByRole('button', { name: 'Continue to delivery' }).click();

  await expect(page.getByRole('heading', { name: 'Step 2 of 3: Delivery' })).toBeFocused();
  await page.getByLabel(/^Express/).check();
  await page.getByRole('button', { name: 'Continue to payment' }).click();

  await expect(page.getByRole('heading', { name: 'Step 3 of 3: Payment' })).toBeVisible();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry (MM/YY)').fill('12/30');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Place order' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Thank you: your order is confirmed' })).toBeVisible();
  const orderId = (await page.getByTestId('order-id').textContent()) ?? '';
  expect(orderId).toMatch(/^TS-\d{8}-[0-9A-F]{8}$/);
  expect(page.url()).toContain(`/order/${orderId}`);
  await expect(page.getByText('Card ending 4242')).toBeVisible();
  await expect(page.getByText('€606.95')).toBeVisible(); // 597.00 + express 9.95
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 0 items');

  // Another browser cannot open this order.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(`/order/${orderId}`);
  await expect(strangerPage.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await stranger.close();
});

test('the cart lives on the server behind an httpOnly cookie', async ({ page, context }) => {
  await page.goto('/product/lantern');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
  const cart = (await context.cookies()).find((cookie) => cookie.name === 'tandem_cart');
  expect(cart).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  expect(await page.evaluate(() => document.cookie)).not.toContain('tandem_cart');
  await page.reload();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
});

test('search from the header', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('searchbox', { name: 'Search products' }).fill('watch');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=watch$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Search results for “watch”' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /\d+ products found/ })).toBeVisible();
  await expect(page.getByRole('link', { name: /Dive Watch 200/ })).toBeVisible();

  await page.goto('/search?q=zzzz-nothing');
  await expect(page.getByText('0 products found.')).toBeVisible();
});

test('sign in as a demo shopper, then sign out', async ({ page, context }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Demo shopper').selectOption({ label: 'Grace Hopper' });
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('That password is not right')).toContainText('demo password is "demo"');

  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Signed in as Grace Hopper')).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  const session = (await context.cookies()).find((cookie) => cookie.name === 'tandem_session');
  expect(session).toMatchObject({ httpOnly: true });

  // Checkout is prefilled for a signed-in shopper.
  await page.goto('/product/thermos-1l');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
  await page.goto('/checkout');
  await expect(page.getByLabel('Full name')).toHaveValue('Grace Hopper');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  expect((await context.cookies()).some((cookie) => cookie.name === 'tandem_session')).toBe(false);
});

test('main controls are reachable and usable with the keyboard alone', async ({ page }) => {
  await page.goto('/');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();

  await page.goto('/');
  await tabTo(page, page.getByRole('searchbox', { name: 'Search products' }));
  await tabTo(page, page.getByRole('link', { name: 'Sign in' }));
  await tabTo(page, cartLink(page));
  await tabTo(page, page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Bags' }));
  await tabTo(page, page.getByRole('link', { name: 'Shop jackets' }));
  const firstTop = page.getByRole('region', { name: 'Top this week' }).getByRole('link').first();
  await tabTo(page, firstTop);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Trail Runner 2' })).toBeVisible();

  // Add to cart with the keyboard only.
  const addButton = page.getByRole('button', { name: 'Add to cart' });
  await expect(addButton).toBeEnabled();
  await tabTo(page, page.getByLabel('Quantity'));
  await page.keyboard.press('ArrowDown'); // 2
  await tabTo(page, addButton);
  await page.keyboard.press('Enter');
  await expect(cartLink(page)).toHaveAccessibleName('Cart, 2 items');
  await tabTo(page, page.getByRole('link', { name: 'View cart' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Your cart' })).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Remove Trail Runner 2' }));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();
});
