/**
 * Input decoding: one message of the enriched topic into a ShopperEvent, with feature-core's adapters
 * (the one implementation of Snowplow's rules), and the repartition message the lanes consume.
 * Pure: no Kafka types here.
 */
import type { RejectReason, ShopperEvent } from '@tandem/feature-core';
import { fromEnrichedTsv, fromSnowbridgeJson } from '@tandem/feature-core/enriched';

/** What the enriched topic carries: Snowplow Enrich's TSV (default) or the accelerator's Snowbridge JSON. */
export type InputFormat = 'tsv' | 'snowbridge-json';
export const INPUT_FORMATS: readonly InputFormat[] = ['tsv', 'snowbridge-json'];

/**
 * Why a message went to the dead-letter topic: feature-core's reasons for bad events, plus an empty
 * message (a tombstone) and a repartition message that is not one this aggregator wrote.
 */
export type DeadLetterReason = RejectReason | 'empty_message' | 'bad_lane_message';

export type Decoded =
  | { readonly ok: true; readonly event: ShopperEvent }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

/** Decodes one message value of the enriched topic. */
export function decodeInput(value: Buffer | null, format: InputFormat): Decoded {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty_message', detail: 'no message value' };
  const text = value.toString('utf8');
  const result = format === 'tsv' ? fromEnrichedTsv(text) : fromSnowbridgeJson(text);
  return result.ok ? { ok: true, event: result.value } : result;
}

/**
 * The repartition message: the decoded event as JSON, so a lane never parses the 131-field line
 * again. Its format is internal (written and read by the same release); a change of it needs new
 * repartition topic names.
 */
export function encodeLaneMessage(event: ShopperEvent): string {
  return JSON.stringify(event);
}

/** Reads a repartition message back; anything else (a foreign producer, a corrupted value) is rejected. */
export function decodeLaneMessage(value: Buffer | null): Decoded {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty_message', detail: 'no message value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad_lane_message', detail: 'not JSON' };
  }
  if (!isShopperEventShape(parsed)) {
    return { ok: false, reason: 'bad_lane_message', detail: 'not a ShopperEvent written by this aggregator' };
  }
  return { ok: true, event: parsed };
}

/** The fields a lane relies on without checking again: ids, time and keys. */
function isShopperEventShape(value: unknown): value is ShopperEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.eventId === 'string' &&
    event.eventId !== '' &&
    typeof event.eventTimeMs === 'number' &&
    Number.isFinite(event.eventTimeMs) &&
    typeof event.userKey === 'string' &&
    event.userKey !== '' &&
    (event.sessionKey === null || typeof event.sessionKey === 'string') &&
    typeof event.type === 'string' &&
    Array.isArray(event.products)
  );
}
