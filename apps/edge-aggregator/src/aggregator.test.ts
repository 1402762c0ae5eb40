/**
 * The aggregator against a real Kafka broker and a real redis-server: the golden journey of
 * feature-core, shifted to the present (so Redis's own clock keeps the keys), must land in Redis
 * exactly as FEATURES.md's hand-worked values say, string keys and hashes alike.
 */
import { definitionVersion, featureHashFields, type ShopperEvent } from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { type EventSpec, enrichedTsv, GOLDEN_CHECKPOINTS, GOLDEN_JOURNEY } from '@tandem/feature-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Aggregator, startAggregator } from './aggregator.js';
import { createLog } from './log.js';
import { createMetrics } from './metrics.js';
import { createFeatureStore } from './redis/feature-store.js';
import { tcpTransport } from './redis/transport.js';
import { eventually, startTestStack, type TestStack } from './test-support/harness.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Moves a spec's times by `delta` ms (a multiple of 15 min, so every tile boundary moves with it). */
function shift(spec: EventSpec, delta: number): EventSpec {
  const moved: Record<string, unknown> = { ...spec, timeMs: spec.timeMs + delta };
  for (const field of ['collectorTimeMs', 'firstEventTimeMs'] as const) {
    const value = spec[field];
    if (value !== undefined) moved[field] = value + delta;
  }
  return moved as unknown as EventSpec;
}

function shiftValues(expected: Readonly<Record<string, string>>, delta: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(expected)) {
    out[key] = key.endsWith(':last_cart_activity_at') ? String(Number(value) + delta) : value;
  }
  return out;
}

async function runAggregator(overrides: Record<string, string>, now: () => number): Promise<Aggregator> {
  const config = stack.config(overrides);
  return await startAggregator({
    config,
    store: createFeatureStore(tcpTransport(config.redisUrl)),
    metrics: createMetrics(),
    log: createLog('test', 'info'),
    now,
  });
}

describe('golden journey through Kafka and Redis', () => {
  it('writes every key FEATURES.md expects, with the hand-worked values, and the matching hashes', async () => {
    const final = GOLDEN_CHECKPOINTS[GOLDEN_CHECKPOINTS.length - 1];
    if (final === undefined) throw new Error('no golden checkpoint');
    // Evaluate at checkpoint (c), moved to one minute from now: Redis expiries stay in the future.
    const quarter = 15 * 60_000;
    const delta = Math.ceil((Date.now() + 60_000 - final.atMs) / quarter) * quarter;
    const atMs = final.atMs + delta;
    const specs = GOLDEN_JOURNEY.map((spec) => shift(spec, delta));
    await stack.produce(specs.map((spec) => ({ key: spec.domainUserId, value: enrichedTsv(spec) })));

    const aggregator = await runAggregator({ CONSUMER_GROUP: 'golden' }, () => atMs);
    try {
      const expected = shiftValues(final.expected, delta);
      const strings = await eventually(
        () => stack.readStrings(),
        (values) => JSON.stringify(values) === JSON.stringify(Object.fromEntries(Object.entries(expected).sort())),
      );
      expect(strings).toEqual(expected);

      // Each hash holds the same values as the string keys of its lane, plus the meta fields.
      const events = specs
        .map((spec) => fromEnrichedTsv(enrichedTsv(spec)))
        .flatMap((r) => (r.ok ? [r.value] : [])) as ShopperEvent[];
      const hashes = await stack.readHashes();
      for (const [hashKey, fields] of Object.entries(hashes)) {
        const [, kind, laneKey] = /^features:(user|session):(.+)$/.exec(hashKey) ?? [];
        const prefix = `${kind}:${laneKey}:`;
        const laneValues = new Map(
          Object.entries(expected)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
        );
        const applied = new Set(
          events
            .filter((e) => (kind === 'user' ? e.userKey === laneKey : e.sessionKey === laneKey))
            .filter(
              (e) =>
                kind === 'session' ||
                ['product_view', 'list_view', 'add_to_cart', 'remove_from_cart', 'transaction'].includes(e.type),
            )
            .map((e) => e.eventId),
        ).size;
        const { _at, ...want } = featureHashFields(
          { values: laneValues, expiresAtMs: new Map(), overflowed: [] },
          { definitionVersion: definitionVersion(), evaluatedAtMs: atMs, eventsApplied: applied },
        );
        expect(fields, hashKey).toEqual(want);
      }
      expect(Object.keys(hashes).sort()).toEqual(
        [...new Set(Object.keys(expected).map((key) => key.split(':').slice(0, 2).join(':')))]
          .map((lane) => `features:${lane}`)
          .sort(),
      );
      expect(aggregator.health().ready).toBe(true);
    } finally {
      await aggregator.stop();
    }
  }, 120_000);
});
