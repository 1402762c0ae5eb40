/** Pieces the adapters share: assembling the final `ShopperEvent` from checked parts. */
import { boundEventTime } from '../acceptance.js';
import type { DeviceClass, Geo, Marketing, ShopperEvent } from '../event.js';
import { ok, type Result, reject } from '../result.js';
import type { EventBody } from '../snowplow.js';

export interface EventEnvelope {
  eventId: string | null;
  eventTimeMs: number | null;
  collectorTimeMs: number | null;
  userId: string | null;
  domainUserId: string | null;
  domainSessionId: string | null;
  pageUrl: string | null;
  marketing: Marketing | null;
  platform: string | null;
  userAgent: string | null;
  deviceClass: DeviceClass | null;
  geo: Geo | null;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Empty strings mean "absent" in every Snowplow format. */
export function nonEmpty(value: string | undefined | null): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * A copy of `text` that does not keep the string it was cut from alive. Engines represent a
 * substring as a slice of its parent: an event id split out of a 2-3 KB enriched TSV line would keep
 * the whole line in memory for as long as a lane remembers the id (measured: a shopper's lanes took
 * ~4x the memory of the same lanes restored from their wire format). Concatenation flattens into a
 * new string; the slice of that holds only the copy.
 */
export function detached(text: string | null): string | null {
  return text === null ? null : ` ${text}`.slice(1);
}

/** Joins the envelope fields and the checked body into a `ShopperEvent`, checking identity and time. */
export function assembleEvent(envelope: EventEnvelope, body: EventBody): Result<ShopperEvent> {
  if (envelope.eventId === null) return reject('missing_field', 'event id is missing');
  if (!UUID.test(envelope.eventId)) return reject('invalid_field', `event id is not a UUID: ${envelope.eventId}`);
  if (envelope.eventTimeMs === null) return reject('missing_field', 'event time is missing');
  const userKey = envelope.userId ?? envelope.domainUserId;
  if (userKey === null) return reject('no_shopper', 'neither user_id nor domain_userid is set');
  const time = boundEventTime(envelope.eventTimeMs, envelope.collectorTimeMs);
  return ok({
    eventId: envelope.eventId.toLowerCase(),
    eventTimeMs: time.eventTimeMs,
    collectorTimeMs: envelope.collectorTimeMs,
    clockSkewCorrected: time.clockSkewCorrected,
    userKey,
    userId: envelope.userId,
    domainUserId: envelope.domainUserId,
    sessionKey: body.clientSessionId ?? envelope.domainSessionId,
    type: body.type,
    schema: body.schema,
    products: body.products,
    cart: body.cart,
    listName: body.listName,
    checkoutStep: body.checkoutStep,
    transaction: body.transaction,
    promotion: body.promotion,
    searchTerms: body.searchTerms,
    pageUrl: envelope.pageUrl,
    marketing: envelope.marketing,
    platform: envelope.platform,
    userAgent: envelope.userAgent,
    deviceClass: envelope.deviceClass,
    geo: envelope.geo,
  });
}
