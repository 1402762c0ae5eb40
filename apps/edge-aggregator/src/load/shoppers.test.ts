import { ENRICHED_FIELD_NAMES, fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { enrichedTsv, uuid } from '@tandem/feature-core/testing';
import { describe, expect, it } from 'vitest';
import { fastUuid } from './enriched-line.js';
import {
  generateEvents,
  generateEventsOverSpan,
  type LoadRecord,
  SESSION_TIMEOUT_MS,
  type ShopperLoadOptions,
  shopperEvents,
} from './shoppers.js';

function decode(record: LoadRecord) {
  const result = fromEnrichedTsv(record.value);
  if (!result.ok) throw new Error(`${record.kind} ${record.eventId} did not decode: ${result.reason} ${result.detail}`);
  return result.value;
}

const good = (records: readonly LoadRecord[]) => records.filter((r) => !r.kind.startsWith('bad_'));

/** Journey events once each (no duplicates), in event-time order per shopper. */
function journeysByShopper(records: readonly LoadRecord[]): Map<string, LoadRecord[]> {
  const byKey = new Map<string, LoadRecord[]>();
  for (const r of records) {
    if (r.kind !== 'event' && r.kind !== 'late') continue;
    const list = byKey.get(r.key) ?? [];
    list.push(r);
    byKey.set(r.key, list);
  }
  for (const list of byKey.values())
    list.sort((a, b) => a.eventTimeMs - b.eventTimeMs || (a.eventId < b.eventId ? -1 : 1));
  return byKey;
}

const MIXED: ShopperLoadOptions = { seed: 42, shoppers: 300, eventsPerSecond: 50 };

// Generous: the suite generates ~200k records, and CI machines are shared.
describe('shopper load generator', { timeout: 30_000 }, () => {
  const records = generateEvents(20_000, MIXED);

  it('is deterministic: the same seed gives the same lines, another seed other lines', () => {
    const again = generateEvents(3_000, { ...MIXED, badShare: 0.01 });
    const same = generateEvents(3_000, { ...MIXED, badShare: 0.01 });
    expect(same.map((r) => r.value)).toEqual(again.map((r) => r.value));
    expect(shopperEvents(MIXED).next().value.value).toBe(records[0]?.value);
    const other = generateEvents(100, { ...MIXED, seed: 43 });
    expect(other.map((r) => r.value)).not.toEqual(records.slice(0, 100).map((r) => r.value));
  });

  it('makes lines that decode, keyed by domain_userid, with the record event id and time', () => {
    const wrong: string[] = [];
    for (const record of good(records)) {
      const event = decode(record);
      const same =
        event.domainUserId === record.key &&
        event.eventId === record.eventId &&
        event.eventTimeMs === record.eventTimeMs &&
        !event.clockSkewCorrected;
      if (!same) wrong.push(record.eventId);
    }
    expect(wrong).toEqual([]);
  });

  it('writes every field as the reference builder enrichedTsv does, except event_fingerprint', () => {
    const fingerprint = ENRICHED_FIELD_NAMES.indexOf('event_fingerprint');
    const types = new Set<string>();
    for (const record of good(records).slice(0, 4_000)) {
      const expected = enrichedTsv(record.spec).split('\t');
      const actual = record.value.split('\t');
      expect(actual).toHaveLength(131);
      expected[fingerprint] = '';
      actual[fingerprint] = '';
      expect(actual).toEqual(expected);
      types.add(record.spec.type);
    }
    expect(types.size).toBeGreaterThanOrEqual(12);
  });

  it('formats uuid(n) exactly as the reference builder does', () => {
    for (const n of [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 48 - 1]) {
      expect(fastUuid(n)).toBe(uuid(n));
    }
  });

  it('contains every event type, searches, campaigns, sign-ins, three device classes and region changes', () => {
    const events = good(records).map(decode);
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'page_view',
      'page_ping',
      'site_search',
      'list_view',
      'list_click',
      'product_view',
      'add_to_cart',
      'remove_from_cart',
      'checkout_step',
      'transaction',
      'promo_view',
      'promo_click',
    ]) {
      expect(types, type).toContain(type);
    }
    expect(events.some((e) => e.type === 'page_view' && e.pageUrl?.includes('/search?q=') === true)).toBe(true);
    expect(events.some((e) => e.marketing?.campaign != null)).toBe(true);
    expect(new Set(events.map((e) => e.deviceClass))).toEqual(new Set(['Desktop', 'Phone', 'Tablet']));
    expect(new Set(events.flatMap((e) => (e.checkoutStep === null ? [] : [e.checkoutStep.step])))).toEqual(
      new Set([1, 2, 3]),
    );
    expect(new Set(events.filter((e) => e.type === 'list_view').map((e) => e.listName)).size).toBe(10);
    expect(new Set(events.flatMap((e) => e.products.map((p) => p.id))).size).toBeGreaterThan(150);

    const signedIn = new Map<string, boolean[]>();
    for (const list of journeysByShopper(records).values()) {
      const states = list.map((r) => r.spec.userId !== undefined);
      signedIn.set(list[0]?.key as string, states);
      // Once signed in, a shopper stays signed in.
      expect(states.indexOf(true) === -1 || states.slice(states.indexOf(true)).every(Boolean)).toBe(true);
    }
    expect([...signedIn.values()].some((s) => !s[0] && s.includes(true))).toBe(true);

    let regionChanges = 0;
    for (const list of journeysByShopper(records).values()) {
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1]?.spec.geo, list[i]?.spec.geo];
        if (a !== undefined && b !== undefined && a.region !== b.region) regionChanges++;
      }
    }
    expect(regionChanges).toBeGreaterThan(0);
  });

  it('keeps each cart consistent: total_value is the sum of its lines, revenue is the cart total', () => {
    // No late events: one still held back at the end would be missing from the replay.
    const sample = generateEvents(15_000, { ...MIXED, lateShare: 0 });
    const transactionIds = new Set<string>();
    for (const list of journeysByShopper(sample).values()) {
      const lines = new Map<string, { priceMinor: number; quantity: number }>();
      let total = 0;
      for (const record of list) {
        const type = record.spec.type;
        if (type !== 'add_to_cart' && type !== 'remove_from_cart' && type !== 'transaction') continue;
        const event = decode(record);
        if (event.type === 'add_to_cart' || event.type === 'remove_from_cart') {
          const product = event.products[0];
          if (product === undefined || event.cart === null) throw new Error('cart event without entities');
          const quantity = product.quantity ?? 1;
          const line = lines.get(product.id) ?? { priceMinor: product.priceMinor, quantity: 0 };
          line.quantity += event.type === 'add_to_cart' ? quantity : -quantity;
          lines.set(product.id, line);
          total = [...lines.values()].reduce((sum, l) => sum + l.priceMinor * l.quantity, 0);
          expect(event.cart.totalValueMinor).toBe(total);
        }
        if (event.type === 'transaction') {
          const transaction = event.transaction;
          if (transaction === null) throw new Error('transaction without its entity');
          expect(transaction.revenueMinor).toBe(total);
          expect(event.products.reduce((sum, p) => sum + p.priceMinor * (p.quantity ?? 1), 0)).toBe(total);
          expect(transactionIds.has(transaction.transactionId)).toBe(false);
          transactionIds.add(transaction.transactionId);
          lines.clear();
          total = 0;
        }
      }
    }
    expect(transactionIds.size).toBeGreaterThan(10);
  });

  it('skews activity like Zipf: the top 1% of shoppers send a large share', () => {
    const topShare = (options: ShopperLoadOptions) => {
      const sample = generateEvents(20_000, { ...options, shoppers: 1_000, lateShare: 0, duplicateShare: 0 });
      const counts = new Map<string, number>();
      for (const r of sample) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
      const sorted = [...counts.values()].sort((a, b) => b - a);
      return sorted.slice(0, 10).reduce((sum, n) => sum + n, 0) / sample.length;
    };
    expect(topShare({ seed: 7 })).toBeGreaterThan(0.25);
    expect(topShare({ seed: 7, zipfExponent: 0 })).toBeLessThan(0.05);
  });

  it('rotates a session exactly after more than 30 minutes of inactivity', () => {
    // 3 h of event time, so tail shoppers come back in new sessions.
    const long = generateEvents(40_000, { seed: 3, shoppers: 500, eventsPerSecond: 4, lateShare: 0 });
    let rotations = 0;
    for (const list of journeysByShopper(long).values()) {
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1]?.spec, list[i]?.spec];
        if (a === undefined || b === undefined) continue;
        if (b.timeMs - a.timeMs > SESSION_TIMEOUT_MS) {
          rotations++;
          expect(b.sessionId).not.toBe(a.sessionId);
          expect(b.sessionIndex).toBe((a.sessionIndex ?? 0) + 1);
          expect(b.previousSessionId).toBe(a.sessionId);
          expect(b.firstEventId).toBe(b.eventId);
        } else {
          expect(b.sessionId).toBe(a.sessionId);
          expect(b.eventIndex).toBe((a.eventIndex ?? 0) + 1);
        }
      }
    }
    expect(rotations).toBeGreaterThan(100);
  });

  it('sends a configurable share of late events and duplicates', () => {
    const sample = generateEvents(20_000, { ...MIXED, lateShare: 0.05, maxLatenessMs: 30_000, duplicateShare: 0.03 });
    const late = sample.filter((r) => r.kind === 'late');
    const duplicates = sample.filter((r) => r.kind === 'duplicate');
    expect(late.length / sample.length).toBeGreaterThan(0.03);
    expect(late.length / sample.length).toBeLessThan(0.07);
    expect(duplicates.length / sample.length).toBeGreaterThan(0.02);
    expect(duplicates.length / sample.length).toBeLessThan(0.04);
    let maxTime = 0;
    const seen = new Map<string, string>();
    for (const r of sample) {
      if (r.kind === 'late') expect(r.eventTimeMs).toBeLessThan(maxTime);
      if (r.kind === 'duplicate') expect(seen.get(r.eventId)).toBe(r.value);
      else expect(seen.has(r.eventId)).toBe(false);
      seen.set(r.eventId, r.value);
      maxTime = Math.max(maxTime, r.eventTimeMs);
    }
    // Default: small shares of both, no bad lines.
    const kinds = new Set(records.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['event', 'late', 'duplicate']));
  });

  it('makes bad lines, when asked, that fail to decode for the expected reason', () => {
    const sample = generateEvents(5_000, { ...MIXED, badShare: 0.05 });
    const bad = sample.filter((r) => r.kind.startsWith('bad_'));
    expect(new Set(bad.map((r) => r.kind))).toEqual(new Set(['bad_truncated', 'bad_field_count', 'bad_missing_cart']));
    for (const record of bad) {
      const result = fromEnrichedTsv(record.value);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toBe(record.kind === 'bad_missing_cart' ? 'missing_entity' : 'wrong_field_count');
      expect(record.key).toBe(record.spec.domainUserId);
    }
    for (const record of good(sample)) decode(record);
  });

  it('spans a time range at a rate: exactly rate × seconds records, in order but for late ones', () => {
    const startTimeMs = Date.UTC(2025, 7, 1, 12);
    const span = generateEventsOverSpan(60_000, 200, { seed: 9, startTimeMs });
    expect(span).toHaveLength(12_000);
    let previous = startTimeMs;
    for (const r of span) {
      if (r.kind === 'late' || r.kind === 'duplicate') continue;
      expect(r.eventTimeMs).toBeGreaterThanOrEqual(previous);
      expect(r.eventTimeMs).toBeLessThan(startTimeMs + 60_000);
      previous = r.eventTimeMs;
    }
  });

  it('rejects options out of range', () => {
    expect(() => generateEvents(1, { badShare: 2 })).toThrow(RangeError);
    expect(() => generateEvents(1, { shoppers: 0 })).toThrow(RangeError);
    expect(() => generateEvents(1, { maxLatenessMs: 25 * 3_600_000 })).toThrow(RangeError);
    expect(() => generateEvents(-1)).toThrow(RangeError);
  });
});
