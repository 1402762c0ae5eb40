import { describe, expect, it } from 'vitest';
import { shopperEvent, T0 } from '../test-support/shopper-events.js';
import { createFeatureEngine } from './feature-engine.js';
import {
  applyToSessionLane,
  createSessionLane,
  isSessionClosed,
  sessionClosesAtMs,
  sessionExpiresAtMs,
} from './session-lane.js';

describe('session lane', () => {
  it('closes exactly 30 minutes after its last event, and a late event is still applied', () => {
    const lane = createSessionLane('s1');
    applyToSessionLane(lane, shopperEvent({ n: 1, t: T0, type: 'page_view' }));
    expect(sessionClosesAtMs(lane)).toBe(T0 + 30 * 60_000);
    expect(isSessionClosed(lane, T0 + 30 * 60_000 - 1)).toBe(false);
    expect(isSessionClosed(lane, T0 + 30 * 60_000)).toBe(true);
    expect(sessionExpiresAtMs(lane)).toBe(T0 + 24 * 60 * 60_000);
    // A late event for the closed session counts (no lateness cut-off) and extends it.
    expect(applyToSessionLane(lane, shopperEvent({ n: 2, t: T0 + 5_000, type: 'page_view' }))).toBe('applied');
    expect(lane.pageViews).toBe(2);
    expect(sessionClosesAtMs(lane)).toBe(T0 + 5_000 + 30 * 60_000);
  });

  it('applies a duplicate event id once, whatever its arrival position', () => {
    const lane = createSessionLane('s1');
    const a = shopperEvent({ n: 1, t: T0, type: 'page_view' });
    const b = shopperEvent({ n: 2, t: T0 + 1000, type: 'page_view' });
    expect([a, b, a, b].map((e) => applyToSessionLane(lane, e))).toEqual([
      'applied',
      'applied',
      'duplicate',
      'duplicate',
    ]);
    expect(lane.pageViews).toBe(2);
  });

  it('page pings extend the session but are not page views', () => {
    const lane = createSessionLane('s1');
    applyToSessionLane(lane, shopperEvent({ n: 1, t: T0, type: 'page_view' }));
    applyToSessionLane(lane, shopperEvent({ n: 2, t: T0 + 20 * 60_000, type: 'page_ping' }));
    expect(lane.pageViews).toBe(1);
    expect(isSessionClosed(lane, T0 + 45 * 60_000)).toBe(false);
  });
});

describe('engine pruning of sessions', () => {
  it('keeps a closed session until its keys expire, then frees it', () => {
    const engine = createFeatureEngine();
    engine.apply(shopperEvent({ n: 1, t: T0, type: 'page_view' }));
    engine.prune(T0 + 31 * 60_000); // closed, keys still live
    expect(engine.sessionLanes.has('s1')).toBe(true);
    expect(engine.keyValuesAt(T0 + 31 * 60_000)['session:s1:session_page_count']).toBe('1');
    expect(engine.keyValuesAt(T0 + 24 * 60 * 60_000 - 1)['session:s1:session_page_count']).toBe('1');
    expect(engine.keyValuesAt(T0 + 24 * 60 * 60_000)['session:s1:session_page_count']).toBeUndefined();
    engine.prune(T0 + 24 * 60 * 60_000); // keys expired
    expect(engine.sessionLanes.has('s1')).toBe(false);
    // A new event for the same key starts from its own state, without a stale route.
    engine.apply(shopperEvent({ n: 2, t: T0 + 24 * 60 * 60_000 + 1, type: 'page_view' }));
    expect(engine.sessionLanes.get('s1')?.pageViews).toBe(1);
  });
});
