/**
 * Input decoding: enriched lines (TSV or Snowbridge JSON) into events with their rejection reasons,
 * and the repartition message, which must round-trip and refuse what this aggregator did not write.
 */
import { REJECT_REASONS } from '@tandem/feature-core';
import { enrichedTsv, enrichedTsvWith, GOLDEN_JOURNEY, snowbridgeJson } from '@tandem/feature-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInput, decodeLaneMessage, encodeLaneMessage } from './input-decoder.js';
import { drillScale } from './test-support/drill.js';

/** Fuzzed cases per property: 400 in `npm test`, 10,000 in `npm run drill` (TARGETS T12). */
const FUZZ_RUNS = { numRuns: drillScale(400, 10_000) };

const SPEC = GOLDEN_JOURNEY[3] as (typeof GOLDEN_JOURNEY)[number];
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('decodeInput', () => {
  it('calls a missing or empty value an empty message, in either format', () => {
    for (const format of ['tsv', 'snowbridge-json'] as const) {
      expect(decodeInput(null, format)).toEqual({ ok: false, reason: 'empty_message', detail: 'no message value' });
      expect(decodeInput(Buffer.alloc(0), format)).toMatchObject({ ok: false, reason: 'empty_message' });
    }
  });

  it('decodes every line of the golden journey, in both formats', () => {
    for (const spec of GOLDEN_JOURNEY) {
      const tsv = decodeInput(bytes(enrichedTsv(spec)), 'tsv');
      expect(tsv.ok, spec.eventId).toBe(true);
      if (!tsv.ok) continue;
      expect(tsv.event.eventId).toBe(spec.eventId);
      const json = decodeInput(bytes(JSON.stringify(snowbridgeJson(spec))), 'snowbridge-json');
      expect(json.ok, spec.eventId).toBe(true);
      // Ids, keys and time agree (Snowbridge's message carries no site_search type: it reads as `other`).
      if (json.ok) {
        const { eventId, userKey, sessionKey, eventTimeMs } = tsv.event;
        expect(json.event).toMatchObject({ eventId, userKey, sessionKey, eventTimeMs });
      }
    }
  });

  const badLines: [reason: string, line: string][] = [
    ['wrong_field_count', 'not\tan\tenriched\tline'],
    ['wrong_field_count', `${enrichedTsv(SPEC)}\textra`],
    ['missing_field', enrichedTsvWith(SPEC, { event_id: '' })],
    ['no_shopper', enrichedTsvWith(SPEC, { domain_userid: '', user_id: '' })],
    ['invalid_field', enrichedTsvWith(SPEC, { event_id: 'not-a-uuid' })],
    ['invalid_field', enrichedTsvWith(SPEC, { collector_tstamp: 'yesterday', derived_tstamp: 'yesterday' })],
    ['unknown_event', enrichedTsvWith(SPEC, { event: 'teleport' })],
    ['bad_json', enrichedTsvWith(SPEC, { unstruct_event: '{not json' })],
    ['bad_envelope', enrichedTsvWith(SPEC, { contexts: '{"schema":1}' })],
  ];
  for (const [reason, line] of badLines) {
    it(`rejects a bad TSV line as ${reason}, with a detail`, () => {
      const decoded = decodeInput(bytes(line), 'tsv');
      expect(decoded).toMatchObject({ ok: false, reason });
      if (!decoded.ok) expect(decoded.detail).not.toBe('');
    });
  }

  it('never throws: any text, or any one field replaced, decodes or is rejected with a known reason', () => {
    const names = enrichedTsv(SPEC)
      .split('\t')
      .map((_, n) => n);
    const reasons = new Set<string>([...REJECT_REASONS, 'empty_message']);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.tuple(fc.constantFrom(...names), fc.string({ maxLength: 40 })).map(([n, value]) => {
            const fields = enrichedTsv(SPEC).split('\t');
            fields[n] = value.replaceAll('\t', ' ');
            return fields.join('\t');
          }),
        ),
        fc.constantFrom('tsv' as const, 'snowbridge-json' as const),
        (text, format) => {
          const decoded = decodeInput(bytes(text), format);
          if (!decoded.ok) expect(reasons.has(decoded.reason), decoded.reason).toBe(true);
        },
      ),
      FUZZ_RUNS,
    );
  });
});

describe('lane messages', () => {
  it('round-trip every event', () => {
    for (const spec of GOLDEN_JOURNEY) {
      const decoded = decodeInput(bytes(enrichedTsv(spec)), 'tsv');
      if (!decoded.ok) throw new Error(decoded.detail);
      expect(decodeLaneMessage(bytes(encodeLaneMessage(decoded.event)))).toEqual({ ok: true, event: decoded.event });
    }
  });

  it('calls a missing or empty value an empty message', () => {
    expect(decodeLaneMessage(null)).toMatchObject({ ok: false, reason: 'empty_message' });
    expect(decodeLaneMessage(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'empty_message' });
  });

  it('rejects text that is not JSON, and JSON this aggregator did not write, as bad_lane_message', () => {
    const decoded = decodeInput(bytes(enrichedTsv(SPEC)), 'tsv');
    if (!decoded.ok) throw new Error(decoded.detail);
    const event = decoded.event as unknown as Record<string, unknown>;
    const foreign = [
      'not json',
      enrichedTsv(SPEC),
      'null',
      '42',
      '"text"',
      '[]',
      '{}',
      JSON.stringify(snowbridgeJson(SPEC)),
      JSON.stringify({ ...event, eventId: '' }),
      JSON.stringify({ ...event, eventId: 7 }),
      JSON.stringify({ ...event, eventTimeMs: '2026-03-02' }),
      JSON.stringify({ ...event, userKey: '' }),
      JSON.stringify({ ...event, sessionKey: 3 }),
      JSON.stringify({ ...event, type: null }),
      JSON.stringify({ ...event, products: {} }),
    ];
    for (const text of foreign) {
      expect(decodeLaneMessage(bytes(text)), text.slice(0, 60)).toMatchObject({
        ok: false,
        reason: 'bad_lane_message',
      });
    }
    // A session key of null is a lane message (an event without session).
    expect(decodeLaneMessage(bytes(JSON.stringify({ ...event, sessionKey: null })))).toMatchObject({ ok: true });
  });

  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          fc.json().map(bytes),
        ),
        (value) => {
          const decoded = decodeLaneMessage(value);
          if (!decoded.ok) expect(['empty_message', 'bad_lane_message']).toContain(decoded.reason);
        },
      ),
      FUZZ_RUNS,
    );
  });
});
