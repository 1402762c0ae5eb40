import { describe, expect, it } from 'vitest';
import { buildFeatureDigest, EMPTY_EVENT_SET_HASH, FEATURE_DIGEST_SCHEMA_URI, type FeatureDigest } from '../digest.js';
import { enrichedTimestamp, enrichedTsv, enrichedTsvWith, uuid } from '../test-support/builders.js';
import { readEnrichedLine } from './enriched-digest.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SHOPPER = {
  domainUserId: 'dddddddd-0000-4000-8000-000000000d01',
  sessionId: 'dddddddd-5555-4000-8000-000000000d02',
};

const DIGEST: FeatureDigest = buildFeatureDigest({
  definitionVersion: 'v1',
  userKey: SHOPPER.domainUserId,
  sessionKey: SHOPPER.sessionId,
  lastEventId: uuid(1),
  eventCount: 2,
  eventSetHash: EMPTY_EVENT_SET_HASH,
  atMs: T0,
  values: [new Map([['session_page_count', '2']])],
});

function digestLine(data: unknown, overrides: Record<string, string> = {}): string {
  const unstruct = {
    schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
    data: { schema: FEATURE_DIGEST_SCHEMA_URI, data },
  };
  return enrichedTsvWith(
    { eventId: uuid(9_001), timeMs: T0, type: 'page_view', ...SHOPPER },
    {
      event: 'unstruct',
      unstruct_event: JSON.stringify(unstruct),
      dvce_sent_tstamp: enrichedTimestamp(T0 - 3_600_000),
      ...overrides,
    },
  );
}

describe('reading the enriched stream for reconciliation', () => {
  it('reads a digest event with its id, collector time and device send time', () => {
    const read = readEnrichedLine(digestLine(DIGEST));
    expect(read.ok && read.value.kind === 'digest' ? read.value.value : read).toMatchObject({
      eventId: uuid(9_001),
      dvceSentMs: T0 - 3_600_000,
      digest: DIGEST,
    });
  });

  it("reads any other event's identity only", () => {
    const read = readEnrichedLine(
      enrichedTsv({ eventId: uuid(2), timeMs: T0, type: 'page_view', ...SHOPPER, userId: 'ann@example.com' }),
    );
    expect(read).toEqual({
      ok: true,
      value: { kind: 'event', identity: { userKey: 'ann@example.com', sessionKey: SHOPPER.sessionId } },
    });
  });

  it.each([
    ['a missing hash', { ...DIGEST, h: undefined }],
    ['a count that is not an integer', { ...DIGEST, n: 1.5 }],
    ['an unknown property', { ...DIGEST, extra: 1 }],
    ['a value that is not a string', { ...DIGEST, f: { session_page_count: 2 } }],
    ['not an object', 'digest'],
  ])('rejects a digest with %s, with a reason', (_, data) => {
    const read = readEnrichedLine(digestLine(data));
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toBe('invalid_field');
  });

  it('rejects a line of the wrong shape', () => {
    expect(readEnrichedLine('a\tb')).toMatchObject({ ok: false, reason: 'wrong_field_count' });
  });
});
