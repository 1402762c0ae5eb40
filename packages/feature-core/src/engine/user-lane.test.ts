import { describe, expect, it } from 'vitest';
import { shopperEvent, T0 } from '../test-support/shopper-events.js';
import { serializeSessionLane, serializeUserLane } from '../wire.js';
import { DEFAULT_CONFIG, LIMITS } from './config.js';
import { evaluateUserLane, featureHashFields } from './evaluate.js';
import { createFeatureEngine } from './feature-engine.js';
import { applyToUserLane, createUserLane, nextUserChangeAtMs, pruneUserLane } from './user-lane.js';

const view = (n: number, t: number, id = `p${n}`) =>
  shopperEvent({ n, t, type: 'product_view', product: { id, category: `c${n % 7}`, price: 1000 + n } });

describe('user lane', () => {
  it('values shrink as events age out, at the tile boundary the lane announced', () => {
    const lane = createUserLane('u1');
    applyToUserLane(lane, view(1, T0 + 1), DEFAULT_CONFIG);
    const next = nextUserChangeAtMs(lane, T0 + 1);
    expect(next).toBe(T0 + 5 * 60_000); // the 10 s tile of T0 leaves the 5 m window
    expect(evaluateUserLane(lane, T0 + 5 * 60_000 - 1).values.get('product_view_count_5m')).toBe('1');
    expect(evaluateUserLane(lane, T0 + 5 * 60_000).values.get('product_view_count_5m')).toBeUndefined();
    expect(evaluateUserLane(lane, T0 + 5 * 60_000).values.get('product_view_count_1h')).toBe('1');
    expect(nextUserChangeAtMs(lane, T0 + 5 * 60_000)).toBe(T0 + 60 * 60_000);
  });

  it('keys expire when their window would be empty again', () => {
    const lane = createUserLane('u1');
    applyToUserLane(lane, view(1, T0 + 1), DEFAULT_CONFIG);
    const { expiresAtMs } = evaluateUserLane(lane, T0 + 1);
    expect(expiresAtMs.get('product_view_count_5m')).toBe(T0 + 5 * 60_000);
    expect(expiresAtMs.get('product_view_count_1h')).toBe(T0 + 60 * 60_000);
    expect(expiresAtMs.get('product_view_count_24h')).toBe(T0 + 24 * 60 * 60_000);
  });

  it('ignores events it does not read and refuses events older than every window after a prune', () => {
    const lane = createUserLane('u1');
    expect(applyToUserLane(lane, shopperEvent({ n: 1, t: T0, type: 'page_view' }), DEFAULT_CONFIG)).toBe('ignored');
    pruneUserLane(lane, T0 + 25 * 60 * 60_000);
    expect(applyToUserLane(lane, view(2, T0), DEFAULT_CONFIG)).toBe('expired');
    expect(applyToUserLane(lane, view(3, T0 + 25 * 60 * 60_000), DEFAULT_CONFIG)).toBe('applied');
  });

  it('state stays bounded for a shopper with 10,000 events in 24 h, and the caps are flagged', () => {
    const engine = createFeatureEngine();
    const day = 24 * 60 * 60_000;
    for (let n = 1; n <= 10_000; n++)
      engine.apply({ ...view(n, T0 + Math.floor((n / 10_000) * day)), sessionKey: `s${n % 50}` });
    const lane = engine.userLanes.get('u1');
    if (!lane) throw new Error('lane missing');
    const atMs = T0 + day;
    engine.prune(atMs);
    const values = evaluateUserLane(lane, atMs);
    // 10,000 distinct products in 24 h: the window keeps the latest 1,000 and says so.
    expect(values.values.get('product_view_count_24h')).toBe(String(LIMITS.distinctValues));
    expect(values.overflowed).toContain('product_view_count_24h');
    expect(values.overflowed).not.toContain('product_view_count_5m');
    const bytes = serializeUserLane(lane).length;
    // Documented bound (docs/feature-core.md): tiles × caps; far below 1 event = 1 record here.
    expect(bytes).toBeLessThan(3_000_000);
    expect(lane.facts.length).toBeLessThan(LIMITS.userFacts);
    const sessionBytes = [...engine.sessionLanes.values()].reduce((n, s) => n + serializeSessionLane(s).length, 0);
    expect(sessionBytes).toBeLessThan(1_000_000);
  });

  it('caps a brand tally like categories: past 1,000 brands in a window the oldest go, and it is flagged', () => {
    const lane = createUserLane('u1');
    const brands = LIMITS.distinctValues + 5;
    // One view per brand, one second apart, plus a second view of brand 0 last: it keeps the most views.
    for (let n = 0; n < brands; n++) {
      const product = { id: `p${n}`, category: 'Shoes', price: 1000, brand: `brand-${n}` };
      applyToUserLane(
        lane,
        shopperEvent({ n: n + 1, t: T0 + n * 1000, type: 'product_view', product }),
        DEFAULT_CONFIG,
      );
    }
    const last = T0 + brands * 1000;
    const again = { id: 'p0', category: 'Shoes', price: 1000, brand: 'brand-0' };
    applyToUserLane(
      lane,
      shopperEvent({ n: brands + 1, t: last, type: 'product_view', product: again }),
      DEFAULT_CONFIG,
    );
    const values = evaluateUserLane(lane, last);
    expect(values.values.get('most_viewed_brand_1h')).toBe('brand-0');
    expect(values.overflowed).toContain('most_viewed_brand_1h');
    expect(values.overflowed).not.toContain('top_category_1h');
    // 5 m holds 300 brands at most: no cap reached there.
    expect(values.overflowed).not.toContain('most_viewed_brand_5m');
  });
});

describe('feature hash', () => {
  it('holds every non-empty feature plus version, evaluation time, events applied and overflow', () => {
    const lane = createUserLane('u1');
    applyToUserLane(lane, view(1, T0 + 1), DEFAULT_CONFIG);
    const fields = featureHashFields(evaluateUserLane(lane, T0 + 2), {
      definitionVersion: '1-abc',
      evaluatedAtMs: T0 + 2,
      eventsApplied: lane.eventsApplied,
    });
    expect(fields).toMatchObject({ product_view_count_5m: '1', _v: '1-abc', _at: String(T0 + 2), _events: '1' });
    expect(fields._overflow).toBeUndefined();
    expect(fields.cart_add_count_5m).toBeUndefined();
  });
});
