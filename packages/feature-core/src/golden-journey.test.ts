/**
 * The golden journey (golden-journey.fixture.ts) through the real adapters and the engine: the
 * values a reader finds in Redis at three moments, against values worked out by hand from
 * FEATURES.md. The server path reads enriched TSV; the browser path reads tracker payloads and
 * must agree on every key but the server-only ones.
 */
import { describe, expect, it } from 'vitest';
import { fromEnrichedTsv } from './adapters/enriched-tsv.js';
import { fromTrackerPayload } from './adapters/tracker-payload.js';
import { createFeatureEngine } from './engine/feature-engine.js';
import type { ShopperEvent } from './event.js';
import {
  CHECKPOINTS,
  type Checkpoint,
  DUPLICATED_EVENT_ID,
  JOURNEY,
  LATE_EVENT_ID,
  withoutServerOnlyKeys,
} from './golden-journey.fixture.js';
import type { Result } from './result.js';
import { collectorTimeOf, type EventSpec, enrichedTsv, trackerPayload } from './test-support/builders.js';

type Decode = (spec: EventSpec) => Result<ShopperEvent>;

const fromTsvSpec: Decode = (spec) => fromEnrichedTsv(enrichedTsv(spec));
const fromTrackerSpec: Decode = (spec) => fromTrackerPayload(trackerPayload(spec));

function decodeAll(decode: Decode): ShopperEvent[] {
  return JOURNEY.map((spec) => {
    const result = decode(spec);
    if (!result.ok) throw new Error(`journey event ${spec.eventId} rejected: ${result.reason} (${result.detail})`);
    return result.value;
  });
}

/** Applies every delivery up to the checkpoint (collector time ≤ atMs), then reads all keys. */
function valuesAt(decode: Decode, checkpoint: Checkpoint): Record<string, string> {
  const engine = createFeatureEngine();
  const events = decodeAll(decode);
  for (const [i, spec] of JOURNEY.entries()) {
    if (collectorTimeOf(spec) <= checkpoint.atMs) engine.apply(events[i] as ShopperEvent);
  }
  return engine.keyValuesAt(checkpoint.atMs);
}

describe('golden journey', () => {
  it('is delivered in collector-time order, with one late event and one duplicate', () => {
    const ids = JOURNEY.map((spec) => spec.eventId);
    expect(ids.filter((id) => id === DUPLICATED_EVENT_ID)).toHaveLength(2);
    const late = ids.indexOf(LATE_EVENT_ID);
    const lateTime = JOURNEY[late]?.timeMs as number;
    // Some event with a later event time was delivered before the late one.
    expect(JOURNEY.slice(0, late).some((spec) => spec.timeMs > lateTime)).toBe(true);
    for (let i = 1; i < JOURNEY.length; i++) {
      expect(collectorTimeOf(JOURNEY[i] as EventSpec)).toBeGreaterThanOrEqual(
        collectorTimeOf(JOURNEY[i - 1] as EventSpec),
      );
    }
  });

  describe('server path: enriched TSV', () => {
    it.each(CHECKPOINTS)('$name', (checkpoint) => {
      expect(valuesAt(fromTsvSpec, checkpoint)).toEqual(checkpoint.expected);
    });

    it('gives the same values when one engine is read at each checkpoint in turn', () => {
      const engine = createFeatureEngine();
      const events = decodeAll(fromTsvSpec);
      let next = 0;
      for (const checkpoint of CHECKPOINTS) {
        while (next < JOURNEY.length && collectorTimeOf(JOURNEY[next] as EventSpec) <= checkpoint.atMs) {
          engine.apply(events[next] as ShopperEvent);
          next++;
        }
        expect(engine.keyValuesAt(checkpoint.atMs), checkpoint.name).toEqual(checkpoint.expected);
      }
    });

    it('reports the second delivery of an event as a duplicate', () => {
      const engine = createFeatureEngine();
      const outcomes = decodeAll(fromTsvSpec).map((event) => ({ id: event.eventId, outcome: engine.apply(event) }));
      const deliveries = outcomes.filter((o) => o.id === DUPLICATED_EVENT_ID);
      expect(deliveries.map((d) => d.outcome.user)).toEqual(['applied', 'duplicate']);
    });

    it('gives the same values whatever the delivery order', () => {
      const last = CHECKPOINTS[CHECKPOINTS.length - 1] as Checkpoint;
      const engine = createFeatureEngine();
      for (const event of decodeAll(fromTsvSpec).reverse()) engine.apply(event);
      expect(engine.keyValuesAt(last.atMs)).toEqual(last.expected);
    });
  });

  describe('browser path: tracker payloads', () => {
    it.each(CHECKPOINTS)('$name, without the server-only keys', (checkpoint) => {
      expect(valuesAt(fromTrackerSpec, checkpoint)).toEqual(withoutServerOnlyKeys(checkpoint.expected));
    });
  });
});
