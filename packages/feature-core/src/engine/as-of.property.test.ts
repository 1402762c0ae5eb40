import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ShopperEvent } from '../event.js';
import { arbitraryEvents, T0 } from '../test-support/shopper-events.js';
import { evaluateUserLane, evaluateUserLaneAsOf } from './evaluate.js';
import { createFeatureEngine } from './feature-engine.js';
import { isUserLaneEvent } from './user-lane.js';
import { isAfter } from './windows.js';

function engineWith(events: readonly ShopperEvent[]) {
  const engine = createFeatureEngine();
  for (const event of events) engine.apply(event);
  return engine;
}

describe('a user lane as of one of its events', () => {
  it.each([
    ['a few events over 3 h', {}],
    ['many events in 10 min (facts fold into tiles)', { maxEvents: 200, spanMs: 10 * 60_000 }],
  ])('equals the lane built from only the events up to it, whenever it says it is exact: %s', (_, shape) => {
    let exactCases = 0;
    fc.assert(
      fc.property(
        arbitraryEvents(shape).filter((events) => events.some(isUserLaneEvent)),
        fc.nat(),
        fc.integer({ min: 0, max: 2 * 60 * 60 }),
        (events, pick, laterS) => {
          const laneEvents = events.filter(isUserLaneEvent);
          const cut = laneEvents[pick % laneEvents.length] as ShopperEvent;
          const full = engineWith(events).userLanes.get(cut.userKey);
          if (full === undefined) return;
          const upTo = events.filter(
            (e) => e.userKey === cut.userKey && !isAfter(e.eventTimeMs, e.eventId, cut.eventTimeMs, cut.eventId),
          );
          const atMs = cut.eventTimeMs + laterS * 1000;
          const asOf = evaluateUserLaneAsOf(full, cut.eventId, atMs);
          expect(asOf?.eventTimeMs).toBe(cut.eventTimeMs);
          if (!asOf?.exact) return;
          exactCases++;
          const expected = evaluateUserLane(engineWith(upTo).userLanes.get(cut.userKey) as never, atMs);
          expect(asOf.values).toEqual(expected.values);
        },
      ),
      { numRuns: 200 },
    );
    // Inexact needs a fold between the event and a later one in its tile: rare, never the rule.
    expect(exactCases).toBeGreaterThan(100);
  });

  it('is null for an event the lane never applied', () => {
    const events = [] as ShopperEvent[];
    fc.assert(
      fc.property(arbitraryEvents(), (generated) => {
        const engine = engineWith(generated);
        for (const lane of engine.userLanes.values())
          expect(evaluateUserLaneAsOf(lane, 'not-an-event-of-this-lane', T0)).toBeNull();
      }),
      { numRuns: 30 },
    );
    expect(events).toEqual([]);
  });
});
