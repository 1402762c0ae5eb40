import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeatureEngine } from './engine/feature-engine.js';
import { REJECT_REASONS } from './result.js';
import { shopperEvent, T0 } from './test-support/shopper-events.js';
import { definitionVersion } from './version.js';
import { deserializeSessionLane, deserializeUserLane, serializeSessionLane, serializeUserLane } from './wire.js';

function laneWithEvents() {
  const engine = createFeatureEngine();
  engine.apply(
    shopperEvent({ n: 1, t: T0, type: 'product_view', product: { id: 'p1', category: 'Shoes', price: 4299 } }),
  );
  engine.apply(shopperEvent({ n: 2, t: T0 + 1000, type: 'page_view', pageUrl: 'https://shop.test/' }));
  return { user: engine.userLanes.get('u1'), session: engine.sessionLanes.get('s1') };
}

describe('wire format', () => {
  it('carries its format, schema and definition version', () => {
    const { user, session } = laneWithEvents();
    if (!user || !session) throw new Error('lanes missing');
    const header = JSON.parse(serializeUserLane(user));
    expect(header).toMatchObject({
      format: 'tandem.user-lane',
      schema: 2,
      definition: definitionVersion(),
      userKey: 'u1',
    });
    expect(JSON.parse(serializeSessionLane(session))).toMatchObject({
      format: 'tandem.session-lane',
      sessionKey: 's1',
    });
  });

  it('refuses a state of another definition version, so the reader rebuilds instead of misreading', () => {
    const { user } = laneWithEvents();
    if (!user) throw new Error('lane missing');
    const text = serializeUserLane(user);
    const other = createFeatureEngine({ baseCurrency: 'EUR', fxRates: {} }).config;
    const result = deserializeUserLane(text, other);
    expect(result).toMatchObject({ ok: false, reason: 'version_mismatch' });
    const tampered = JSON.stringify({ ...JSON.parse(text), schema: 99 });
    expect(deserializeUserLane(tampered)).toMatchObject({ ok: false, reason: 'version_mismatch' });
  });

  it('refuses a schema 1 state (facts and tiles without tallies), even under the current definition version', () => {
    const { user } = laneWithEvents();
    if (!user) throw new Error('lane missing');
    const current = JSON.parse(serializeUserLane(user));
    // Schema 1 facts had six fields and no tallied attributes: read as is, tallies would be lost.
    const schema1 = { ...current, schema: 1, facts: current.facts.map((f: unknown[]) => f.slice(0, 6)) };
    expect(deserializeUserLane(JSON.stringify(schema1))).toMatchObject({ ok: false, reason: 'version_mismatch' });
  });

  it('carries the brands of facts and of folded tiles', () => {
    const engine = createFeatureEngine();
    const brands = ['Acme', 'Borealis', 'Acme'];
    // 40 views: 32 fold into tiles, 8 stay facts.
    for (let i = 0; i < 40; i++) {
      const brand = brands[i % brands.length] as string;
      engine.apply(
        shopperEvent({
          n: i + 1,
          t: T0 + i * 1000,
          type: 'product_view',
          product: { id: `p${i}`, category: 'Shoes', price: 100, brand },
        }),
      );
    }
    const lane = engine.userLanes.get('u1');
    if (!lane) throw new Error('lane missing');
    expect(lane.facts.length).toBe(8);
    const restored = deserializeUserLane(serializeUserLane(lane));
    if (!restored.ok) throw new Error(restored.detail);
    const copy = createFeatureEngine();
    copy.restoreUserLane(restored.value);
    const at = T0 + 60_000;
    expect(copy.keyValuesAt(at)['user:u1:most_viewed_brand_1h']).toBe('Acme');
    expect(copy.evaluateUser('u1', at)?.values).toEqual(engine.evaluateUser('u1', at)?.values);
  });

  it('answers malformed states with a result, never a throw', () => {
    const { user, session } = laneWithEvents();
    if (!user || !session) throw new Error('lanes missing');
    const good = JSON.parse(serializeUserLane(user));
    for (const broken of [
      'not json',
      '[]',
      JSON.stringify({ ...good, windows: 'x' }),
      JSON.stringify({ ...good, ids: [] }),
      JSON.stringify({ ...good, facts: [[1, 0, 99, '', '', -1, null]] }),
      JSON.stringify({ ...good, facts: [[1, 0, 0, 'p1', 'Shoes', 100, ['Acme', 'extra']]] }),
      JSON.stringify({ ...good, facts: [[1, 0, 0, 'p1', 'Shoes', 100, [7]]] }),
      JSON.stringify({ ...good, seen: [1, 0, 0, 0] }),
    ]) {
      const result = deserializeUserLane(broken);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(REJECT_REASONS).toContain(result.reason);
    }
    const goodSession = JSON.parse(serializeSessionLane(session));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = deserializeSessionLane(JSON.stringify({ ...goodSession, geo: value }));
        if (!result.ok) expect(REJECT_REASONS).toContain(result.reason);
      }),
    );
  });
});
