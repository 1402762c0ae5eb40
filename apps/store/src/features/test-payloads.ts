/** Tracker payloads for the store's unit tests, built with feature-core's test builders. */
import { type EventSpec, trackerPayload, uuid } from '@tandem/feature-core/testing';
import type { SentPayload } from '../tracking/feed-plugin.js';

export const SHOPPER = { domainUserId: 'duid-shopper-1', sessionId: 'a1b2c3d4-0000-4000-8000-00000000000a' };
let counter = 0;

/** One payload of the test shopper at `timeMs`. */
export function payload(type: EventSpec['type'], timeMs: number, extra: Partial<EventSpec> = {}): SentPayload {
  return trackerPayload({
    eventId: uuid(++counter),
    timeMs,
    type,
    ...SHOPPER,
    ...extra,
  }) as SentPayload;
}

/** A product view of a product priced `price`. */
export function productView(id: string, price: number, timeMs: number): SentPayload {
  return payload('product_view', timeMs, { products: [{ id, category: 'Shoes', price, currency: 'EUR' }] });
}
