/**
 * Round trip: feature-core's tracker-payload adapter on the raw event and its enriched-TSV adapter on
 * this enrich step's output give the same ShopperEvent, apart from what only the server knows
 * (collectorTimeMs, deviceClass, geo).
 */
import type { ShopperEvent } from '@tandem/feature-core';
import { fromTrackerPayload } from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { describe, expect, it } from 'vitest';
import { type EnrichContext, enrichEvent } from './enrich.js';
import { CHROME_DESKTOP, context, IPHONE, pageView, productView, T_CREATED, T_SENT } from './fixtures.test-support.js';
import { createRangeTableLookup } from './geo.js';

const SERVER_ONLY = new Set<keyof ShopperEvent>(['collectorTimeMs', 'deviceClass', 'geo']);

function eventOf(result: ReturnType<typeof fromTrackerPayload>): ShopperEvent {
  if (!result.ok) throw new Error(`expected an event, got ${result.reason}: ${result.detail}`);
  return result.value;
}

function compareFieldByField(fromTracker: ShopperEvent, fromTsv: ShopperEvent, alsoSkip: readonly string[] = []): void {
  const names = new Set([...Object.keys(fromTracker), ...Object.keys(fromTsv)]) as Set<keyof ShopperEvent>;
  for (const name of names) {
    if (SERVER_ONLY.has(name) || alsoSkip.includes(name)) continue;
    expect.soft(fromTsv[name], `field ${name}`).toEqual(fromTracker[name]);
  }
}

const geo = createRangeTableLookup('network,country,region\n192.0.2.0/24,US,CA\n');
// Collector time = device sent time (no transit delay, clocks agree), so derived_tstamp = dtm.
const aligned: Partial<EnrichContext> = { collectorTimeMs: T_SENT, geo };

const CASES = [
  ['page view', pageView],
  ['product view (product + client_session entities)', productView],
] as const;

describe.each(CASES)('round trip of a %s', (_name, build) => {
  it.each([false, true])('base64 %s, with the ua parameter', (base64) => {
    const event = { ...build({ base64 }), ua: IPHONE };
    const enriched = enrichEvent(event, context(aligned));
    const fromTracker = eventOf(fromTrackerPayload(event));
    const fromTsv = eventOf(fromEnrichedTsv(enriched.tsv));
    compareFieldByField(fromTracker, fromTsv);
    expect(fromTsv.eventTimeMs).toBe(T_CREATED);
    expect(fromTsv.userAgent).toBe(IPHONE);
    // What the server adds.
    expect(fromTsv.collectorTimeMs).toBe(T_SENT);
    expect(fromTsv.deviceClass).toBe('Phone');
    expect(fromTsv.geo).toEqual({ country: 'US', region: 'CA' });
    expect(fromTracker.geo).toBeNull();
  });

  it('without the ua parameter: the TSV carries the User-Agent header', () => {
    const event = build();
    const fromTracker = eventOf(fromTrackerPayload(event));
    const fromTsv = eventOf(fromEnrichedTsv(enrichEvent(event, context(aligned)).tsv));
    compareFieldByField(fromTracker, fromTsv, ['userAgent']);
    expect(fromTracker.userAgent).toBeNull();
    expect(fromTsv.userAgent).toBe(CHROME_DESKTOP);
    expect(fromTsv.deviceClass).toBe('Desktop');
  });

  it('with a true timestamp: both sides use it whatever the transit delay', () => {
    const ttm = T_CREATED - 5_000;
    const event = { ...build(), ttm: String(ttm), ua: IPHONE };
    const fromTracker = eventOf(fromTrackerPayload(event));
    const fromTsv = eventOf(fromEnrichedTsv(enrichEvent(event, context({ geo })).tsv));
    compareFieldByField(fromTracker, fromTsv);
    expect(fromTsv.eventTimeMs).toBe(ttm);
  });
});

it('the product view decodes to a product_view with its product and session', () => {
  const fromTsv = eventOf(fromEnrichedTsv(enrichEvent(productView(), context(aligned)).tsv));
  expect(fromTsv.type).toBe('product_view');
  expect(fromTsv.products).toHaveLength(1);
  expect(fromTsv.products[0]).toMatchObject({ id: 'SKU-1042' });
  expect(fromTsv.sessionKey).toBe('c6a1f2e3-4b5c-4d6e-8f70-112233445566');
  expect(fromTsv.marketing).toMatchObject({ source: 'news', medium: 'email', campaign: 'spring sale' });
});
