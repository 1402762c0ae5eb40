/**
 * Tracking end to end, as a shopper meets it: a short journey in the real store page (home →
 * category → product pages → add to cart) with tracking on, then a look behind the page at the whole
 * stack `npm test`'s end-to-end stage runs (collector, Kafka, edge-aggregator, Redis):
 *
 * 1. every event the tracker sent reached Kafka's enriched topic with the same event id the feature
 *    worker applied: the ids on the wire, in the worker and in Kafka are one set (the feature digests
 *    the page sends for reconciliation reach Kafka too, and the worker applies none of them);
 * 2. once the aggregator caught up, its hashes in Redis (`features:user:<domain_userid>`,
 *    `features:session:<session id>`) equal the worker's values in every compared feature, and each
 *    hash's `_events` is the number of the worker's events its lane applies.
 *
 * The worker is read through the store's diagnostics hook `globalThis.tandem.features`
 * (apps/store/src/tracking/react.tsx). Skipped unless run by `node scripts/test.mjs --only e2e` (or
 * `npm test`), which starts the stack on its own ports: see e2e/support/stack.ts.
 */
import type { Page } from '@playwright/test';
import { FEATURE_DEFINITIONS, fromTrackerPayload, isUserLaneEvent, rollingField } from '@tandem/feature-core';
import { expect, test } from './support/consent.js';
import { cartLink } from './support/shop.js';
import { e2eStack, eventually, featureHashes, watchEnrichedTopic } from './support/stack.js';

const stack = e2eStack();

/** What the spec reads of the worker (the FeatureClient behind `globalThis.tandem.features`). */
interface WorkerView {
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  readonly values: Record<string, string>;
  readonly eventCount: number;
  /** `eid` of every event the worker applied, oldest first. */
  readonly eventIds: string[];
  /** The tracker payloads it applied, oldest first. */
  readonly payloads: Record<string, string>[];
}

/** Whether a tracker event is a feature digest (plain `ue_pr` or base64url `ue_px`). */
function isDigest(event: Readonly<Record<string, string>>): boolean {
  if (event.e !== 'ue') return false;
  const text = event.ue_pr ?? Buffer.from(event.ue_px ?? '', 'base64url').toString('utf8');
  return text.includes('com.tandem/feature_digest/');
}

/** How many of the worker's events each lane applied (decoded here, in Node, with feature-core). */
function laneCounts(worker: WorkerView): { user: number; session: number } {
  let user = 0;
  let session = 0;
  for (const payload of worker.payloads) {
    const decoded = fromTrackerPayload(payload);
    if (!decoded.ok) continue;
    if (decoded.value.userKey === worker.userKey && isUserLaneEvent(decoded.value)) user++;
    if (decoded.value.sessionKey !== null && decoded.value.sessionKey === worker.sessionKey) session++;
  }
  return { user, session };
}

/** The worker's state now, through the diagnostics hook; null until the page created it. */
function readWorker(page: Page): Promise<WorkerView | null> {
  return page.evaluate(async () => {
    interface Client {
      snapshot(): Promise<{
        userKey: string | null;
        sessionKey: string | null;
        values: Record<string, string>;
        eventCount: number;
      }>;
      recentEvents(): Promise<readonly Record<string, string>[]>;
    }
    const tandem = (globalThis as { tandem?: { features: Client } }).tandem;
    if (tandem === undefined) return null;
    const snapshot = await tandem.features.snapshot();
    const recent = await tandem.features.recentEvents();
    return {
      userKey: snapshot.userKey,
      sessionKey: snapshot.sessionKey,
      values: snapshot.values,
      eventCount: snapshot.eventCount,
      eventIds: recent.map((payload) => payload.eid ?? ''),
      payloads: recent.map((payload) => ({ ...payload })),
    };
  });
}

/** Fields browser and server compute alike (`compared`), split by the hash that holds them. */
const COMPARED = {
  user: FEATURE_DEFINITIONS.flatMap((def) =>
    !def.compared
      ? []
      : def.lane === 'user'
        ? def.windows.map((window) => rollingField(def.name, window))
        : def.lane === 'user-unwindowed'
          ? [def.name]
          : [],
  ),
  session: FEATURE_DEFINITIONS.flatMap((def) => (def.compared && def.lane === 'session' ? [def.name] : [])),
};

/** `values` restricted to `fields`, absent ones left out. */
function pick(values: Readonly<Record<string, string>>, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) if (values[field] !== undefined) out[field] = values[field];
  return out;
}

test.describe('tracking on: the page, the worker, Kafka and Redis agree', () => {
  test('a shop journey reaches Kafka with the worker’s event ids, and Redis holds the worker’s values', async ({
    page,
  }) => {
    // Reading Kafka and Redis needs the stack's own addresses (never the machine's Redis): a run
    // without them fails here with the command that provides them, rather than passing unchecked.
    if (stack === null)
      throw new Error('run through `node scripts/test.mjs --only e2e`, which starts the stack this spec reads');
    test.setTimeout(120_000);
    const topic = await watchEnrichedTopic(stack);
    const hashes = featureHashes(stack);
    try {
      // Every event the tracker puts on the wire (POSTs to the first-party collector path /t).
      // The tracker may send several queued events in one POST; each POST gets one answer.
      const sent = new Set<string>();
      /** Feature digests (their own self-describing event): on the wire and in Kafka, never applied. */
      const digests = new Set<string>();
      let posts = 0;
      const answers: number[] = [];
      const isCollectorPost = (method: string, url: string) =>
        method === 'POST' && new URL(url).pathname.startsWith('/t/');
      page.on('request', (request) => {
        if (!isCollectorPost(request.method(), request.url())) return;
        posts++;
        const body = request.postDataJSON() as { data?: Record<string, string>[] } | null;
        for (const event of body?.data ?? []) if (event.eid) (isDigest(event) ? digests : sent).add(event.eid);
      });
      page.on('response', (response) => {
        if (isCollectorPost(response.request().method(), response.url())) answers.push(response.status());
      });

      // The journey, by clicks: client-side navigations keep one page, so one feature client.
      await page.goto('/');
      await expect(page.getByRole('heading', { level: 1, name: 'Ready for the first snow' })).toBeVisible();
      await expect.poll(() => page.evaluate(() => 'tandem' in globalThis)).toBe(true);
      const categories = page.getByRole('navigation', { name: 'Categories' });
      await categories.getByRole('link', { name: 'Watches' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Watches' })).toBeVisible();
      await page.getByRole('link', { name: /Field Watch 38/ }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Field Watch 38' })).toBeVisible();
      await categories.getByRole('link', { name: 'Watches' }).click();
      await page.getByRole('link', { name: /Dive Watch 200/ }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Dive Watch 200' })).toBeVisible();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 1 item');
      await categories.getByRole('link', { name: 'Bags' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Bags' })).toBeVisible();
      await page.getByRole('link', { name: /City Tote/ }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'City Tote' })).toBeVisible();
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await expect(cartLink(page)).toHaveAccessibleName('Cart, 2 items');

      // The worker applied every event the tracker sent (and the collector answered each).
      const worker = await eventually(
        () => readWorker(page),
        (view) => view !== null && sent.size > 0 && view.eventIds.length >= sent.size,
        15_000,
      );
      expect(worker, 'the diagnostics hook globalThis.tandem').not.toBeNull();
      if (worker === null) return;
      const workerIds = new Set(worker.eventIds);
      expect(workerIds.size, 'no event applied twice').toBe(worker.eventIds.length);
      expect([...workerIds].sort(), 'the worker applied the events on the wire').toEqual([...sent].sort());
      expect(worker.eventIds.length).toBeGreaterThanOrEqual(8);
      expect(worker.eventCount).toBe(worker.eventIds.length);
      await expect.poll(() => answers.length).toBe(posts);
      expect(
        answers.every((status) => status === 200),
        `collector answers: ${answers.join(',')}`,
      ).toBe(true);

      // (1) Kafka's enriched topic holds exactly these event ids for this browser.
      const userKey = worker.userKey ?? '';
      expect(userKey, 'an anonymous shopper: the user key is the domain_userid').not.toBe('');
      const enriched = await eventually(
        () => topic.events(userKey),
        (events) =>
          new Set(events.filter((event) => event.eventName !== 'feature_digest').map((event) => event.eventId)).size >=
          workerIds.size,
      );
      const shopping = enriched.filter((event) => event.eventName !== 'feature_digest');
      expect(
        [...new Set(shopping.map((event) => event.eventId))].sort(),
        'event ids in the enriched topic = the worker’s',
      ).toEqual([...workerIds].sort());
      // Every digest the page sent so far passed the collector's schema validation into Kafka.
      await expect
        .poll(() => {
          const arrived = new Set(topic.events(userKey).map((event) => event.eventId));
          return [...digests].filter((id) => !arrived.has(id));
        })
        .toEqual([]);

      // (2) Once the aggregator applied them all, Redis holds the worker's values.
      const sessionKey = worker.sessionKey ?? '';
      const compare = async () => {
        const [browser, user, session] = await Promise.all([
          readWorker(page),
          hashes.user(userKey),
          hashes.session(sessionKey),
        ]);
        const lanes = browser === null ? null : laneCounts(browser);
        return {
          // `_events` counts what each lane applied: every event of the session, the user lane's kinds.
          events: {
            browser: { user: String(lanes?.user), session: String(lanes?.session) },
            server: { user: user.meta._events, session: session.meta._events },
          },
          user: { browser: pick(browser?.values ?? {}, COMPARED.user), server: pick(user.values, COMPARED.user) },
          session: {
            browser: pick(browser?.values ?? {}, COMPARED.session),
            server: pick(session.values, COMPARED.session),
          },
        };
      };
      const agreed = (view: Awaited<ReturnType<typeof compare>>) =>
        JSON.stringify(view.events.server) === JSON.stringify(view.events.browser) &&
        JSON.stringify(view.user.server) === JSON.stringify(view.user.browser) &&
        JSON.stringify(view.session.server) === JSON.stringify(view.session.browser);
      const final = await eventually(compare, agreed, 30_000, 500);
      expect.soft(final.user.server, 'features:user:<domain_userid> = the worker').toEqual(final.user.browser);
      expect.soft(final.session.server, 'features:session:<session id> = the worker').toEqual(final.session.browser);
      expect
        .soft(final.events.server, "the hashes' _events = the worker's events per lane")
        .toEqual(final.events.browser);
      // The journey is in the compared values, not only in empty hashes that agree.
      expect(final.user.browser).toMatchObject({ product_view_count_5m: '3', cart_add_count_5m: '2' });
    } finally {
      hashes.close();
      await topic.close();
    }
  });
});
