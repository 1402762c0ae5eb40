/**
 * The collector end to end on a real broker: a tracker POST of 10 events, one of them with an invalid
 * product price, gives 9 enriched TSV lines keyed by domain_userid and 1 schema_violations bad row, and
 * the answer is 200 `ok` only once Kafka acknowledged them. Each enriched line decodes, through
 * feature-core's TSV adapter, to the same event the browser's tracker-payload adapter sees.
 */
import { randomUUID } from 'node:crypto';
import { buildSelfDescribingEvent, newTracker } from '@snowplow/node-tracker';
import { fromTrackerPayload } from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type RunningKafka, startKafka } from '@tandem/infra/kafka';
import { JSDOM } from 'jsdom';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorServer, TP2_PATH } from './http/server.js';
import {
  BAD_TOPIC as BAD,
  GOOD_TOPIC as GOOD,
  readEnrichedLines,
  startTestCollector,
  type TestCollector,
  withoutServerEnrichment,
} from './test-support/roundtrip.js';

const DUID = '5b3e1d7e-2c1a-4f7e-9f00-0a1b2c3d4e5f';
const SID = 'c6a1f2e3-4b5c-4d6e-8f70-112233445566';
const T0 = Date.now() - 60_000;

let broker: RunningKafka;
let collector: TestCollector;
let server: CollectorServer;
/** Every event the collector received, as the tracker sent it. */
let received: Record<string, string>[];

beforeAll(async () => {
  broker = await startKafka({ log: () => {} });
  collector = await startTestCollector(broker.brokers);
  ({ server, received } = collector);
});

afterAll(async () => {
  await collector?.close();
  await broker?.stop();
});

const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';

/** One event as the browser tracker v4 sends it (every value a string), with session and page entities. */
function trackerEvent(n: number, price: number): Record<string, string> {
  const eid = randomUUID();
  const t = String(T0 + n * 1_000);
  const contexts = [
    {
      schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
      data: {
        userId: DUID,
        sessionId: SID,
        sessionIndex: 1,
        previousSessionId: null,
        storageMechanism: 'LOCAL_STORAGE',
        firstEventId: null,
        firstEventTimestamp: null,
        eventIndex: n,
      },
    },
    { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: randomUUID() } },
    { schema: `${ECOM}/product/jsonschema/1-0-0`, data: { id: `sku-${n}`, category: 'Shoes', price, currency: 'USD' } },
  ];
  return {
    e: 'ue',
    eid,
    tv: 'js-4.6.0',
    tna: 'sp',
    aid: 'tandem-store',
    p: 'web',
    dtm: t,
    stm: t,
    ttm: t,
    duid: DUID,
    sid: SID,
    vid: '1',
    url: `https://shop.test/p/sku-${n}?utm_campaign=spring`,
    ue_pr: JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
      data: { schema: `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`, data: { type: 'product_view' } },
    }),
    co: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: contexts }),
  };
}

describe('collector', () => {
  it('writes 9 good events and 1 bad row for a payload with one bad event, then answers 200', async () => {
    const events = Array.from({ length: 10 }, (_, n) => trackerEvent(n, n === 4 ? 19.999 : 42.99 + n));
    const kafka = new Kafka({ clientId: 'collector-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `collector-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [GOOD, BAD], fromBeginning: true });
    const good: { key: string; value: string }[] = [];
    const bad: unknown[] = [];
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === GOOD) good.push({ key: String(message.key), value: String(message.value) });
        else bad.push(JSON.parse(String(message.value)));
      },
    });
    try {
      const response = await fetch(`${server.url}${TP2_PATH}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=UTF-8',
          'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
        },
        body: JSON.stringify({
          schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
          data: events,
        }),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
      const deadline = Date.now() + 20_000;
      while ((good.length < 9 || bad.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(good).toHaveLength(9);
      expect(bad).toHaveLength(1);
      expect((bad[0] as { schema: string }).schema).toMatch(/badrows\/schema_violations\//);
      expect(good.every((m) => m.key === DUID)).toBe(true);

      for (const message of good) {
        const server = fromEnrichedTsv(message.value);
        expect(server.ok, JSON.stringify(server)).toBe(true);
        if (!server.ok) continue;
        const original = events.find((e) => e.eid === server.value.eventId) as Record<string, string>;
        const browser = fromTrackerPayload(original);
        expect(browser.ok).toBe(true);
        if (!browser.ok) continue;
        // What both sides window on is identical; the server adds enrichment (geo from the IP, device class).
        expect(withoutServerEnrichment(server.value)).toEqual(withoutServerEnrichment(browser.value));
        expect(server.value.geo).toEqual({ country: 'NL', region: 'NH' });
        expect(server.value.deviceClass).toBe('Desktop');
      }
    } finally {
      await consumer.disconnect();
    }
  });

  it('round-trips an event from the real Snowplow Node tracker: TSV and tracker adapters agree', async () => {
    const port = Number(new URL(server.url).port);
    const tracker = newTracker(
      { namespace: 'tandem-server', appId: 'tandem-store', encodeBase64: false },
      { endpoint: '127.0.0.1', protocol: 'http', port, bufferSize: 1, eventMethod: 'post' },
    );
    tracker.setDomainUserId(DUID);
    tracker.setSessionId(SID);
    tracker.setUserId('shopper@example.com');
    const orderId = `order-${randomUUID()}`;
    tracker.track(
      buildSelfDescribingEvent({
        event: { schema: `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`, data: { type: 'transaction' } },
      }),
      [
        {
          schema: `${ECOM}/transaction/jsonschema/1-0-0`,
          data: {
            transaction_id: orderId,
            revenue: 189.97,
            currency: 'USD',
            payment_method: 'card',
            total_quantity: 3,
          },
        },
        {
          schema: `${ECOM}/product/jsonschema/1-0-0`,
          data: { id: 'sku-1', category: 'Shoes', price: 63.99, currency: 'USD', quantity: 3 },
        },
      ],
      { type: 'ttm', value: Date.now() },
    );
    await tracker.flush();
    const sent = received.find((e) => e.ue_pr?.includes('transaction') && e.co?.includes(orderId));
    expect(sent, 'the collector received the tracker event').toBeDefined();
    const browserSide = fromTrackerPayload(sent as Record<string, string>);
    expect(browserSide.ok, JSON.stringify(browserSide)).toBe(true);
    if (!browserSide.ok) return;

    const { lines } = await readEnrichedLines(broker.brokers, [browserSide.value.eventId]);
    const line = lines.get(browserSide.value.eventId)?.[0];
    expect(line).toBeDefined();
    const serverSide = fromEnrichedTsv(line as string);
    expect(serverSide.ok, JSON.stringify(serverSide)).toBe(true);
    if (!serverSide.ok) return;
    const enriched = withoutServerEnrichment(serverSide.value);
    expect(enriched).toEqual(withoutServerEnrichment(browserSide.value));
    expect(enriched.userKey).toBe('shopper@example.com');
    expect(enriched.transaction?.revenueMinor).toBe(18997);
    expect(enriched.platform).toBe('srv');
  });

  it('round-trips events of the real Snowplow browser tracker and ecommerce plugin (DOM shim): the payload the worker gets and the enriched line agree', async () => {
    // A page of the shop, as the browser tracker expects one; the globals are removed afterwards.
    const dom = new JSDOM('<!doctype html><title>Boots</title>', {
      url: 'https://shop.test/p/sku-2?utm_source=news&utm_campaign=spring',
    });
    const globals: Record<string, unknown> = {
      window: dom.window,
      document: dom.window.document,
      navigator: dom.window.navigator,
      localStorage: dom.window.localStorage,
      sessionStorage: dom.window.sessionStorage,
      location: dom.window.location,
      screen: dom.window.screen,
    };
    const previous = new Map(
      Object.keys(globals).map((key) => [key, Object.getOwnPropertyDescriptor(globalThis, key)]),
    );
    for (const [key, value] of Object.entries(globals))
      Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
    Object.defineProperty(dom.window, 'fetch', { value: fetch, configurable: true });
    const seen: Record<string, string>[] = [];
    try {
      const { addPlugin, newTracker: newBrowserTracker } = await import('@snowplow/browser-tracker');
      const ecommerce = await import('@snowplow/browser-plugin-snowplow-ecommerce');
      const tracker = newBrowserTracker('sp-test', server.url, {
        appId: 'tandem-store',
        plugins: [ecommerce.SnowplowEcommercePlugin()],
        contexts: { session: true, webPage: true },
        bufferSize: 1,
        eventMethod: 'post',
      });
      expect(tracker).not.toBeNull();
      // The seam the store uses: every tracked event's finished payload, as the worker receives it.
      addPlugin({ plugin: { afterTrack: (payload) => seen.push(payload as Record<string, string>) } });
      const timestamp = { type: 'ttm' as const, value: Date.now() };
      ecommerce.trackProductView({
        id: 'sku-2',
        name: 'Boots',
        category: 'Shoes',
        price: 189.99,
        currency: 'USD',
        timestamp,
      });
      ecommerce.trackAddToCart({
        products: [{ id: 'sku-2', category: 'Shoes', price: 189.99, currency: 'USD', quantity: 1 }],
        total_value: 189.99,
        currency: 'USD',
        timestamp,
      });
      const deadline = Date.now() + 10_000;
      while (received.filter((e) => seen.some((s) => s.eid === e.eid)).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      for (const [key, descriptor] of previous) {
        if (descriptor) Object.defineProperty(globalThis, key, descriptor);
        else delete (globalThis as Record<string, unknown>)[key];
      }
      dom.window.close();
    }
    expect(seen).toHaveLength(2);

    const { lines } = await readEnrichedLines(
      broker.brokers,
      seen.map((payload) => payload.eid as string),
    );
    expect(lines.size).toBe(2);
    for (const payload of seen) {
      const browserSide = fromTrackerPayload(payload);
      const serverSide = fromEnrichedTsv(lines.get(payload.eid as string)?.[0] as string);
      expect(browserSide.ok, JSON.stringify(browserSide)).toBe(true);
      expect(serverSide.ok, JSON.stringify(serverSide)).toBe(true);
      if (!browserSide.ok || !serverSide.ok) continue;
      const server = withoutServerEnrichment(serverSide.value);
      expect(server).toEqual(withoutServerEnrichment(browserSide.value));
      expect(server.marketing?.campaign).toBe('spring');
      expect(server.sessionKey).not.toBeNull();
    }
    expect(seen.map((p) => fromTrackerPayload(p)).map((r) => (r.ok ? r.value.type : r.reason))).toEqual([
      'product_view',
      'add_to_cart',
    ]);
  });
});
