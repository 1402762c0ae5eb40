/**
 * The round trip in a real browser: Debian's Chromium, driven by Playwright, loads a shop page (served
 * from its own origin, so the tracker's requests are cross-origin with credentials, as on a real
 * site) whose script is the real Snowplow browser tracker and ecommerce plugin, bundled with esbuild.
 * It tracks one shopper's journey to the collector, which writes enriched TSV to a real Kafka broker.
 * For every tracked event, the ShopperEvent of the payload the page's afterTrack hook saw (what the
 * store's Web Worker computes on) and the ShopperEvent of the enriched line must be identical; each
 * event arrives once; the collector's `sp` cookie is set; the user agent enrichment sees a desktop
 * Chrome. Needs /usr/bin/chromium: `npm run bootstrap` installs it (npm test runs the bootstrap first).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { fromTrackerPayload } from '@tandem/feature-core';
import {
  classifyDevice,
  ENRICHED_FIELD_NAMES,
  type EnrichedFieldName,
  fromEnrichedTsv,
} from '@tandem/feature-core/enriched';
import { type RunningKafka, startKafka } from '@tandem/infra/kafka';
import { CHROMIUM_EXECUTABLE, CHROMIUM_LAUNCH_ARGS } from '@tandem/infra/system-packages';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readEnrichedLines,
  startTestCollector,
  type TestCollector,
  withoutServerEnrichment,
} from './test-support/roundtrip.js';
import type { JourneyGlobal, JourneyResult } from './test-support/shop-journey.page.js';

const PAGE_SCRIPT = fileURLToPath(new URL('./test-support/shop-journey.page.ts', import.meta.url));
const LANDING_PATH = '/?utm_source=news&utm_medium=email&utm_campaign=spring';
/** The ecommerce types of the journey the page script tracks, in order. */
const JOURNEY = [
  'page_view',
  'page_view',
  'list_view',
  'page_view',
  'product_view',
  'add_to_cart',
  'page_view',
  'product_view',
  'add_to_cart',
  'remove_from_cart',
  'page_view',
  'checkout_step',
  'transaction',
  'page_view',
  'site_search',
];
type JourneyGlobals = JourneyGlobal & { navigator: { userAgent: string } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let broker: RunningKafka | undefined;
let collector: TestCollector | undefined;
let shop: Server | undefined;
let shopOrigin: string;
let browser: Browser | undefined;

/** A tiny site: any path is the shop's single page, whose script is the bundled tracker journey. */
async function startShop(script: string): Promise<Server> {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tandem shop</title>' +
    '<script src="/journey.js"></script></head><body><h1>Tandem shop</h1></body></html>';
  const server = createServer((req, res) => {
    if (req.url === '/journey.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(script);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/** Checked in the test, not the hook, so that a missing browser counts as a failed test, not a skipped one. */
const CHROMIUM_MISSING = existsSync(CHROMIUM_EXECUTABLE)
  ? null
  : `${CHROMIUM_EXECUTABLE} is missing: this test drives Debian's Chromium. ` +
    'Run `npm run bootstrap` (it installs the chromium package), then run the tests again.';

beforeAll(async () => {
  if (CHROMIUM_MISSING !== null) return;
  const bundle = await build({
    entryPoints: [PAGE_SCRIPT],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'silent',
  });
  shop = await startShop(bundle.outputFiles[0]?.text ?? '');
  shopOrigin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  [broker, browser] = await Promise.all([
    startKafka({ log: () => {} }),
    chromium.launch({
      executablePath: CHROMIUM_EXECUTABLE,
      args: [...CHROMIUM_LAUNCH_ARGS],
    }),
  ]);
  collector = await startTestCollector(broker.brokers, 'browser-roundtrip-test');
  console.log(`[browser-roundtrip] Chromium ${browser.version()} (${CHROMIUM_EXECUTABLE})`);
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  await new Promise((resolve) => (shop ? shop.close(resolve) : resolve(undefined)));
  await broker?.stop();
});

function field(line: string, name: EnrichedFieldName): string | undefined {
  return line.split('\t')[ENRICHED_FIELD_NAMES.indexOf(name)];
}

describe('browser round trip (Chromium)', () => {
  it("the real browser tracker's events, sent cross-origin to the collector, give the same ShopperEvents from the enriched lines", async () => {
    if (CHROMIUM_MISSING !== null) throw new Error(CHROMIUM_MISSING);
    if (!browser || !collector) throw new Error('beforeAll did not finish');
    // Headless Chromium says `HeadlessChrome/…`, which feature-core rightly classes as a bot (device
    // class Other). The shopper's Chromium says `Chrome/…`: the same browser, as a person runs it.
    const probe = await browser.newPage();
    const headlessUserAgent = await probe.evaluate(() => (globalThis as unknown as JourneyGlobals).navigator.userAgent);
    await probe.close();
    expect(headlessUserAgent).toMatch(/HeadlessChrome\//);
    expect(classifyDevice(headlessUserAgent)).toBe('Other');
    const userAgent = headlessUserAgent.replace('HeadlessChrome/', 'Chrome/');
    const context = await browser.newContext({ userAgent });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} from ${response.url()}`);
    });
    let journey: JourneyResult;
    try {
      await page.goto(`${shopOrigin}${LANDING_PATH}`);
      journey = await page.evaluate(
        (url) => (globalThis as unknown as JourneyGlobal).tandemJourney.run(url),
        collector.server.url,
      );
    } catch (error) {
      throw new Error(`the page failed: ${(error as Error).message}\npage errors: ${pageErrors.join('\n')}`);
    }
    const cookies = await context.cookies(collector.server.url);
    await context.close();
    expect(pageErrors).toEqual([]);
    expect(journey.pageOrigin).toBe(shopOrigin);
    expect(journey.userAgent).toBe(userAgent);
    expect(new URL(collector.server.url).origin).not.toBe(shopOrigin);

    const { payloads } = journey;
    const browserSide = payloads.map((payload) => fromTrackerPayload(payload));
    expect(browserSide.map((r) => (r.ok ? r.value.type : r.reason))).toEqual(JOURNEY);
    expect(journey.sent).toBe(payloads.length);
    const eventIds = payloads.map((payload) => payload.eid as string);
    expect(new Set(eventIds).size).toBe(payloads.length);
    // Every tracked event reached the collector exactly once.
    for (const eventId of eventIds) {
      expect(
        collector.received.filter((e) => e.eid === eventId),
        eventId,
      ).toHaveLength(1);
    }

    // The collector's network-user cookie, set on its own origin in answer to the first request.
    const sp = cookies.find((cookie) => cookie.name === 'sp');
    expect(sp, JSON.stringify(cookies)).toBeDefined();
    expect(sp?.value).toMatch(UUID);
    expect(sp?.httpOnly).toBe(true);

    const { lines, badRows } = await readEnrichedLines(broker?.brokers as string, eventIds);
    expect(badRows).toEqual([]);
    expect([...lines.keys()].sort()).toEqual([...eventIds].sort());
    for (const [index, payload] of payloads.entries()) {
      const eventId = payload.eid as string;
      const found = lines.get(eventId) ?? [];
      expect(found, `enriched lines of event ${index} (${eventId})`).toHaveLength(1);
      const line = found[0] as string;
      const serverSide = fromEnrichedTsv(line);
      const browserEvent = browserSide[index];
      expect(serverSide.ok, JSON.stringify(serverSide)).toBe(true);
      if (!serverSide.ok || !browserEvent?.ok) continue;
      expect(withoutServerEnrichment(serverSide.value), `event ${index}: ${JOURNEY[index]}`).toEqual(
        withoutServerEnrichment(browserEvent.value),
      );
      // What only the server adds, from the request Chromium made.
      expect(serverSide.value.userAgent).toBe(journey.userAgent);
      expect(serverSide.value.deviceClass).toBe('Desktop');
      expect(serverSide.value.geo).toEqual({ country: 'NL', region: 'NH' });
      expect(field(line, 'useragent')).toBe(journey.userAgent);
      expect(field(line, 'br_family')).toMatch(/^Chrom(e|ium)$/);
      expect(field(line, 'br_name')).toBe(`${field(line, 'br_family')} ${browser.version().split('.')[0]}`);
      expect(field(line, 'dvce_type')).toBe('Computer');
      expect(field(line, 'os_family')).toBe('Linux');
      expect(field(line, 'network_userid')).toBe(sp?.value);
      expect(field(line, 'app_id')).toBe('tandem-store');
    }

    // The journey's facts survived the trip (spot checks on the server side).
    const server = payloads.map((payload) => {
      const parsed = fromEnrichedTsv((lines.get(payload.eid as string) ?? [])[0] as string);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.value;
    });
    expect(server[0]?.marketing).toMatchObject({ source: 'news', medium: 'email', campaign: 'spring' });
    expect(new Set(server.map((e) => e.sessionKey)).size).toBe(1);
    expect(server[0]?.sessionKey).toMatch(UUID);
    expect(server.at(-1)?.userKey).toBe('shopper-42@example.com');
    expect(server.find((e) => e.type === 'transaction')?.transaction).toMatchObject({ revenueMinor: 20249 });
    expect(server.find((e) => e.type === 'remove_from_cart')?.cart).toMatchObject({ totalValueMinor: 20249 });
    expect(server.at(-1)?.searchTerms).toEqual(['trail', 'running', 'shoes']);
    const times = server.map((e) => e.eventTimeMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(server.every((e) => !e.clockSkewCorrected)).toBe(true);
  });
});
