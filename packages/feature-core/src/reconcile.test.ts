import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accumulateDrift, compareDigest, EMPTY_DRIFT_STATS, type FeatureDigest } from './digest.js';
import { createFeatureEngine } from './engine/feature-engine.js';
import { isUserLaneEvent } from './engine/user-lane.js';
import { isAfter } from './engine/windows.js';
import type { ShopperEvent } from './event.js';
import {
  clientDigest,
  driftCounterIncrements,
  driftStatsFromCounters,
  type ServerLanesForDigest,
  serverSideForDigest,
} from './reconcile.js';
import { arbitraryEvents } from './test-support/shopper-events.js';
import { definitionVersion } from './version.js';
import { deserializeSessionLane, deserializeUserLane, serializeSessionLane, serializeUserLane } from './wire.js';

const VERSION = definitionVersion();
const USER = 'u1';
const SESSION = 's1';

function engineWith(events: readonly ShopperEvent[]) {
  const engine = createFeatureEngine();
  for (const event of events) engine.apply(event);
  return engine;
}

/** The browser's digest of user u1 and session s1 after `events`, at `atMs`. */
function browserDigest(events: readonly ShopperEvent[], atMs: number): FeatureDigest | null {
  const engine = engineWith(events);
  return clientDigest({
    definitionVersion: VERSION,
    userKey: USER,
    sessionKey: SESSION,
    user: engine.userLanes.get(USER),
    session: engine.sessionLanes.get(SESSION),
    atMs,
  });
}

/** The server's lanes after `events`, read back through the wire format as from lane snapshots. */
function serverLanes(events: readonly ShopperEvent[], version = VERSION): ServerLanesForDigest {
  const engine = engineWith(events);
  const user = engine.userLanes.get(USER);
  const session = engine.sessionLanes.get(SESSION);
  const userBack = user === undefined ? undefined : deserializeUserLane(serializeUserLane(user));
  const sessionBack = session === undefined ? undefined : deserializeSessionLane(serializeSessionLane(session));
  if (userBack?.ok === false || sessionBack?.ok === false) throw new Error('wire round trip failed');
  return { definitionVersion: version, user: userBack?.value, session: sessionBack?.value };
}

const latestTime = (events: readonly ShopperEvent[]) => Math.max(...events.map((e) => e.eventTimeMs));
/** Whether the digest of u1 and s1 covers the event (it is in the user lane or the session lane). */
const ofShopper = (e: ShopperEvent) => (e.userKey === USER && isUserLaneEvent(e)) || e.sessionKey === SESSION;

describe('reconciliation over the same events', () => {
  it('agrees exactly on every compared field when the server has the same events, plus later ones (T10)', () => {
    let compared = 0;
    let supersededCases = 0;
    fc.assert(
      fc.property(
        arbitraryEvents({ minEvents: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 600 }),
        (events, cut, idleS) => {
          const sorted = [...events].sort((a, b) =>
            isAfter(a.eventTimeMs, a.eventId, b.eventTimeMs, b.eventId) ? 1 : -1,
          );
          const browserEvents = sorted.slice(0, 1 + (cut % sorted.length));
          if (!browserEvents.some(ofShopper)) return;
          const atMs = latestTime(browserEvents) + idleS * 1000;
          const digest = browserDigest(browserEvents, atMs);
          if (digest === null) return;
          // The server has applied the browser's events and, since, the rest (in another order).
          const server = serverLanes([...sorted].reverse());
          const cutSide = serverSideForDigest(digest, server);
          const comparison = compareDigest(digest, cutSide.side);
          expect(cutSide.lastEventFound).toBe(true);
          expect(cutSide.side.eventCount).toBe(digest.n);
          expect(cutSide.side.eventSetHash).toBe(digest.h);
          expect(comparison.fields.filter((f) => f.outcome !== 'match')).toEqual([]);
          expect(comparison.cause).toBeNull();
          compared += comparison.fields.length;
          if (cutSide.excluded.superseded.length > 0) supersededCases++;
        },
      ),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(3000);
    expect(supersededCases).toBeGreaterThan(0);
  });

  it('names the events the browser saw and the server lost (a blocked beacon)', () => {
    let drifted = 0;
    fc.assert(
      fc.property(arbitraryEvents({ minEvents: 3 }), fc.nat(), (events, pick) => {
        const lost = events.filter((e) => e.userKey === USER && isUserLaneEvent(e));
        if (lost.length === 0) return;
        const dropped = lost[pick % lost.length] as ShopperEvent;
        const atMs = latestTime(events) + 1000;
        const digest = browserDigest(events, atMs);
        if (digest === null) return;
        const cutSide = serverSideForDigest(digest, serverLanes(events.filter((e) => e !== dropped)));
        expect(cutSide.side.eventCount).toBe(digest.n - 1);
        const comparison = compareDigest(digest, cutSide.side);
        if (!comparison.allMatch) {
          drifted++;
          expect(comparison.cause).toBe('browser_only_events');
        }
      }),
      { numRuns: 200 },
    );
    expect(drifted).toBeGreaterThan(50);
  });

  it('names an event only the server has (a server-side event) before the browser last one', () => {
    let drifted = 0;
    fc.assert(
      fc.property(arbitraryEvents({ minEvents: 3 }), fc.nat(), (events, pick) => {
        const candidates = events.filter((e) => e.userKey === USER && isUserLaneEvent(e));
        if (candidates.length === 0) return;
        const serverOnly = candidates[pick % candidates.length] as ShopperEvent;
        const browserEvents = events.filter((e) => e !== serverOnly);
        if (
          !browserEvents.some(
            (e) => ofShopper(e) && isAfter(e.eventTimeMs, e.eventId, serverOnly.eventTimeMs, serverOnly.eventId),
          )
        )
          return;
        const digest = browserDigest(browserEvents, latestTime(events) + 1000);
        if (digest === null) return;
        const cutSide = serverSideForDigest(digest, serverLanes(events));
        expect(cutSide.side.eventCount).toBe(digest.n + 1);
        const comparison = compareDigest(digest, cutSide.side);
        if (!comparison.allMatch) {
          drifted++;
          expect(comparison.cause).toBe('server_only_events');
        }
      }),
      { numRuns: 200 },
    );
    expect(drifted).toBeGreaterThan(30);
  });

  it('cuts at the digest time when the server never got the last event', () => {
    const events = fc.sample(arbitraryEvents({ minEvents: 20 }), { numRuns: 1, seed: 7 })[0] as ShopperEvent[];
    const sorted = events.filter(ofShopper).sort((a, b) => a.eventTimeMs - b.eventTimeMs);
    const last = sorted[sorted.length - 1] as ShopperEvent;
    const digest = browserDigest(events, last.eventTimeMs);
    expect(digest?.e).toBe(last.eventId);
    const cutSide = serverSideForDigest(digest as FeatureDigest, serverLanes(events.filter((e) => e !== last)));
    expect(cutSide.lastEventFound).toBe(false);
    expect(cutSide.upTo.t).toBe(last.eventTimeMs);
    expect(cutSide.side.eventCount).toBe((digest as FeatureDigest).n - 1);
  });

  it('moves the evaluation to the server clock only for a skew above the threshold', () => {
    const events = fc.sample(arbitraryEvents({ minEvents: 5 }), { numRuns: 1, seed: 3 })[0] as ShopperEvent[];
    const atMs = latestTime(events) + 1000;
    const digest = browserDigest(events, atMs) as FeatureDigest;
    const server = serverLanes(events);
    expect(serverSideForDigest(digest, server, { clockOffsetMs: 900 }).atMs).toBe(atMs);
    expect(serverSideForDigest(digest, server, { clockOffsetMs: -3 * 3_600_000 }).atMs).toBe(atMs + 3 * 3_600_000);
  });

  it('does not compare values across definition versions', () => {
    const events = fc.sample(arbitraryEvents({ minEvents: 5 }), { numRuns: 1, seed: 5 })[0] as ShopperEvent[];
    const digest = browserDigest(events, latestTime(events) + 1000) as FeatureDigest;
    const comparison = compareDigest(digest, serverSideForDigest(digest, serverLanes(events, 'another')).side);
    expect(comparison.comparable).toBe(false);
    expect(comparison.cause).toBe('definition_skew');
  });
});

describe('drift counters', () => {
  it('roll up, in any order, exactly what accumulateDrift does', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryEvents({ minEvents: 2, maxEvents: 20 }), { minLength: 1, maxLength: 6 }),
        (runs) => {
          let stats = EMPTY_DRIFT_STATS;
          const counters: Record<string, number> = {};
          for (const events of runs) {
            const digest = browserDigest(events, latestTime(events) + 1000);
            if (digest === null) continue;
            // Half the server's events are lost, so outcomes vary.
            const comparison = compareDigest(
              digest,
              serverSideForDigest(digest, serverLanes(events.filter((_, i) => i % 2 === 0))).side,
            );
            stats = accumulateDrift(stats, comparison);
            for (const [name, by] of driftCounterIncrements(comparison).reverse())
              counters[name] = (counters[name] ?? 0) + by;
          }
          const back = driftStatsFromCounters(counters);
          expect(back.digests).toBe(stats.digests);
          expect(back.causes).toEqual(stats.causes);
          for (const [field, c] of Object.entries(stats.fields)) {
            expect(back.fields[field]).toEqual({ ...c, smapeSum: expect.closeTo(c.smapeSum, 9) });
          }
          expect(Object.keys(back.fields).sort()).toEqual(Object.keys(stats.fields).sort());
        },
      ),
      { numRuns: 60 },
    );
  });
});
