/**
 * The pipeline's decisions, one request at a time, with a sink that records what would go to Kafka
 * (the real broker is covered by collector.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { badRowType } from './badrows/badrows.js';
import type { CollectorRequest } from './http/server.js';
import { createSchemaRegistry } from './iglu/registry.js';
import { createPipeline, MAX_PARAMETER_CHARS } from './pipeline.js';
import type { KafkaSink } from './sink/kafka-sink.js';

function recordingPipeline() {
  const good: { key: string; value: string }[] = [];
  const bad: object[] = [];
  const sink: KafkaSink = {
    sendGood: async (messages) => void good.push(...messages),
    sendBad: async (rows) => void bad.push(...rows),
    stats: () => ({
      sentGood: good.length,
      sentBad: bad.length,
      batches: 0,
      failedBatches: 0,
      failedMessages: 0,
      pendingMessages: 0,
    }),
    close: async () => {},
  };
  const pipeline = createPipeline({
    registry: createSchemaRegistry(),
    sink,
    geo: null,
    maxBodyBytes: 1_000_000,
    version: 'test',
  });
  return { pipeline, good, bad };
}

function request(events: Record<string, string>[]): CollectorRequest {
  return {
    events,
    rejected: [],
    problem: null,
    rawBody: '',
    collectorTimeMs: Date.now(),
    ip: '127.0.0.1',
    remoteAddress: '127.0.0.1',
    headers: { userAgent: 'test', xForwardedFor: null, referer: null, origin: null, contentType: 'application/json' },
    networkUserId: randomUUID(),
    anonymous: false,
    path: 'tp2',
  };
}

const pageView = (extra: Record<string, string> = {}) => ({
  e: 'pv',
  eid: randomUUID(),
  p: 'web',
  tv: 'js-4.10.1',
  dtm: String(Date.now()),
  duid: 'd1',
  sid: randomUUID(),
  url: 'https://shop.test/',
  ...extra,
});

describe('pipeline', () => {
  it('sends a valid page view as one enriched line keyed by domain_userid', async () => {
    const { pipeline, good, bad } = recordingPipeline();
    await pipeline.process(request([pageView()]));
    expect(good).toHaveLength(1);
    expect(good[0]?.key).toBe('d1');
    expect(good[0]?.value.split('\t')).toHaveLength(131);
    expect(bad).toEqual([]);
  });

  it('passes an anonymous event of no shopper on as good under SP-Anonymous, and only then', async () => {
    const { pipeline, good, bad } = recordingPipeline();
    const { duid: _duid, sid: _sid, ...anonymousView } = pageView();
    await pipeline.process({
      ...request([anonymousView]),
      anonymous: true,
      ip: null,
      networkUserId: '00000000-0000-0000-0000-000000000000',
    });
    expect(bad).toEqual([]);
    expect(good).toHaveLength(1);
    const fields = good[0]?.value.split('\t') ?? [];
    expect(fields).toHaveLength(131);
    // No IP, no domain_userid: keyed by its event id, as enrichment does for an event with no user.
    expect(good[0]?.key).toBe(anonymousView.eid);
    expect(fields).not.toContain('127.0.0.1');
    // The same event without SP-Anonymous is broken tracking: a bad row naming the reason.
    await pipeline.process(request([anonymousView]));
    expect(good).toHaveLength(1);
    expect(bad.map(badRowType)).toEqual(['enrichment_failures']);
    expect(JSON.stringify(bad[0])).toContain('no_shopper');
  });

  it('turns each kind of bad event into its bad row, and keeps the good ones', async () => {
    const { pipeline, good, bad } = recordingPipeline();
    const { e: _e, ...withoutType } = pageView();
    await pipeline.process(
      request([
        pageView(),
        withoutType,
        pageView({ url: `https://shop.test/?q=${'x'.repeat(MAX_PARAMETER_CHARS)}` }),
        pageView({ co: '{"schema":"iglu:com.acme/unknown/jsonschema/1-0-0","data":[]}' }),
        pageView({ duid: '' }),
      ]),
    );
    expect(good).toHaveLength(1);
    expect(bad.map(badRowType)).toEqual([
      'tracker_protocol_violations',
      'tracker_protocol_violations',
      'schema_violations',
      'enrichment_failures',
    ]);
    expect(JSON.stringify(bad[1])).toContain('too_long');
    expect(pipeline.stats()).toEqual({
      good: 1,
      bad: { tracker_protocol_violations: 2, schema_violations: 1, enrichment_failures: 1 },
    });
  });
});
