/**
 * Reconciliation end to end: shoppers in the real store page, digests sent by the page's tracker,
 * compared by the aggregator's reconciler with the server's lanes over the same events (scripts/test.mjs
 * runs it at test speed: 2 s quiet digests, 6 s settle, a rebase every 20 s).
 *
 * 1. Clean: two shoppers at once agree on every compared feature, exactly (TARGETS T10).
 * 2. A dropped beacon (the collector request answered by the test, never delivered) is detected as
 *    events only the browser saw.
 * 3. A sign-in mid-session with history from another device is detected as an identity change, and
 *    the browser's next rebase on the server closes the gap: a later digest of the session agrees.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { DriftRecord } from '@tandem/feature-core';
import { expect, giveConsent, test } from './support/consent.js';
import { domainUserIdOf, driftReader, dropNextProductViewBeacon } from './support/drift.js';
import { cartLink, viewProduct } from './support/shop.js';
import { e2eStack } from './support/stack.js';

const stack = e2eStack();

function reader() {
  if (stack === null) throw new Error('drift.spec needs the end-to-end stack: run `node scripts/test.mjs --only e2e`');
  return driftReader(stack);
}

async function shopper(context: BrowserContext): Promise<{ page: Page; userKey: () => Promise<string> }> {
  await giveConsent(context);
  const page = await context.newPage();
  await page.goto('/');
  return { page, userKey: async () => domainUserIdOf(await context.cookies()) };
}

async function signIn(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Demo shopper').selectOption({ label: name });
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${name}`)).toBeVisible();
}

/**
 * The id of the shopper's latest event as a digest names it: the latest by (event time, event id), the
 * order lanes use, not the order the worker received them. A product page's list view and product view
 * often share a millisecond, and then the greater id is the latest (seen: a CI run that waited for the
 * arrival-order last event, which no digest names).
 */
function lastEventId(page: Page): Promise<string> {
  return page.evaluate(async () => {
    type Payload = { eid: string; ttm?: string; dtm?: string };
    const features = (globalThis as unknown as { tandem: { features: { recentEvents(): Promise<Payload[]> } } }).tandem
      .features;
    let latest: { t: number; id: string } | null = null;
    for (const payload of await features.recentEvents()) {
      const t = Number(payload.ttm ?? payload.dtm);
      const id = payload.eid.toLowerCase();
      if (latest === null || t > latest.t || (t === latest.t && id > latest.id)) latest = { t, id };
    }
    return latest?.id ?? '';
  });
}

/**
 * Polls the shopper's latest comparison until `done` holds. The default wait outlasts the
 * reconciler's own (it waits up to 60 s for the server's lanes to reach a digest's events): on a
 * loaded machine the aggregator's checkpoints lag, and a shorter wait failed a clean CI run.
 */
async function latestRecord(
  drift: ReturnType<typeof reader>,
  userKey: string,
  done: (record: DriftRecord) => boolean | Promise<boolean>,
  timeout = 75_000,
): Promise<DriftRecord> {
  let found: DriftRecord | null = null;
  await expect
    .poll(
      async () => {
        found = await drift.latest(userKey);
        return found !== null && (await done(found));
      },
      { timeout, intervals: [500] },
    )
    .toBe(true);
  return found as unknown as DriftRecord;
}

test('two shoppers at once: browser and server agree exactly on every compared feature', async ({ browser }) => {
  test.setTimeout(180_000);
  const drift = reader();
  const contexts = [await browser.newContext(), await browser.newContext()];
  try {
    const [first, second] = await Promise.all(contexts.map((context) => shopper(context)));
    if (first === undefined || second === undefined) throw new Error('no pages');
    await viewProduct(first.page, 'Home', 'Enamel Mug');
    await viewProduct(second.page, 'Watches', 'Field Watch 38');
    await viewProduct(first.page, 'Jackets', 'Down Parka');
    await first.page.getByRole('button', { name: 'Add to cart' }).click();
    await viewProduct(second.page, 'Home', 'Enamel Mug');

    await expect(cartLink(first.page)).toHaveAccessibleName('Cart, 1 item');
    for (const who of [first, second]) {
      const userKey = await who.userKey();
      // The comparison of the digest that covers the shopper's latest event (read again on every
      // poll: a click's event reaches the worker a moment after the click).
      const record = await latestRecord(drift, userKey, async (r) => r.lastEventId === (await lastEventId(who.page)));
      const differing = record.fields.filter((f) => f.outcome !== 'match');
      expect(differing, `${userKey}: ${JSON.stringify(differing)}`).toEqual([]);
      expect(record).toMatchObject({ agree: true, cause: null, differing: 0, lastEventFound: true });
      expect(record.compared).toBeGreaterThanOrEqual(45);
      expect(record.events.browser).toBe(record.events.server);
      expect(record.events.setsDiffer).toBe(false);
    }
  } finally {
    for (const context of contexts) await context.close();
    drift.close();
  }
});

test('a dropped beacon shows as events only the browser saw', async ({ browser }) => {
  test.setTimeout(120_000);
  const drift = reader();
  const context = await browser.newContext();
  try {
    const { page, userKey } = await shopper(context);
    await viewProduct(page, 'Home', 'Enamel Mug');
    const dropped = await dropNextProductViewBeacon(page);
    await viewProduct(page, 'Watches', 'Field Watch 38');
    await expect.poll(dropped).toBe(1);
    await viewProduct(page, 'Jackets', 'Down Parka');

    const record = await latestRecord(drift, await userKey(), (r) => !r.agree);
    expect(record.cause).toBe('browser_only_events');
    expect(record.events.browser).toBeGreaterThan(record.events.server);
    expect(record.fields.find((f) => f.field === 'product_view_count_5m')).toMatchObject({
      outcome: 'mismatch',
      browser: '3',
      server: '2',
    });
  } finally {
    await context.close();
    drift.close();
  }
});

test('a sign-in with history from another device drifts as an identity change, and the rebase closes the gap', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const drift = reader();
  // Alan shopped on another device first: the server's lane of "alan" has those views.
  const phone = await browser.newContext();
  const laptop = await browser.newContext();
  try {
    const before = await shopper(phone);
    await signIn(before.page, 'Alan Turing');
    await viewProduct(before.page, 'Watches', 'Dive Watch 200');
    await viewProduct(before.page, 'Watches', 'Field Watch 38');
    await phone.close();

    const { page } = await shopper(laptop);
    await viewProduct(page, 'Home', 'Enamel Mug');
    await signIn(page, 'Alan Turing');
    await viewProduct(page, 'Jackets', 'Down Parka');
    const sessionKey = await page.evaluate(async () => {
      const features = (
        globalThis as unknown as { tandem: { features: { snapshot(): Promise<{ sessionKey: string | null }> } } }
      ).tandem.features;
      return (await features.snapshot()).sessionKey;
    });

    // The laptop's first digest after the sign-in lacks the phone's events.
    await expect
      .poll(async () => (await drift.mismatches()).find((r) => r.sessionKey === sessionKey)?.cause ?? null, {
        timeout: 75_000,
        intervals: [500],
      })
      .toBe('identity_change');
    const drifted = (await drift.mismatches()).find((r) => r.sessionKey === sessionKey) as DriftRecord;
    expect(drifted.events.server).toBeGreaterThan(drifted.events.browser);
    expect(drifted.identityChanged).toBe(true);

    // The worker rebases on the server's lanes (every 20 s here, first 20 s after it started, so the
    // digest above came first); its next digest agrees.
    const closed = await latestRecord(
      drift,
      'alan',
      (r) => r.sessionKey === sessionKey && r.agree && r.comparedAtMs > drifted.comparedAtMs,
      90_000,
    );
    expect(closed.differing).toBe(0);
    const history = await drift.history('alan');
    const gap = history.filter((point) => point.comparedAtMs >= drifted.comparedAtMs).map((point) => point.differing);
    expect(gap[0]).toBeGreaterThan(0);
    expect(gap.at(-1)).toBe(0);
  } finally {
    await laptop.close();
    drift.close();
  }
});
