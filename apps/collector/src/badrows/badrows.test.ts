import { describe, expect, it } from 'vitest';
import {
  badRowSchema,
  badRowType,
  boundedJson,
  cpformatViolation,
  enrichmentFailures,
  MAX_STRING_CHARS,
  SIZE_VIOLATION_PAYLOAD_CHARS,
  schemaViolations,
  sizeViolation,
  trackerProtocolViolations,
  truncate,
} from './badrows.js';

const now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const ISO = '2026-01-02T03:04:05.006Z';

describe('bad rows', () => {
  it('use the badrows Iglu URIs and are readable back by type', () => {
    for (const type of [
      'size_violation',
      'cpformat_violation',
      'tracker_protocol_violations',
      'schema_violations',
      'enrichment_failures',
    ] as const) {
      const schema = badRowSchema(type);
      expect(schema).toMatch(
        new RegExp(`^iglu:com\\.snowplowanalytics\\.snowplow\\.badrows/${type}/jsonschema/2-0-\\d+$`),
      );
      expect(badRowType({ schema, data: {} })).toBe(type);
    }
    expect(badRowType({ schema: 'iglu:com.acme/x/jsonschema/1-0-0' })).toBeNull();
    expect(badRowType(null)).toBeNull();
    expect(badRowType('x')).toBeNull();
  });

  it('size_violation keeps sizes, expectation and the start of the body', () => {
    const body = 'x'.repeat(2_000_000);
    const row = sizeViolation({ maximumAllowedSizeBytes: 1_000_000, actualSizeBytes: 2_000_000, body }, { now });
    expect(row.schema).toBe(badRowSchema('size_violation'));
    expect(row.data.processor).toEqual({ artifact: 'tandem-collector', version: '0.1.0' });
    expect(row.data.failure).toMatchObject({
      timestamp: ISO,
      maximumAllowedSizeBytes: 1_000_000,
      actualSizeBytes: 2_000_000,
    });
    expect(String(row.data.failure.expectation)).toContain('1000000');
    const event = (row.data.payload as { event: string }).event;
    expect(event.startsWith('x'.repeat(SIZE_VIOLATION_PAYLOAD_CHARS))).toBe(true);
    expect(event.length).toBeLessThan(SIZE_VIOLATION_PAYLOAD_CHARS + 100);
    expect(JSON.stringify(row).length).toBeLessThan(10_000);
  });

  it('cpformat_violation records the message and the raw collector payload', () => {
    const row = cpformatViolation(
      {
        message: 'body is not JSON',
        raw: { path: 'tp2', body: '{"schema":', contentType: 'application/json', ipAddress: '1.2.3.4', timestamp: now },
      },
      { now, processor: { artifact: 'x', version: '9' } },
    );
    expect(badRowType(row)).toBe('cpformat_violation');
    expect(row.data.processor).toEqual({ artifact: 'x', version: '9' });
    expect(row.data.failure).toEqual({ timestamp: ISO, loader: 'POST tp2', message: { error: 'body is not JSON' } });
    expect(row.data.payload).toMatchObject({
      payload: { version: 'tp2', body: '{"schema":', ipAddress: '1.2.3.4', timestamp: ISO },
    });
  });

  it('tracker_protocol_violations lists each field problem and keeps the event', () => {
    const event = { e: 'zz', tv: 'js-4.0.0' };
    const row = trackerProtocolViolations(
      {
        messages: [
          { field: 'e', value: 'zz', error: 'invalid', expectation: 'one of pv, pp, ue, se' },
          { field: 'eid', value: null, error: 'missing', expectation: 'a UUID' },
        ],
        event,
      },
      { now },
    );
    expect(row.data.failure).toMatchObject({ timestamp: ISO, vendor: 'com.snowplowanalytics.snowplow' });
    expect((row.data.failure.messages as unknown[]).length).toBe(2);
    expect(row.data.payload).toEqual({ raw: { parameters: event } });
  });

  it('schema_violations gives messages per schema', () => {
    const row = schemaViolations(
      {
        violations: [
          { schemaKey: 'iglu:com.acme/unknown/jsonschema/1-0-0', error: 'ResolutionError', messages: [] },
          {
            schemaKey: 'iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0',
            error: 'ValidationError',
            messages: [{ path: '$.currency', message: 'must be 3 characters', keyword: 'minLength' }],
          },
        ],
        event: { e: 'ue' },
      },
      { now },
    );
    const messages = row.data.failure.messages as {
      schemaKey: string;
      error: { error: string; dataReports: unknown[] };
    }[];
    expect(messages.map((m) => [m.schemaKey.split('/')[1], m.error.error])).toEqual([
      ['unknown', 'ResolutionError'],
      ['product', 'ValidationError'],
    ]);
    expect(messages[1]?.error.dataReports).toEqual([
      { path: '$.currency', message: 'must be 3 characters', keyword: 'minLength' },
    ]);
  });

  it('enrichment_failures carries a reason code and detail', () => {
    const row = enrichmentFailures(
      {
        reason: 'stale_event',
        detail: 'event is 3 days old',
        event: { eid: 'x' },
        raw: { path: 'i', querystring: 'e=pv' },
      },
      { now },
    );
    expect(badRowType(row)).toBe('enrichment_failures');
    expect(row.data.failure).toEqual({
      timestamp: ISO,
      messages: [{ enrichment: null, message: { error: 'stale_event', detail: 'event is 3 days old' } }],
    });
    expect(row.data.payload).toMatchObject({ raw: { version: 'i', querystring: 'e=pv', parameters: { eid: 'x' } } });
  });

  it('keeps every row JSON-serialisable and bounded whatever the input', () => {
    const cyclic: Record<string, unknown> = { a: 1n, f: () => 1, n: Number.NaN, s: Symbol('s'), u: undefined };
    cyclic.self = cyclic;
    const huge = 'y'.repeat(MAX_STRING_CHARS * 5);
    const row = enrichmentFailures(
      { reason: 'r', detail: huge, event: { cyclic, list: Array.from({ length: 5000 }, (_, i) => i), huge } },
      { now: Number.NaN },
    );
    const text = JSON.stringify(row);
    expect(JSON.parse(text)).toEqual(row);
    expect(text.length).toBeLessThan(MAX_STRING_CHARS * 3);
    expect(Number.isNaN(Date.parse(String(row.data.failure.timestamp)))).toBe(false);
    expect(boundedJson(cyclic)).toMatchObject({ a: '1', n: 'NaN', u: null, self: '[cycle]' });
    expect(truncate('abc', 2)).toBe('ab…[truncated 1 chars]');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(JSON.stringify(boundedJson(deep))).toContain('[too deep]');
  });
});
