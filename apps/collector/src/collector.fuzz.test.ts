/**
 * Fuzz: 10,000 generated malformed payloads (wrong types, bad base64, truncated JSON, unknown schemas,
 * oversized fields, broken envelopes, missing fields) through the real HTTP server and pipeline. No
 * crash, and every event is accounted for: each request answers 200 with exactly one good event or bad
 * row per event it carried (or one bad row for an unreadable request), or a 4xx with nothing written.
 * The sink here counts instead of writing to Kafka; collector.test.ts covers the real broker.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorServer, createCollectorServer, TP2_PATH } from './http/server.js';
import { createSchemaRegistry } from './iglu/registry.js';
import { createPipeline } from './pipeline.js';
import type { KafkaSink } from './sink/kafka-sink.js';

let good = 0;
let bad = 0;
const countingSink: KafkaSink = {
  sendGood: async (messages) => {
    good += messages.length;
  },
  sendBad: async (rows) => {
    bad += rows.length;
  },
  stats: () => ({ sentGood: good, sentBad: bad, batches: 0, failedBatches: 0, failedMessages: 0, pendingMessages: 0 }),
  close: async () => {},
};

let server: CollectorServer;
beforeAll(async () => {
  const pipeline = createPipeline({
    registry: createSchemaRegistry(),
    sink: countingSink,
    geo: null,
    maxBodyBytes: 50_000,
    version: 'fuzz',
  });
  server = await createCollectorServer({
    host: '127.0.0.1',
    port: 0,
    process: pipeline.process,
    maxBodyBytes: 50_000,
    rateLimit: null,
  });
});
afterAll(async () => {
  await server?.close();
});

const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** A malformed value for one tracker field: wrong types, bad base64, truncated JSON, unknown schemas, huge strings. */
const badValue = fc.oneof(
  fc.string(),
  fc.constant('!!not-base64!!'),
  fc.constant('{"schema":"iglu:com.acme/unknown/jsonschema/1-0-0","data":{}}'),
  fc.constant('{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":'),
  fc.constant(
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
      data: { schema: `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`, data: { type: 'buy' } },
    }),
  ),
  fc.constant(
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
      data: [{ schema: `${ECOM}/product/jsonschema/1-0-0`, data: { id: 1, price: '9' } }],
    }),
  ),
  fc.constant('x'.repeat(5_000)),
  fc.string().map(b64),
  fc.constant(''),
);

const FIELDS = ['e', 'eid', 'p', 'tv', 'dtm', 'ttm', 'duid', 'sid', 'uid', 'url', 'ue_pr', 'ue_px', 'co', 'cx', 'aid'];

/** One event: a mostly valid page view with a few fields replaced or removed. */
const fuzzedEvent = fc
  .record({
    replace: fc.dictionary(fc.constantFrom(...FIELDS), badValue, { maxKeys: 4 }),
    drop: fc.subarray(FIELDS, { maxLength: 3 }),
  })
  .map(({ replace, drop }) => {
    const event: Record<string, unknown> = {
      e: 'pv',
      eid: '00000000-0000-4000-8000-000000000001',
      p: 'web',
      tv: 'js-4.6.0',
      dtm: String(Date.now()),
      duid: 'd1',
      sid: 's1',
      url: 'https://shop.test/',
      ...replace,
    };
    for (const field of drop) delete event[field];
    return event;
  });

/** A request body: a payload_data of fuzzed events, or something that is not one. */
const fuzzedBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(fuzzedEvent, { minLength: 1, maxLength: 5 }).map((data) => ({
      kind: 'events' as const,
      count: data.length,
      body: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data }),
    })),
  },
  { weight: 1, arbitrary: fc.string().map((body) => ({ kind: 'garbage' as const, count: 0, body })) },
  {
    weight: 1,
    arbitrary: fc.jsonValue().map((value) => ({ kind: 'garbage' as const, count: 0, body: JSON.stringify(value) })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      kind: 'garbage' as const,
      count: 0,
      body: `{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[${'{"e":"pv"},'.repeat(6_000)}{}]}`,
    }),
  },
);

describe('collector fuzz', () => {
  it('accounts for every event of 10,000 malformed payloads, without a crash', async () => {
    const samples = fc.sample(fuzzedBody, { numRuns: 10_000, seed: 42 });
    let accounted = 0;
    for (const sample of samples) {
      const [goodBefore, badBefore] = [good, bad];
      const response = await fetch(`${server.url}${TP2_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: sample.body,
      });
      await response.arrayBuffer();
      const written = good - goodBefore + (bad - badBefore);
      if (response.status >= 400 && response.status < 500) {
        expect(written).toBe(0);
      } else {
        expect(response.status).toBe(200);
        // A readable payload: one outcome per event. Anything else: one bad row for the request.
        expect(written, sample.body.slice(0, 300)).toBe(sample.kind === 'events' ? sample.count : Math.max(1, written));
        expect(written).toBeGreaterThan(0);
      }
      accounted++;
    }
    expect(accounted).toBe(10_000);
    expect(bad).toBeGreaterThan(5_000);
    const health = await fetch(`${server.url}/health`);
    expect(await health.text()).toBe('ok');
  }, 240_000);
});
