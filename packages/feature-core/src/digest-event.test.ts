/**
 * A feature digest travels as its own self-describing event: the adapters recognise it, and no lane
 * applies it, so sending one does not change the values it reports (session activity included).
 */
import { describe, expect, it } from 'vitest';
import { fromTrackerPayload } from './adapters/tracker-payload.js';
import { buildFeatureDigest, EMPTY_EVENT_SET_HASH, FEATURE_DIGEST_SCHEMA_URI } from './digest.js';
import { createFeatureEngine } from './engine/feature-engine.js';
import { trackerPayload, uuid } from './test-support/builders.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SHOPPER = {
  domainUserId: 'dddddddd-0000-4000-8000-000000000d01',
  sessionId: 'dddddddd-5555-4000-8000-000000000d02',
};

function digestPayload(timeMs: number): Record<string, string> {
  const page = trackerPayload({ eventId: uuid(9_001), timeMs, type: 'page_view', ...SHOPPER }) as Record<
    string,
    string
  >;
  const digest = buildFeatureDigest({
    definitionVersion: 'v',
    userKey: SHOPPER.domainUserId,
    sessionKey: SHOPPER.sessionId,
    lastEventId: uuid(1),
    eventCount: 2,
    eventSetHash: EMPTY_EVENT_SET_HASH,
    atMs: timeMs,
    values: [new Map([['session_page_count', '2']])],
  });
  const unstruct = {
    schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
    data: { schema: FEATURE_DIGEST_SCHEMA_URI, data: digest },
  };
  return { ...page, e: 'ue', ue_pr: JSON.stringify(unstruct) };
}

describe('the feature digest event', () => {
  it('decodes as its own type, and no lane applies it', () => {
    const decoded = fromTrackerPayload(digestPayload(T0 + 60_000));
    expect(decoded.ok && decoded.value.type).toBe('feature_digest');

    const engine = createFeatureEngine();
    for (const [n, s] of [
      [1, 0],
      [2, 10],
    ] as const) {
      const view = fromTrackerPayload(
        trackerPayload({ eventId: uuid(n), timeMs: T0 + s * 1000, type: 'page_view', ...SHOPPER }),
      );
      if (view.ok) engine.apply(view.value);
    }
    const before = engine.keyValuesAt(T0 + 120_000);
    expect(before[`session:${SHOPPER.sessionId}:session_duration`]).toBe('10000');
    if (!decoded.ok) return;
    expect(engine.apply(decoded.value)).toEqual({ user: 'ignored', session: 'ignored' });
    // A minute later than the last page view, yet the session's duration and counts did not move.
    expect(engine.keyValuesAt(T0 + 120_000)).toEqual(before);
  });
});
