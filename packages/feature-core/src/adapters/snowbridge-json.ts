/**
 * Adapter from the Flink accelerator's Snowbridge JSON message (SNOWPLOW.md §3, last bullet) to a
 * `ShopperEvent`, so Tandem can replace the Flink job on an accelerator deployment unchanged.
 *
 * The message carries the ecommerce data in `payload` (product, products, cart, checkout_step,
 * list_name, promotion); it is rebuilt into self-describing JSON and checked by the same
 * `buildEventBody` as every other adapter. The accelerator's transformer writes no transaction
 * data: a `transaction` message is accepted only with a `payload.transaction` entity (an extension
 * an operator can add to the transformer), else it is rejected as `missing_entity`.
 */
import { isRecord } from '../acceptance.js';
import { parseJson } from '../encoding.js';
import { ECOMMERCE_ACTION_TYPES, type Marketing, type ShopperEvent } from '../event.js';
import { type Result, reject } from '../result.js';
import {
  buildEventBody,
  classifyDevice,
  ECOMMERCE_ACTION_SCHEMA,
  type EventKind,
  parseIgluUri,
  type SelfDescribing,
  VENDOR_ECOMMERCE,
} from '../snowplow.js';
import { assembleEvent, nonEmpty } from './common.js';
import { parseEnrichedTimestamp } from './enriched-tsv.js';

function selfDescribing(uri: string, data: unknown): SelfDescribing {
  return { schema: parseIgluUri(uri) as NonNullable<ReturnType<typeof parseIgluUri>>, uri, data };
}

const ENTITY_SCHEMAS = {
  product: `iglu:${VENDOR_ECOMMERCE}/product/jsonschema/1-0-0`,
  cart: `iglu:${VENDOR_ECOMMERCE}/cart/jsonschema/1-0-0`,
  checkout_step: `iglu:${VENDOR_ECOMMERCE}/checkout_step/jsonschema/1-0-0`,
  transaction: `iglu:${VENDOR_ECOMMERCE}/transaction/jsonschema/1-0-0`,
  promotion: `iglu:${VENDOR_ECOMMERCE}/promotion/jsonschema/1-0-0`,
  client_session: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
} as const;

function str(value: unknown): string | null {
  return typeof value === 'string' ? nonEmpty(value) : null;
}

function obj(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function isEmptyObject(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 0;
}

/**
 * Converts one Snowbridge JSON message (text or parsed) to a `ShopperEvent`. Event time is the
 * message `timestamp` (derived_tstamp, else collector_tstamp), bounded against
 * `metadata.collector_tstamp` when present. Never throws.
 */
export function fromSnowbridgeJson(message: unknown): Result<ShopperEvent> {
  const parsed = typeof message === 'string' ? parseJson(message) : message;
  if (!isRecord(parsed)) return reject('bad_json', 'a Snowbridge message must be a JSON object');
  const type = str(parsed.type);
  if (type === null) return reject('missing_field', 'type is missing');
  const isEcommerce = (ECOMMERCE_ACTION_TYPES as readonly string[]).includes(type);
  let kind: EventKind;
  if (isEcommerce) kind = 'self_describing';
  else if (type === 'page_view' || type === 'page_ping') kind = type;
  else if (type === 'struct' || type === 'unstruct' || type === 'transaction_item') kind = 'other';
  else return reject('unknown_event', `unknown event type ${type}`);

  const payload = obj(parsed.payload);
  const entities: SelfDescribing[] = [];
  // The transformer writes `{}` where an entity was missing: treat that as absent.
  const addEntity = (name: keyof typeof ENTITY_SCHEMAS, data: unknown) => {
    if (data !== undefined && data !== null && !isEmptyObject(data)) {
      entities.push(selfDescribing(ENTITY_SCHEMAS[name], data));
    }
  };
  addEntity('product', payload.product);
  if (Array.isArray(payload.products)) for (const product of payload.products) addEntity('product', product);
  addEntity('cart', payload.cart);
  addEntity('checkout_step', payload.checkout_step);
  addEntity('transaction', payload.transaction);
  addEntity('promotion', payload.promotion);
  const session = obj(parsed.session);
  if (typeof session.sessionId === 'string') addEntity('client_session', session);

  const unstruct = isEcommerce
    ? selfDescribing(ECOMMERCE_ACTION_SCHEMA, { type, name: payload.list_name ?? null })
    : null;
  const body = buildEventBody(kind, unstruct, entities);
  if (!body.ok) return body;

  const timestampText = str(parsed.timestamp);
  const eventTimeMs = timestampText === null ? null : parseEnrichedTimestamp(timestampText);
  if (timestampText !== null && eventTimeMs === null) {
    return reject('invalid_field', `timestamp is not an ISO timestamp: ${timestampText}`);
  }
  const metadata = obj(parsed.metadata);
  const collectorText = str(metadata.collector_tstamp);
  const collectorTimeMs = collectorText === null ? null : parseEnrichedTimestamp(collectorText);
  if (collectorText !== null && collectorTimeMs === null) {
    return reject('invalid_field', `metadata.collector_tstamp is not an ISO timestamp: ${collectorText}`);
  }
  const enrich = obj(parsed.enrich);
  const client = obj(enrich.client);
  const user = obj(enrich.user);
  const marketingRaw = isRecord(enrich.marketing) ? enrich.marketing : null;
  const campaign: Marketing | null =
    marketingRaw === null
      ? null
      : {
          medium: str(marketingRaw.mkt_medium),
          source: str(marketingRaw.mkt_source),
          term: str(marketingRaw.mkt_term),
          content: str(marketingRaw.mkt_content),
          campaign: str(marketingRaw.mkt_campaign),
        };
  // All-empty mkt_* fields mean no attribution, as in the TSV adapter.
  const marketing = campaign !== null && Object.values(campaign).some((v) => v !== null) ? campaign : null;
  const userAgent = str(client.useragent);
  return assembleEvent(
    {
      eventId: str(parsed.id),
      eventTimeMs,
      collectorTimeMs,
      userId: str(user.user_id),
      domainUserId: str(user.domain_userid),
      domainSessionId: str(session.domain_sessionid),
      pageUrl: str(obj(client.page).page_url) ?? str(payload.page_url),
      marketing,
      platform: str(enrich.platform),
      userAgent,
      deviceClass: classifyDevice(userAgent),
      // The accelerator's message carries no geolocation.
      geo: null,
    },
    body.value,
  );
}
