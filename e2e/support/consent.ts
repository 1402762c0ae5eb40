/**
 * Consent for the specs that shop with tracking on: the store tracks nothing before the shopper
 * accepts (apps/store/src/consent/), so those specs give consent before the first page loads, by
 * setting the stored choice, instead of clicking the banner in every test. e2e/consent.spec.ts
 * clicks the banner itself.
 *
 * `test` is Playwright's, with the `context` fixture (and so `page`) given consent; contexts a spec
 * opens itself get it from `giveConsent(context)`.
 */
import { type BrowserContext, test as base, expect } from '@playwright/test';

export { expect };

/** The store's consent cookie and the value of a grant (apps/store/src/consent/model.ts, format version 1). */
export const CONSENT_COOKIE = 'tandem_consent';
export const GRANTED = '1.granted';

/** Where the store runs: the same default as playwright.config.mjs. */
export function storeUrl(): string {
  return process.env.STORE_E2E_URL ?? 'http://127.0.0.1:3000';
}

/** Stores "accepted" in `context` for the store at `url`, as the banner's Accept would. */
export async function giveConsent(context: BrowserContext, url: string = storeUrl()): Promise<void> {
  await context.addCookies([{ name: CONSENT_COOKIE, value: GRANTED, url, sameSite: 'Lax' }]);
}

/**
 * Collects what the browser reports as blocked by the store's Content Security Policy, on every page
 * of `context` (Chromium logs each violation to the console, "Refused to …" naming the directive).
 */
export function watchCspViolations(context: BrowserContext): () => string[] {
  const violations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return () => [...violations];
}

/**
 * Playwright's `test` with consent given in the `context` fixture, and a check after each test that
 * nothing on its pages violated the store's Content Security Policy: the whole suite shops under it.
 */
export const test = base.extend({
  context: async ({ context, baseURL }, use) => {
    await giveConsent(context, baseURL ?? storeUrl());
    const violations = watchCspViolations(context);
    await use(context);
    expect(violations(), 'Content Security Policy violations').toEqual([]);
  },
});
