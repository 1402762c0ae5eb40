import { createFeatureEngine, fromTrackerPayload, serializeSessionLane, serializeUserLane } from '@tandem/feature-core';
import { describe, expect, it } from 'vitest';
import type { SentPayload } from '../tracking/feed-plugin.js';
import { STORE_DEFINITION_VERSION, STORE_ENGINE_CONFIG } from './engine-config.js';
import { createFeatureState, type ServerLanes } from './feature-state.js';
import { payload, productView, SHOPPER } from './test-payloads.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function clock(startMs = T0) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

/** Four distinct products, highest price 4x the lowest: the price-sensitive browsing rule. */
function browsePriceSensitive(state: ReturnType<typeof createFeatureState>, c: ReturnType<typeof clock>) {
  const prices = [25, 40, 60, 100];
  return prices.map((price, i) => {
    c.advance(1_000);
    return state.ingest(productView(`sku-${i}`, price, c.now()));
  });
}

describe('feature state (payload → values → offers)', () => {
  it('decodes tracker payloads and evaluates the shopper lanes at now', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    expect(state.ingest(payload('page_view', T0)).ok).toBe(true);
    expect(state.ingest(productView('sku-1', 30, T0 + 500)).ok).toBe(true);
    const snap = state.snapshot();
    expect(snap.definitionVersion).toBe(STORE_DEFINITION_VERSION);
    expect(snap.userKey).toBe('duid-shopper-1');
    expect(snap.values.product_view_count_5m).toBe('1');
    expect(snap.values.session_page_count).toBeDefined();
    expect(snap.eventCount).toBe(2);
  });

  it('rejects a malformed payload without throwing, and counts a duplicate once', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    const bad = state.ingest({ e: 'zz' });
    expect(bad.ok).toBe(false);
    const view = productView('sku-1', 30, T0);
    expect(state.ingest(view)).toMatchObject({ ok: true, applied: true });
    expect(state.ingest(view)).toMatchObject({ ok: true, applied: false });
    expect(state.snapshot().values.product_view_count_5m).toBe('1');
    expect(state.snapshot().eventCount).toBe(1);
  });

  it('fires the discount after 4 product views with a wide price range, once per session', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    const results = browsePriceSensitive(state, c);
    const firedAt = results.findIndex((r) => r.ok && r.fired.length > 0);
    expect(firedAt).toBe(3);
    const offers = state.snapshot().offers;
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ ruleId: 'price_sensitive_browser', offer: 'discount' });
    // The claim names the latest user-lane event: here the fourth product view itself.
    expect(offers[0]?.eventId).toBe(state.snapshot().lastEventId);
    // More views: still holding, no second firing.
    c.advance(1_000);
    const more = state.ingest(productView('sku-9', 80, c.now()));
    expect(more.ok && more.fired).toEqual([]);
    expect(state.snapshot().offers).toHaveLength(1);
  });

  it('shows a bot no offer: a crawler user agent, or a burst of product pages (feature-core bots.ts)', () => {
    const c = clock();
    const crawler = createFeatureState({ now: c.now, userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' });
    expect(browsePriceSensitive(crawler, c).every((r) => r.ok && r.fired.length === 0)).toBe(true);
    expect(crawler.snapshot()).toMatchObject({ offers: [], bot: 'crawler_user_agent' });

    // 16 product pages (page view + product view + list view) 100 ms apart: 48 events within 10 s.
    const burst = createFeatureState({ now: c.now, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0' });
    const fired: string[] = [];
    for (let i = 0; i < 16; i++) {
      c.advance(100);
      for (const p of [
        payload('page_view', c.now()),
        productView(`sku-${i}`, 20 + i * 20, c.now()),
        payload('list_view', c.now(), { listName: 'recommendations' }),
      ]) {
        const result = burst.ingest(p);
        if (result.ok) fired.push(...result.fired.map((offer) => offer.ruleId));
      }
    }
    // The discount's conditions held from the fourth view on; it fired then, and the burst took it away.
    expect(fired).toEqual(['price_sensitive_browser']);
    expect(burst.snapshot()).toMatchObject({ offers: [], bot: 'implausible_pace' });
    expect(Number(burst.snapshot().values.session_peak_events_10s)).toBeGreaterThanOrEqual(45);

    // The same pages at a human pace (one every 2 s) bring the discount and stay a shopper.
    const human = createFeatureState({ now: c.now, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0' });
    for (let i = 0; i < 16; i++) {
      c.advance(2_000);
      human.ingest(payload('page_view', c.now()));
      human.ingest(productView(`sku-${i}`, 20 + i * 20, c.now()));
      human.ingest(payload('list_view', c.now(), { listName: 'recommendations' }));
    }
    expect(human.snapshot()).toMatchObject({ bot: null, offers: [{ ruleId: 'price_sensitive_browser' }] });

    // A tab tells the (shared) worker its own agent: a crawler's takes the offer away at once.
    expect(human.setUserAgent('Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0')).toBe(false);
    expect(human.setUserAgent('Mozilla/5.0 (compatible; Googlebot/2.1)')).toBe(true);
    expect(human.snapshot()).toMatchObject({ bot: 'crawler_user_agent', offers: [] });
  });

  it('fires the stalled-cart chat prompt on a tick, without a new event', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    state.ingest(
      payload('add_to_cart', c.now(), {
        products: [{ id: 'sku-2', category: 'Shoes', price: 189.99, currency: 'EUR', quantity: 1 }],
        cart: { total_value: 189.99, currency: 'EUR', cart_id: 'cart-1' },
      }),
    );
    expect(state.snapshot().offers).toEqual([]);
    c.advance(30_000);
    state.tick();
    expect(state.snapshot().offers).toEqual([]);
    c.advance(31_000);
    expect(state.tick()).toBe(true);
    expect(state.snapshot().offers.map((o) => o.ruleId)).toEqual(['stalled_high_value_cart']);
  });

  it('hides a dismissed offer for the session and survives a persist/restore round trip', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    browsePriceSensitive(state, c);
    expect(state.dismiss('price_sensitive_browser')).toBe(true);
    expect(state.snapshot().offers).toEqual([]);
    const persisted = structuredClone(state.toPersisted());
    const restored = createFeatureState({ now: c.now });
    restored.restore(persisted);
    expect(restored.snapshot()).toEqual(state.snapshot());
    expect(restored.recentEvents()).toHaveLength(4);
    // The restored lanes keep counting where they were.
    c.advance(1_000);
    restored.ingest(productView('sku-5', 70, c.now()));
    expect(restored.snapshot().values.product_view_count_5m).toBe('5');
    expect(restored.snapshot().offers).toEqual([]);
  });

  it('names the latest user-lane event in a claim, not a later page view', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    state.ingest(
      payload('add_to_cart', c.now(), {
        products: [{ id: 'sku-2', category: 'Shoes', price: 189.99, currency: 'EUR', quantity: 1 }],
        cart: { total_value: 189.99, currency: 'EUR', cart_id: 'cart-1' },
      }),
    );
    const addId = state.snapshot().lastEventId;
    c.advance(20_000);
    state.ingest(payload('page_view', c.now()));
    c.advance(41_000);
    state.tick();
    const [chat] = state.snapshot().offers;
    expect(chat?.ruleId).toBe('stalled_high_value_cart');
    expect(chat?.eventId).toBe(addId);
    expect(state.snapshot().lastEventId).not.toBe(addId);
  });
});

/** The server's lanes after `payloads`, as GET /api/features/state answers them. */
function serverLanes(payloads: readonly SentPayload[], version = STORE_DEFINITION_VERSION): ServerLanes {
  const engine = createFeatureEngine(STORE_ENGINE_CONFIG);
  for (const p of payloads) {
    const decoded = fromTrackerPayload(p);
    if (decoded.ok) engine.apply(decoded.value);
  }
  const user = engine.userLanes.get(SHOPPER.domainUserId);
  const session = engine.sessionLanes.get(SHOPPER.sessionId);
  return {
    definitionVersion: version,
    userKey: SHOPPER.domainUserId,
    sessionKey: SHOPPER.sessionId,
    user: user === undefined ? null : serializeUserLane(user, STORE_ENGINE_CONFIG),
    session: session === undefined ? null : serializeSessionLane(session, STORE_ENGINE_CONFIG),
  };
}

describe('rebase on the server snapshot', () => {
  const t = (s: number) => T0 + s * 1_000;
  const shared = [productView('sku-1', 20, t(1)), productView('sku-2', 30, t(2))];
  // Known only to the server: an order tracked by the store's server (its beacon blocked here).
  const serverOnly = payload('transaction', t(3), {
    transaction: { transaction_id: 'TS-1', revenue: 50, currency: 'EUR', payment_method: 'card', total_quantity: 1 },
    products: [{ id: 'sku-1', category: 'Shoes', price: 50, currency: 'EUR', quantity: 1 }],
  });
  // Newer than the server's snapshot: only the browser has it so far.
  const browserOnly = productView('sku-3', 90, t(4));

  it('takes the server state, then re-applies the browser’s own later events', () => {
    const c = clock(t(10));
    const browser = createFeatureState({ now: c.now });
    for (const p of [...shared, browserOnly]) browser.ingest(p);
    expect(browser.snapshot().values.orders_count_24h).toBeUndefined();

    const outcome = browser.rebase(serverLanes([...shared, serverOnly]));
    expect(outcome).toEqual({ rebased: true, reapplied: 1 });
    const everything = createFeatureState({ now: c.now });
    for (const p of [...shared, serverOnly, browserOnly]) everything.ingest(p);
    expect(browser.snapshot().values).toEqual(everything.snapshot().values);
    expect(browser.snapshot().values.orders_count_24h).toBe('1');
    expect(browser.snapshot().values.product_view_count_5m).toBe('3');
    expect(browser.snapshot().rebasedAtMs).toBe(t(10));
  });

  it('a browser that lost its IndexedDB continues from the server', () => {
    const c = clock(t(10));
    const fresh = createFeatureState({ now: c.now });
    expect(fresh.rebase(serverLanes(shared))).toEqual({ rebased: true, reapplied: 0 });
    expect(fresh.snapshot()).toMatchObject({ userKey: SHOPPER.domainUserId, sessionKey: SHOPPER.sessionId });
    expect(fresh.snapshot().values.product_view_count_5m).toBe('2');
  });

  it('refuses another definition version, another user key, or nothing to rebase on', () => {
    const c = clock(t(10));
    const browser = createFeatureState({ now: c.now });
    for (const p of shared) browser.ingest(p);
    const before = browser.snapshot().values;
    expect(browser.rebase(serverLanes([...shared, serverOnly], 'other-version'))).toMatchObject({ rebased: false });
    expect(browser.rebase({ ...serverLanes([serverOnly]), userKey: 'someone-else' })).toEqual({
      rebased: false,
      reason: 'another user key',
    });
    expect(
      browser.rebase({
        definitionVersion: STORE_DEFINITION_VERSION,
        userKey: SHOPPER.domainUserId,
        sessionKey: null,
        user: null,
        session: null,
      }),
    ).toMatchObject({ rebased: false });
    expect(browser.rebase({ ...serverLanes(shared), user: 'garbage' })).toMatchObject({ rebased: false });
    expect(browser.snapshot().values).toEqual(before);
  });
});

describe('client digests', () => {
  it('name the events the lanes cover and the compared values, once per change', () => {
    const c = clock();
    const state = createFeatureState({ now: c.now });
    expect(state.takeDigest()).toBeNull();
    const view = productView('sku-1', 30, T0);
    state.ingest(payload('page_view', T0 - 1_000));
    state.ingest(view);
    c.advance(5_000);
    const first = state.takeDigest();
    expect(first).toMatchObject({
      v: STORE_DEFINITION_VERSION,
      u: SHOPPER.domainUserId,
      s: SHOPPER.sessionId,
      e: view.eid,
      n: 2,
      t: T0 + 5_000,
    });
    expect(first?.f.product_view_count_5m).toBe('1');
    // Nothing changed: no second digest; the digest event itself (fed back by the tracker) changes nothing.
    expect(state.takeDigest()).toBeNull();
    state.ingest({
      ...payload('page_view', T0 + 5_000),
      e: 'ue',
      ue_pr: JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
        data: { schema: 'iglu:com.tandem/feature_digest/jsonschema/1-0-0', data: first },
      }),
    });
    expect(state.takeDigest()).toBeNull();
    expect(state.snapshot()).toMatchObject({ lastEventId: view.eid, eventCount: 2 });
    const next = productView('sku-2', 50, T0 + 6_000);
    state.ingest(next);
    expect(state.takeDigest()).toMatchObject({ e: next.eid, n: 3 });
  });

  it('after a rebase, cover the server’s events too', () => {
    const c = clock();
    const server = createFeatureEngine(STORE_ENGINE_CONFIG);
    const elsewhere = productView('sku-9', 70, T0 - 60_000);
    const decoded = fromTrackerPayload(elsewhere);
    if (!decoded.ok) throw new Error(decoded.detail);
    server.apply(decoded.value);
    const state = createFeatureState({ now: c.now });
    state.ingest(productView('sku-1', 30, T0));
    expect(state.takeDigest()?.n).toBe(1);
    const lanes: ServerLanes = {
      definitionVersion: STORE_DEFINITION_VERSION,
      userKey: SHOPPER.domainUserId,
      sessionKey: SHOPPER.sessionId,
      user: serializeUserLane(server.userLanes.get(SHOPPER.domainUserId) as never, STORE_ENGINE_CONFIG),
      session: serializeSessionLane(server.sessionLanes.get(SHOPPER.sessionId) as never, STORE_ENGINE_CONFIG),
    };
    expect(state.rebase(lanes)).toMatchObject({ rebased: true });
    expect(state.takeDigest()).toMatchObject({ n: 2 });
  });
});
