import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLLING_FEATURES, USER_FEATURES } from '../definitions.js';
import type { ShopperEvent } from '../event.js';
import { rollingField } from '../keys.js';
import { ruleFeatures } from '../rules.js';
import { referenceKeyValues } from '../test-support/reference-model.js';
import { arbitraryEvents, T0 } from '../test-support/shopper-events.js';
import { deserializeSessionLane, deserializeUserLane, serializeSessionLane, serializeUserLane } from '../wire.js';
import { evaluateUserLane } from './evaluate.js';
import { createFeatureEngine } from './feature-engine.js';
import { nextUserChangeAtMs } from './user-lane.js';

const ALL_USER_FIELDS = [
  ...ROLLING_FEATURES.flatMap((def) => def.windows.map((w) => rollingField(def.name, w))),
  ...USER_FEATURES.map((def) => def.name),
];

function engineWith(events: readonly ShopperEvent[]) {
  const engine = createFeatureEngine();
  for (const event of events) engine.apply(event);
  return engine;
}

/** Evaluation times: inside the event span, at its end, and after windows have emptied. */
const evaluationTime = fc.integer({ min: 0, max: 30 * 60 * 60 }).map((s) => T0 + s * 1000);

const RUNS = { numRuns: 150 };

describe('feature engine properties', () => {
  it('incremental tiles give the values a batch recomputation from raw events gives', () => {
    fc.assert(
      fc.property(arbitraryEvents(), evaluationTime, (events, atMs) => {
        expect(engineWith(events).keyValuesAt(atMs)).toEqual(referenceKeyValues(events, atMs));
      }),
      RUNS,
    );
  });

  it('any arrival order of the same events gives identical serialized values', () => {
    fc.assert(
      fc.property(
        arbitraryEvents().chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
        ),
        evaluationTime,
        ([events, shuffled], atMs) => {
          expect(engineWith(shuffled).keyValuesAt(atMs)).toEqual(engineWith(events).keyValuesAt(atMs));
        },
      ),
      RUNS,
    );
  });

  it('evaluating between events (cached tile merges) gives what a fresh engine gives at every step', () => {
    fc.assert(
      fc.property(
        // At least 100 events: both users' lanes fold their facts into tiles between evaluations.
        arbitraryEvents({ minEvents: 100, maxEvents: 150, spanMs: 2 * 60 * 60_000 }),
        fc.array(fc.integer({ min: 0, max: 3 * 60 * 60 }), { minLength: 1, maxLength: 6 }),
        (events, offsetsS) => {
          const live = createFeatureEngine();
          events.forEach((event, i) => {
            live.apply(event);
            if (i % 7 !== 0 && i !== events.length - 1) return;
            // Several times per step, out of order, so a cached merge must notice every range change.
            for (const s of offsetsS) {
              const atMs = T0 + s * 1000;
              expect(live.keyValuesAt(atMs)).toEqual(engineWith(events.slice(0, i + 1)).keyValuesAt(atMs));
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('evaluating only some fields gives exactly those fields of a full evaluation', () => {
    fc.assert(
      fc.property(arbitraryEvents(), evaluationTime, fc.subarray([...ALL_USER_FIELDS]), (events, atMs, picked) => {
        const only = new Set([...picked, ...ruleFeatures()]);
        for (const lane of engineWith(events).userLanes.values()) {
          const full = [...evaluateUserLane(lane, atMs).values].filter(([field]) => only.has(field));
          expect([...evaluateUserLane(lane, atMs, only).values]).toEqual(full);
        }
      }),
      RUNS,
    );
  });

  it('duplicated events change nothing', () => {
    fc.assert(
      fc.property(
        arbitraryEvents().chain((events) => fc.tuple(fc.constant(events), fc.subarray(events))),
        evaluationTime,
        ([events, repeats], atMs) => {
          const withDuplicates = [...events, ...repeats, ...repeats];
          const engine = engineWith(withDuplicates);
          expect(engine.keyValuesAt(atMs)).toEqual(engineWith(events).keyValuesAt(atMs));
          const applied = [...engine.userLanes.values()].reduce((n, lane) => n + lane.eventsApplied, 0);
          expect(applied).toBe(events.filter((e) => e.type !== 'page_view' && e.type !== 'page_ping').length);
        },
      ),
      RUNS,
    );
  });

  it('a lane restored from its wire format behaves exactly like the original', () => {
    fc.assert(
      fc.property(arbitraryEvents(), arbitraryEvents(), evaluationTime, (before, after, atMs) => {
        // Give the second batch its own event ids.
        const later = after.map((e) => ({ ...e, eventId: e.eventId.replace('00000000-', '11111111-') }));
        const original = engineWith(before);
        const restored = createFeatureEngine();
        for (const lane of original.userLanes.values()) {
          const result = deserializeUserLane(serializeUserLane(lane));
          expect(result.ok).toBe(true);
          if (result.ok) restored.restoreUserLane(result.value);
        }
        for (const lane of original.sessionLanes.values()) {
          const result = deserializeSessionLane(serializeSessionLane(lane));
          expect(result.ok).toBe(true);
          if (result.ok) restored.restoreSessionLane(result.value);
        }
        // Replaying the first batch into the restored copy must be a no-op (ids remembered).
        for (const e of [...before, ...later]) restored.apply(e);
        for (const e of later) original.apply(e);
        expect(restored.keyValuesAt(atMs)).toEqual(original.keyValuesAt(atMs));
      }),
      { numRuns: 80 },
    );
  });

  it('pruning at now never changes values at now or later', () => {
    fc.assert(
      fc.property(arbitraryEvents(), evaluationTime, fc.integer({ min: 0, max: 3 * 3600 }), (events, nowMs, laterS) => {
        const pruned = engineWith(events);
        pruned.prune(nowMs);
        const full = engineWith(events);
        for (const atMs of [nowMs, nowMs + laterS * 1000]) {
          expect(pruned.keyValuesAt(atMs)).toEqual(full.keyValuesAt(atMs));
        }
      }),
      RUNS,
    );
  });

  it('user values do not change between now and the next change time the engine announces', () => {
    fc.assert(
      fc.property(arbitraryEvents(), evaluationTime, (events, atMs) => {
        const engine = engineWith(events);
        for (const [userKey, lane] of engine.userLanes) {
          const next = nextUserChangeAtMs(lane, atMs);
          const now = engine.evaluateUser(userKey, atMs)?.values;
          if (next === null) {
            expect(engine.evaluateUser(userKey, atMs + 48 * 3600_000)?.values).toEqual(now);
          } else {
            expect(next).toBeGreaterThan(atMs);
            expect(engine.evaluateUser(userKey, next - 1)?.values).toEqual(now);
          }
        }
      }),
      RUNS,
    );
  });
});
