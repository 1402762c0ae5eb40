/** The shop as the specs drive it: locators by role and name, and a product view by clicks. */
import { expect, type Page } from '@playwright/test';

export const cartLink = (page: Page) => page.getByRole('link', { name: /^Cart, \d+ items?$/ });
export const offersRegion = (page: Page) => page.getByRole('region', { name: 'Offers for you' });
export const drawerToggle = (page: Page) => page.getByRole('button', { name: /^Why this offer\?/ });
export const drawer = (page: Page) => page.getByRole('region', { name: 'Your live features' });
/** The drawer's row of `field`: its cells are browser, server, agreement. */
export const featureRow = (page: Page, field: string) => drawer(page).locator(`tr[data-field="${field}"]`);

/** Opens a product from its category page (client-side navigation: the page and its worker client stay). */
export async function viewProduct(page: Page, category: string, product: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: category, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: category })).toBeVisible();
  await page
    .getByRole('link', { name: new RegExp(product) })
    .first()
    .click();
  await expect(page.getByRole('heading', { level: 1, name: product })).toBeVisible();
}
