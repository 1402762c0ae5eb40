/**
 * The replay command against a real Kafka broker and a real redis-server: the golden journey (shifted
 * to the present, so Redis's own clock keeps the keys) and a few bad lines, replayed from the topic,
 * must leave exactly what one feature engine over the same events gives, string keys, expiries and
 * hashes alike, while the live consumer group's offsets stay as they were.
 */
import { createFeatureEngine, featureHashFields, type ShopperEvent } from '@tandem/feature-core';
import { enrichedTsv } from '@tandem/feature-core/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInput } from './input-decoder.js';
import { type ReplayProgress, runReplay } from './replay.js';
import { goldenJourneyNow, startTestStack, type TestStack } from './test-support/harness.js';

const TOPIC = 'snowplow-enriched-good';
const LIVE_GROUP = 'tandem-features';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** Retries what a just-started broker may refuse for a moment (a partition without its leader yet). */
async function settled<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

describe('replay from the enriched topic', () => {
  it('rebuilds every key and hash a feature engine gives, counts bad lines, and leaves the live group alone', async () => {
    const golden = goldenJourneyNow();
    const atMs = golden.atMs;
    const lines = golden.specs.map((spec) => ({
      key: spec.domainUserId,
      value: enrichedTsv(spec),
    }));
    const bad = [
      { key: 'bad-1', value: 'not\tan\tenriched\tline' },
      { key: 'bad-2', value: '' },
    ];
    await stack.produce([...lines.slice(0, 10), ...bad, ...lines.slice(10)]);

    // The live group has committed offsets; the replay must not move them.
    const admin = new Kafka({ brokers: [stack.kafka.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const partitions = (await settled(() => admin.fetchTopicOffsets(TOPIC))).map(({ partition }) => ({
        partition,
        offset: '0',
      }));
      await admin.setOffsets({ groupId: LIVE_GROUP, topic: TOPIC, partitions });
      const liveBefore = await admin.fetchOffsets({ groupId: LIVE_GROUP, topics: [TOPIC] });

      const config = stack.config();
      const dry = await runReplay({ config, atMs, dryRun: true });
      expect(await stack.readStrings()).toEqual({});
      expect(await stack.readHashes()).toEqual({});

      const progress: ReplayProgress[] = [];
      const summary = await runReplay({ config, atMs, onProgress: (p) => progress.push(p) });

      // What one engine gives over the same decoded events.
      const engine = createFeatureEngine();
      for (const { value } of lines) {
        const decoded = decodeInput(Buffer.from(value), 'tsv');
        if (decoded.ok) engine.apply(decoded.event as ShopperEvent);
      }
      const expected = engine.keyValuesAt(atMs);
      expect(expected).toEqual(golden.expected);
      expect(await stack.readStrings()).toEqual(expected);

      // Expiries: each string key expires when its value does.
      for (const key of Object.keys(expected)) {
        const [, kind, laneKey, field] = /^(user|session):(.+):([^:]+)$/.exec(key) ?? [];
        const values =
          kind === 'user'
            ? engine.evaluateUser(laneKey as string, atMs)
            : engine.evaluateSession(laneKey as string, atMs);
        expect(await stack.redisClient.pexpiretime(key), key).toBe(values?.expiresAtMs.get(field as string));
      }

      // One hash per lane with values, holding the same values plus the meta fields.
      const hashes = await stack.readHashes();
      const wantHashes: Record<string, Record<string, string>> = {};
      for (const [kind, lanes] of [
        ['user', engine.userLanes],
        ['session', engine.sessionLanes],
      ] as const) {
        for (const [laneKey, lane] of lanes) {
          const values = kind === 'user' ? engine.evaluateUser(laneKey, atMs) : engine.evaluateSession(laneKey, atMs);
          if (values === null || values.values.size === 0) continue;
          const { _at, ...fields } = featureHashFields(values, {
            definitionVersion: summary.definitionVersion,
            evaluatedAtMs: atMs,
            eventsApplied: lane.eventsApplied,
          });
          wantHashes[`features:${kind}:${laneKey}`] = fields;
          expect(await stack.redisClient.hget(`features:${kind}:${laneKey}`, '_at')).toBe(String(atMs));
        }
      }
      expect(hashes).toEqual(wantHashes);

      // The figures.
      expect(summary.eventsRead).toBe(lines.length + bad.length);
      expect(summary.dead).toEqual({ wrong_field_count: 1, empty_message: 1 });
      expect(summary.duplicates).toBe(1); // event #17 is delivered twice
      expect(summary.applied + summary.duplicates + summary.notApplied).toBe(lines.length);
      expect(summary.lanes.user + summary.lanes.session).toBe(
        [...engine.userLanes.values(), ...engine.sessionLanes.values()].filter((l) => l.eventsApplied > 0).length,
      );
      expect(summary.keysWritten).toBe(Object.keys(expected).length + Object.keys(wantHashes).length);
      expect(summary.redisCalls).toBeGreaterThan(0);
      expect({ ...dry, seconds: 0, groupId: '', dryRun: false, redisCalls: 0 }).toEqual({
        ...summary,
        seconds: 0,
        groupId: '',
        dryRun: false,
        redisCalls: 0,
      });
      expect(progress.at(-1)).toEqual({ phase: 'write', done: progress.at(-1)?.total, total: progress.at(-1)?.total });
      expect(progress.filter((p) => p.phase === 'read').at(-1)).toEqual({
        phase: 'read',
        done: lines.length + bad.length,
        total: lines.length + bad.length,
      });

      // The live group is untouched, the replay groups are gone.
      expect(await admin.fetchOffsets({ groupId: LIVE_GROUP, topics: [TOPIC] })).toEqual(liveBefore);
      expect(summary.groupDeleted).toBe(true);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups).not.toContain(summary.groupId);
      expect(groups).not.toContain(dry.groupId);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});
