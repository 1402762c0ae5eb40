/**
 * Consent: the store tracks nothing and stores nothing before the shopper accepts (no request to the
 * collector path, no IndexedDB database, no Snowplow cookie, no feature worker, no offers), starts
 * tracking on Accept without a reload (the page view reaches Kafka), and a withdrawal deletes the
 * feature database and the tracker's cookies. Anonymous statistics send events without any id
 * (`SP-Anonymous: *`, no cookie, nothing stored, no offers), which the pipeline keys to no one; a
 * grant from there switches in place, and a move back deletes what the grant stored. These tests
 * click the banner; the other specs give consent through e2e/support/consent.ts. Also: the store's
 * Content Security Policy is on every page, shopping with tracking on violates it nowhere, and the
 * ops pages show none of the shop's banner, header or tracking.
 */
import { type BrowserContext, test as base, expect, type Page, type Request } from '@playwright/test';
import { giveConsent, watchCspViolations } from './support/consent.js';
import { domainUserIdOf } from './support/drift.js';
import { cartLink, drawerToggle, featureRow, offersRegion, viewProduct } from './support/shop.js';
import { e2eStack, eventually, featureHashes, watchEnrichedTopic } from './support/stack.js';

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

/** One event as the tracker posted it (Snowplow tracker protocol fields: `e`, `eid`, `duid`, `sid`, `uid`, `co`/`cx`). */
type SentEvent = Record<string, string | undefined>;

/** A POST to the collector path: its `SP-Anonymous` header and its events. */
interface CollectorPost {
  readonly anonymousHeader: string | null;
  readonly events: readonly SentEvent[];
}

/** Every POST the page makes to the collector path, with all its headers (`allHeaders` is asynchronous). */
function collectorPosts(page: Page): CollectorPost[] {
  const seen: CollectorPost[] = [];
  page.on('request', (request: Request) => {
    if (request.method() !== 'POST' || !new URL(request.url()).pathname.startsWith('/t/')) return;
    const events = (JSON.parse(request.postData() ?? '{}') as { data?: SentEvent[] }).data ?? [];
    void request
      .allHeaders()
      .then((headers) => seen.push({ anonymousHeader: headers['sp-anonymous'] ?? null, events }));
  });
  return seen;
}

/** The event's entities, decoded (`co` as JSON, or `cx` as base64url JSON). */
function entitiesOf(event: SentEvent): string {
  if (event.co !== undefined) return event.co;
  if (event.cx === undefined) return '';
  return Buffer.from(event.cx.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

/** What in a sent event could name the browser, its session or the shopper; empty for an anonymous event. */
function identifiersIn(event: SentEvent): string[] {
  const found: string[] = (['duid', 'sid', 'vid', 'uid', 'nuid', 'tnuid'] as const).filter(
    (field) => event[field] !== undefined && event[field] !== '',
  );
  const entities = entitiesOf(event);
  if (entities.includes('client_session')) found.push('client_session entity');
  if (/"tabId":"[^"]/.test(entities)) found.push('tabId');
  return found;
}

/** The tracker's keys in local and session storage (its queue, its tab id). */
async function snowplowStorageKeys(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter(
      (key) => key.startsWith('snowplowOutQueue_') || key.startsWith('_sp_'),
    ),
  );
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

test('anonymous statistics: events without ids, nothing stored, no worker, no offer; a grant switches in place, anonymous again deletes what it stored', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  const stack = e2eStack();
  const kafka = stack === null ? null : await watchEnrichedTopic(stack);
  try {
    const posts = collectorPosts(page);
    await page.goto('/');
    await page.evaluate(() => Object.assign(globalThis, { consentMark: true }));
    await banner(page).getByRole('button', { name: 'Anonymous statistics only' }).click();
    await expect(banner(page)).toBeHidden();

    // The page view of this page goes out as the tracker starts, anonymously, without a reload.
    await expect.poll(() => posts.some((post) => post.events.some((event) => event.e === 'pv'))).toBe(true);
    expect(await page.evaluate(() => (globalThis as { consentMark?: boolean }).consentMark)).toBe(true);
    // The four views that bring the discount offer with consent (offers.spec.ts): here no worker counts them.
    await browseWidePriceRange(page);
    await page.waitForTimeout(2_000);
    await expect(offersRegion(page).getByRole('heading')).toHaveCount(0);
    await expect(drawerToggle(page)).toHaveCount(0);
    expect(await featureClientStarted(page)).toBe(false);
    expect(await databaseNames(page)).toEqual([]);
    expect(await snowplowCookies(context)).toEqual([]);
    expect(await snowplowStorageKeys(page)).toEqual([]);

    const anonymousEvents = posts.flatMap((post) => post.events);
    expect(anonymousEvents.filter((event) => event.e === 'pv').length).toBeGreaterThanOrEqual(5);
    // Every request asks the collector to anonymise (no IP, no `sp` cookie); no event carries an id.
    expect(posts.map((post) => post.anonymousHeader)).toEqual(posts.map(() => '*'));
    expect(anonymousEvents.flatMap(identifiersIn)).toEqual([]);
    await privacyChoices(page).click();
    await expect(banner(page)).toContainText('You chose anonymous statistics');
    await page.keyboard.press('Escape');

    // A consent platform grants: the tracker leaves its anonymous mode in place, the worker starts.
    const sentBeforeGrant = posts.length;
    expect(
      await page.evaluate(() => (globalThis as { tandemConsent?: { choice: unknown } }).tandemConsent?.choice),
    ).toBe('anonymous');
    await page.evaluate(() =>
      (globalThis as unknown as { tandemConsent: { grant(): Promise<void> } }).tandemConsent.grant(),
    );
    await expect.poll(() => featureClientStarted(page)).toBe(true);
    await viewProduct(page, 'Home', 'Enamel Mug');
    expect(await page.evaluate(() => (globalThis as { consentMark?: boolean }).consentMark)).toBe(true);
    await expect.poll(() => databaseNames(page)).toContain('tandem-features');
    await expect
      .poll(async () => (await snowplowCookies(context)).some((name) => name.startsWith('_sp_id.')))
      .toBe(true);
    const domainUserId = domainUserIdOf(await context.cookies());
    await expect
      .poll(() => posts.slice(sentBeforeGrant).some((post) => post.events.some((event) => event.e === 'ue')))
      .toBe(true);
    for (const post of posts.slice(sentBeforeGrant)) {
      expect(post.anonymousHeader).toBeNull();
      for (const event of post.events) expect(event.duid).toBe(domainUserId);
    }

    if (stack !== null && kafka !== null) {
      // The pipeline ties none of the anonymous events to anyone: the shopper's server features count
      // the one product view made after the grant, not the four made anonymously before it (were those
      // keyed to this browser, they would sit earlier in the same partition), no enriched event of this
      // browser is an anonymous one, and there is no feature hash for the empty or the all-zero id.
      const hashes = featureHashes(stack);
      try {
        const user = await eventually(
          () => hashes.user(domainUserId),
          (hash) => hash.values.product_view_count_5m !== undefined,
        );
        expect(user.values.product_view_count_5m).toBe('1');
        const anonymousIds = new Set(anonymousEvents.map((event) => event.eid));
        expect(kafka.events(domainUserId).filter((event) => anonymousIds.has(event.eventId))).toEqual([]);
        for (const key of ['', '00000000-0000-0000-0000-000000000000'])
          expect((await hashes.user(key)).values, `features of user "${key}"`).toEqual({});
      } finally {
        hashes.close();
      }
    }

    // Back to anonymous from the banner: what the grant stored goes, and the page reloads (the worker may
    // be a SharedWorker holding the shopper in memory); the tracker starts over anonymously.
    await privacyChoices(page).click();
    const reloaded = page.waitForEvent('load');
    await banner(page).getByRole('button', { name: 'Anonymous statistics only' }).click();
    await reloaded;
    await expect.poll(() => databaseNames(page)).toEqual([]);
    expect(await snowplowCookies(context)).toEqual([]);
    expect(await featureClientStarted(page)).toBe(false);
    const sentAfter = posts.length;
    await viewProduct(page, 'Watches', 'Field Watch 38');
    await expect.poll(() => posts.length).toBeGreaterThan(sentAfter);
    const after = posts.slice(sentAfter);
    expect(after.map((post) => post.anonymousHeader)).toEqual(after.map(() => '*'));
    expect(after.flatMap((post) => post.events).flatMap(identifiersIn)).toEqual([]);
    expect(await snowplowCookies(context)).toEqual([]);
    expect(await snowplowStorageKeys(page)).toEqual([]);
    await expect(drawerToggle(page)).toHaveCount(0);
  } finally {
    await kafka?.close();
  }
});

test('the ops pages have no shop banner, header or tracking, and still carry the Content Security Policy', async ({
  page,
  context,
  baseURL,
}) => {
  // Even a shopper who accepted tracking is not tracked on an ops page.
  await giveConsent(context, baseURL ?? undefined);
  const requests = collectorRequests(page);
  const response = await page.goto('/ops/drift');
  expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-/);
  await expect(page.getByRole('heading', { level: 1, name: 'Drift dashboard' })).toBeVisible();
  await expect(page).toHaveTitle('Drift dashboard · Tandem ops');
  await expect(banner(page)).toHaveCount(0);
  await expect(privacyChoices(page)).toHaveCount(0);
  await expect(cartLink(page)).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Categories' })).toHaveCount(0);
  await page.waitForTimeout(1_000);
  expect(requests).toEqual([]);
  expect(await featureClientStarted(page)).toBe(false);
  expect(await databaseNames(page)).toEqual([]);

  // An unknown address still gets the shop's 404, with the shop around it.
  await page.goto('/no-such-page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(cartLink(page)).toBeVisible();
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
