/**
 * Server-side tracking of confirmed orders with the Snowplow Node tracker: the same ecommerce
 * `transaction` action, transaction entity and product entities the browser sends, so revenue
 * features hold even when the browser's beacon is blocked. Both carry the server's order id as
 * `transaction_id`, and feature-core dedupes orders by it, so the two count once.
 *
 * The event carries the shopper's ids (`uid` = signed-in user, `duid` = the browser tracker's
 * domain_userid from its `_sp_id.*` cookie, `sid` = its session id) so the aggregator attributes it
 * to the same user and session keys. Tracking is fire and forget: a short timeout, no retries,
 * failures logged, never thrown into checkout. `TRACKING=off` turns it off.
 */
import { buildSelfDescribingEvent, newTracker, type SelfDescribingJson } from '@snowplow/node-tracker';
import { CURRENCY, toMajor } from '../catalog/products';
import type { Order } from './state';
import { STORE_APP_ID } from './tracking-config';

const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
export const ECOMMERCE_ACTION_SCHEMA = `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`;
export const TRANSACTION_SCHEMA = `${ECOM}/transaction/jsonschema/1-0-0`;
export const PRODUCT_SCHEMA = `${ECOM}/product/jsonschema/1-0-0`;

export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:9090';
/** How long one send may take before it is given up (the checkout response never waits for it). */
export const ORDER_TRACKING_TIMEOUT_MS = 3_000;

export interface OrderShopper {
  /** Signed-in user id, if any. */
  readonly userId: string | null;
  /** The browser tracker's domain_userid (`_sp_id.*` cookie), if known. */
  readonly domainUserId: string | null;
  /** The browser tracker's session id (`_sp_id.*` cookie), if known. */
  readonly sessionId: string | null;
}

export interface OrderTrackingOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
  /** Event time (true timestamp), epoch ms; default the order's creation time. */
  readonly nowMs?: number;
}

/** The entities of an order's transaction event, as the browser's ecommerce plugin builds them. */
export function orderEntities(order: Order): SelfDescribingJson[] {
  return [
    {
      schema: TRANSACTION_SCHEMA,
      data: {
        transaction_id: order.id,
        revenue: toMajor(order.totalMinor),
        currency: CURRENCY,
        payment_method: order.details.paymentMethod,
        total_quantity: order.lines.reduce((sum, line) => sum + line.quantity, 0),
      },
    },
    ...order.lines.map((line) => ({
      schema: PRODUCT_SCHEMA,
      data: {
        id: line.product.id,
        name: line.product.name,
        category: line.product.category,
        brand: line.product.brand,
        price: toMajor(line.product.priceMinor),
        currency: CURRENCY,
        quantity: line.quantity,
      },
    })),
  ];
}

/**
 * Sends the order's transaction event and resolves when the collector answered, failed or timed
 * out: it never rejects. Callers in request handlers do not await it.
 */
export async function trackConfirmedOrder(
  order: Order,
  shopper: OrderShopper,
  { env = process.env, log = (line) => console.warn(`[order-tracking] ${line}`), nowMs }: OrderTrackingOptions = {},
): Promise<void> {
  if (env.TRACKING?.trim().toLowerCase() === 'off') return;
  try {
    const tracker = newTracker(
      { namespace: 'tandem-store-server', appId: STORE_APP_ID, encodeBase64: false },
      {
        endpoint: env.COLLECTOR_URL?.trim() || DEFAULT_COLLECTOR_URL,
        eventMethod: 'post',
        bufferSize: 1,
        connectionTimeout: ORDER_TRACKING_TIMEOUT_MS,
        retryFailedRequests: false,
        onRequestFailure: (failure) =>
          log(`order ${order.id} not tracked: ${failure.status ?? 'no response'} ${failure.message ?? ''}`.trim()),
      },
    );
    tracker.setPlatform('srv');
    if (shopper.userId !== null) tracker.setUserId(shopper.userId);
    if (shopper.domainUserId !== null) tracker.setDomainUserId(shopper.domainUserId);
    if (shopper.sessionId !== null) tracker.setSessionId(shopper.sessionId);
    tracker.track(
      buildSelfDescribingEvent({ event: { schema: ECOMMERCE_ACTION_SCHEMA, data: { type: 'transaction' } } }),
      orderEntities(order),
      { type: 'ttm', value: nowMs ?? order.createdAtMs },
    );
    await tracker.flush();
    // The tracker reports failures on a timer (setTimeout 0): let that run before resolving.
    await new Promise((resolve) => setTimeout(resolve, 0));
  } catch (error) {
    log(`order ${order.id} not tracked: ${error instanceof Error ? error.message : String(error)}`);
  }
}
