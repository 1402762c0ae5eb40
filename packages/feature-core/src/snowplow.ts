/**
 * Snowplow's self-describing JSON, shared by every adapter: Iglu URIs, the unstruct_event and
 * contexts envelopes, and the step from (event kind, self-describing event, entities) to the typed
 * body of a `ShopperEvent`. One implementation, so the tracker-payload, enriched-TSV and collector
 * paths accept and reject exactly the same events.
 */
import {
  acceptCart,
  acceptCheckoutStep,
  acceptClientSession,
  acceptEcommerceAction,
  acceptProduct,
  acceptPromotion,
  acceptSiteSearch,
  acceptTransaction,
  isRecord,
} from './acceptance.js';
import { queryParams } from './encoding.js';
import type {
  Cart,
  CheckoutStep,
  DeviceClass,
  Marketing,
  Product,
  Promotion,
  ShopperEvent,
  ShopperEventType,
  Transaction,
} from './event.js';
import { ok, type Result, reject } from './result.js';

export const VENDOR_SNOWPLOW = 'com.snowplowanalytics.snowplow';
export const VENDOR_ECOMMERCE = 'com.snowplowanalytics.snowplow.ecommerce';
/** The project's own schemas (the feature digest). */
export const VENDOR_TANDEM = 'com.tandem';

export const UNSTRUCT_EVENT_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
export const CONTEXTS_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
export const ECOMMERCE_ACTION_SCHEMA =
  'iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2';

/** A parsed `iglu:vendor/name/format/model-revision-addition` URI. */
export interface IgluRef {
  readonly vendor: string;
  readonly name: string;
  readonly format: string;
  readonly model: number;
  readonly revision: number;
  readonly addition: number;
}

const IGLU_URI =
  /^iglu:([a-zA-Z0-9_.-]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/([1-9][0-9]*|0)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$/;

export function parseIgluUri(uri: string): IgluRef | null {
  const m = IGLU_URI.exec(uri);
  if (m === null) return null;
  return {
    vendor: m[1] as string,
    name: m[2] as string,
    format: m[3] as string,
    model: Number(m[4]),
    revision: Number(m[5]),
    addition: Number(m[6]),
  };
}

export interface SelfDescribing {
  readonly schema: IgluRef;
  readonly uri: string;
  readonly data: unknown;
}

function parseSelfDescribing(value: unknown, where: string): Result<SelfDescribing> {
  if (!isRecord(value) || typeof value.schema !== 'string' || !('data' in value)) {
    return reject('bad_envelope', `${where}: expected {schema, data}`);
  }
  const schema = parseIgluUri(value.schema);
  if (schema === null) return reject('bad_envelope', `${where}: bad Iglu URI ${JSON.stringify(value.schema)}`);
  return ok({ schema, uri: value.schema, data: value.data });
}

function isSchema(ref: IgluRef, vendor: string, name: string, model = 1): boolean {
  return ref.vendor === vendor && ref.name === name && ref.model === model;
}

/** The `unstruct_event` envelope around a self-describing event (`ue_pr`, enriched `unstruct_event`). */
export function parseUnstructEnvelope(value: unknown): Result<SelfDescribing> {
  const outer = parseSelfDescribing(value, 'unstruct_event');
  if (!outer.ok) return outer;
  if (!isSchema(outer.value.schema, VENDOR_SNOWPLOW, 'unstruct_event')) {
    return reject('bad_envelope', `unstruct_event: unexpected envelope schema ${outer.value.uri}`);
  }
  return parseSelfDescribing(outer.value.data, 'unstruct_event.data');
}

/** The `contexts` envelope around entities (`co`, enriched `contexts` / `derived_contexts`). */
export function parseContextsEnvelope(value: unknown): Result<SelfDescribing[]> {
  const outer = parseSelfDescribing(value, 'contexts');
  if (!outer.ok) return outer;
  if (!isSchema(outer.value.schema, VENDOR_SNOWPLOW, 'contexts')) {
    return reject('bad_envelope', `contexts: unexpected envelope schema ${outer.value.uri}`);
  }
  if (!Array.isArray(outer.value.data)) return reject('bad_envelope', 'contexts.data must be an array');
  const entities: SelfDescribing[] = [];
  for (const [i, item] of outer.value.data.entries()) {
    const entity = parseSelfDescribing(item, `contexts.data[${i}]`);
    if (!entity.ok) return entity;
    entities.push(entity.value);
  }
  return ok(entities);
}

/** The Snowplow event kinds an adapter hands to `buildEventBody`. */
export type EventKind = 'page_view' | 'page_ping' | 'self_describing' | 'other';

/** The part of a `ShopperEvent` that comes from the self-describing event and its entities. */
export type EventBody = Pick<
  ShopperEvent,
  'type' | 'schema' | 'products' | 'cart' | 'listName' | 'checkoutStep' | 'transaction' | 'promotion' | 'searchTerms'
> & {
  /** `client_session.sessionId`, when the entity is there. */
  readonly clientSessionId: string | null;
};

/** Entities of these schemas are checked whenever they appear, since features read them. */
interface Entities {
  products: Product[];
  cart: Cart | null;
  checkoutStep: CheckoutStep | null;
  transaction: Transaction | null;
  promotion: Promotion | null;
  clientSessionId: string | null;
}

function acceptEntities(entities: readonly SelfDescribing[]): Result<Entities> {
  const out: Entities = {
    products: [],
    cart: null,
    checkoutStep: null,
    transaction: null,
    promotion: null,
    clientSessionId: null,
  };
  for (const entity of entities) {
    const { schema, data } = entity;
    if (schema.vendor === VENDOR_ECOMMERCE && schema.model === 1) {
      switch (schema.name) {
        case 'product': {
          const product = acceptProduct(data);
          if (!product.ok) return product;
          out.products.push(product.value);
          break;
        }
        case 'cart': {
          const cart = acceptCart(data);
          if (!cart.ok) return cart;
          out.cart ??= cart.value;
          break;
        }
        case 'checkout_step': {
          const step = acceptCheckoutStep(data);
          if (!step.ok) return step;
          out.checkoutStep ??= step.value;
          break;
        }
        case 'transaction': {
          const transaction = acceptTransaction(data);
          if (!transaction.ok) return transaction;
          out.transaction ??= transaction.value;
          break;
        }
        case 'promotion': {
          const promotion = acceptPromotion(data);
          if (!promotion.ok) return promotion;
          out.promotion ??= promotion.value;
          break;
        }
      }
    } else if (isSchema(schema, VENDOR_SNOWPLOW, 'client_session')) {
      const session = acceptClientSession(data);
      if (!session.ok) return session;
      out.clientSessionId ??= session.value.sessionId;
    }
  }
  return ok(out);
}

/** Which entities each ecommerce action needs before any feature may count it. */
function missingEntity(type: ShopperEventType, e: Entities): string | null {
  switch (type) {
    case 'product_view':
      return e.products.length === 0 ? 'product_view needs a product entity' : null;
    case 'add_to_cart':
    case 'remove_from_cart':
      if (e.products.length === 0) return `${type} needs a product entity`;
      return e.cart === null ? `${type} needs a cart entity` : null;
    case 'checkout_step':
      return e.checkoutStep === null ? 'checkout_step needs a checkout_step entity' : null;
    case 'transaction':
    case 'trns_error':
      return e.transaction === null ? `${type} needs a transaction entity` : null;
    case 'promo_view':
    case 'promo_click':
      return e.promotion === null ? `${type} needs a promotion entity` : null;
    default:
      return null;
  }
}

/**
 * Turns an event's kind, its self-describing event (when `kind` is `self_describing`) and its
 * entities into a checked `EventBody`. Entities that features read are checked wherever they appear;
 * an ecommerce action without the entities its type needs is rejected with `missing_entity`.
 */
export function buildEventBody(
  kind: EventKind,
  unstruct: SelfDescribing | null,
  entities: readonly SelfDescribing[],
): Result<EventBody> {
  const accepted = acceptEntities(entities);
  if (!accepted.ok) return accepted;
  const e = accepted.value;
  let type: ShopperEventType = kind === 'self_describing' ? 'other' : kind;
  let listName: string | null = null;
  let searchTerms: readonly string[] | null = null;
  if (kind === 'self_describing') {
    if (unstruct === null) return reject('missing_field', 'self-describing event without its event data');
    if (isSchema(unstruct.schema, VENDOR_ECOMMERCE, 'snowplow_ecommerce_action')) {
      const action = acceptEcommerceAction(unstruct.data);
      if (!action.ok) return action;
      type = action.value.type;
      listName = type === 'list_view' || type === 'list_click' ? action.value.name : null;
    } else if (isSchema(unstruct.schema, VENDOR_SNOWPLOW, 'site_search')) {
      const terms = acceptSiteSearch(unstruct.data);
      if (!terms.ok) return terms;
      type = 'site_search';
      searchTerms = terms.value;
    } else if (isSchema(unstruct.schema, VENDOR_TANDEM, 'feature_digest')) {
      type = 'feature_digest';
    }
  }
  const missing = missingEntity(type, e);
  if (missing !== null) return reject('missing_entity', missing);
  return ok({
    type,
    schema: unstruct?.uri ?? null,
    products: e.products,
    cart: e.cart,
    listName,
    checkoutStep: e.checkoutStep,
    transaction: e.transaction,
    promotion: e.promotion,
    searchTerms,
    clientSessionId: e.clientSessionId,
  });
}

/**
 * Campaign attribution from a page URL's `utm_*` parameters, as Snowplow's campaign attribution
 * enrichment maps them to `mkt_*`. Null when the URL has none.
 */
export function marketingFromUrl(url: string | null): Marketing | null {
  if (url === null) return null;
  const params = queryParams(url);
  const get = (name: string) => {
    const value = params.get(name);
    return value === undefined || value === '' ? null : value;
  };
  const marketing: Marketing = {
    medium: get('utm_medium'),
    source: get('utm_source'),
    term: get('utm_term'),
    content: get('utm_content'),
    campaign: get('utm_campaign'),
  };
  return Object.values(marketing).some((v) => v !== null) ? marketing : null;
}

/**
 * Device class from a user agent: the coarse classes of `shopper_device_types`. A server-side
 * enrichment (the browser does not compute device features).
 */
export function classifyDevice(userAgent: string | null): DeviceClass | null {
  if (userAgent === null || userAgent === '') return null;
  if (/bot|crawl|spider|slurp|headless/i.test(userAgent)) return 'Other';
  if (/iPad|Tablet|Kindle|Silk|PlayBook|Nexus (7|9|10)/i.test(userAgent)) return 'Tablet';
  if (/Android/i.test(userAgent) && !/Mobile/i.test(userAgent)) return 'Tablet';
  if (/Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini/i.test(userAgent)) return 'Phone';
  if (/Windows NT|Macintosh|Mac OS X|X11|Linux|CrOS/i.test(userAgent)) return 'Desktop';
  return 'Other';
}
