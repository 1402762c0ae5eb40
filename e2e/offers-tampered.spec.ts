/**
 * A tampered client gets no code. The shop shows offers from the browser's own features, so a
 * shopper can make the page show one (forge worker messages, edit IndexedDB); what they cannot do is
 * get it confirmed: the server checks the claim "rule R fired at event E" on its own copy of the
 * shopper's events (src/server/redemption.ts).
 *
 * Needs the whole stack of `npm test`'s end-to-end stage (collector, Kafka, aggregator, Redis).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/consent.js';
import { offersRegion, viewProduct } from './support/shop.js';

/** The product views the worker applied, oldest first: event id and true timestamp. */
async function productViews(page: Page): Promise<{ eid: string; ttm: number }[]> {
  return page.evaluate(async () => {
    const decode = (text: string) => {
      const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
      return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    };
    const features = (
      globalThis as unknown as { tandem: { features: { recentEvents(): Promise<Record<string, string>[]> } } }
    ).tandem.features;
    return (await features.recentEvents())
      .filter((p) => (p.ue_pr ?? (p.ue_px ? decode(p.ue_px) : '')).includes('"product_view"'))
      .map((p) => ({ eid: p.eid as string, ttm: Number(p.ttm ?? p.dtm) }));
  });
}

async function redeem(page: Page, claim: { ruleId: string; eventId: string; firedAtMs: number }) {
  const response = await page.request.post('/api/offers/redeem', { data: claim, timeout: 30_000 });
  return { status: response.status(), body: (await response.json()) as { code?: string; error?: { code: string } } };
}

test('forged worker messages show an offer the server never confirms: no code', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await viewProduct(page, 'Home', 'Enamel Mug');
  await expect.poll(async () => (await productViews(page)).length).toBe(1);

  // Four product views the tracker never sent, handed straight to the worker (what a script in the
  // page, or an extension, can do): copies of the real view with new ids, products and prices.
  await page.evaluate(async () => {
    type Payload = Record<string, string>;
    const features = (
      globalThis as unknown as {
        tandem: { features: { recentEvents(): Promise<Payload[]>; ingest(p: Payload): void } };
      }
    ).tandem.features;
    const decode = (text: string) => {
      const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
      return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    };
    const real = (await features.recentEvents()).find((p) =>
      (p.ue_pr ?? (p.ue_px ? decode(p.ue_px) : '')).includes('"product_view"'),
    );
    if (real === undefined) throw new Error('no product view to copy');
    const contexts = JSON.parse(real.co ?? decode(real.cx ?? '')) as {
      data: { schema: string; data: Record<string, unknown> }[];
    };
    [10, 25, 60, 140].forEach((price, i) => {
      const at = String(Date.now() + i);
      const forged: Payload = { ...real, eid: crypto.randomUUID(), dtm: at, ttm: at, stm: at };
      const entities = contexts.data.map((entity) =>
        entity.schema.includes('/product/')
          ? { ...entity, data: { ...entity.data, id: `forged-${i}`, price } }
          : entity,
      );
      forged.co = JSON.stringify({ ...contexts, data: entities });
      delete forged.cx;
      features.ingest(forged);
    });
  });

  // The page believes it: the discount card is shown, from the browser's own (forged) features.
  await expect(offersRegion(page).getByRole('heading', { name: '10% off your order' })).toBeVisible();
  await offersRegion(page).getByRole('button', { name: 'Get my code' }).click();
  // The server never received those events: after waiting for them (and one retry) it gives nothing.
  await expect(
    offersRegion(page)
      .getByRole('status')
      .filter({ hasText: /not received|could not be confirmed/ }),
  ).toBeVisible({
    timeout: 60_000,
  });
  await expect(offersRegion(page).locator('code.offer-code')).toHaveCount(0);
  expect(await page.evaluate(() => sessionStorage.getItem('tandem.offerCode'))).toBeNull();
});

test('a claim for a real event after which the rule did not hold is refused; a forged firing time too', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.goto('/');
  // Three distinct products with a wide range: one short of the discount rule's four.
  await viewProduct(page, 'Home', 'Enamel Mug');
  await viewProduct(page, 'Watches', 'Field Watch 38');
  await viewProduct(page, 'Jackets', 'Down Parka');
  await expect.poll(async () => (await productViews(page)).length).toBe(3);
  await expect(offersRegion(page).getByRole('heading', { name: '10% off your order' })).toHaveCount(0);
  const third = (await productViews(page))[2] as { eid: string; ttm: number };

  // The server waits for the event to reach its state, then evaluates the rule right after it: 3 < 4.
  const refused = await redeem(page, { ruleId: 'price_sensitive_browser', eventId: third.eid, firedAtMs: third.ttm });
  expect(refused).toMatchObject({ status: 403, body: { error: { code: 'refused' } } });
  expect(refused.body.code).toBeUndefined();

  // A firing time an hour ahead (to age the conditions) and a rule that gives no code: refused at once.
  const future = await redeem(page, {
    ruleId: 'price_sensitive_browser',
    eventId: third.eid,
    firedAtMs: Date.now() + 3_600_000,
  });
  expect(future).toMatchObject({ status: 403, body: { error: { code: 'refused' } } });
  const chat = await redeem(page, { ruleId: 'stalled_high_value_cart', eventId: third.eid, firedAtMs: third.ttm });
  expect(chat).toMatchObject({ status: 400, body: { error: { code: 'invalid_claim' } } });

  // The fourth view makes the same shopper's honest claim good.
  await viewProduct(page, 'Watches', 'NATO Strap');
  await expect(offersRegion(page).getByRole('heading', { name: '10% off your order' })).toBeVisible();
  const fourth = (await productViews(page))[3] as { eid: string; ttm: number };
  const granted = await redeem(page, { ruleId: 'price_sensitive_browser', eventId: fourth.eid, firedAtMs: fourth.ttm });
  expect(granted.status).toBe(200);
  expect(granted.body.code).toMatch(/^TND-D/);
});
