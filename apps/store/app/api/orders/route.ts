import { cookies } from 'next/headers';
import { getProduct } from '../../../src/catalog/products';
import { isTrackingConsented } from '../../../src/consent/server';
import { jsonError, readJsonBody } from '../../../src/server/http';
import { OFFER_BENEFITS } from '../../../src/server/offer-codes';
import { offerStatsDeps, recordOrderConversion } from '../../../src/server/offer-stats-api';
import { trackConfirmedOrder } from '../../../src/server/order-tracking';
import { spendOfferCode } from '../../../src/server/redeem-api';
import { offerDeps } from '../../../src/server/redis-client';
import { currentCart, currentUser } from '../../../src/server/shopper';
import { parseSpIdCookie, spIdCookieValue } from '../../../src/server/snowplow-cookies';
import { newOrderId, type Order, shopState } from '../../../src/server/state';
import { cartView } from '../../../src/shop/cart';
import { deliveryCostMinor, validateCheckout } from '../../../src/shop/checkout';

/** The optional `offerCode` of the checkout body; null when absent or blank. */
function offerCodeOf(body: unknown): string | null {
  const code = (body as { offerCode?: unknown } | null)?.offerCode;
  return typeof code === 'string' && code.trim() !== '' ? code.trim().slice(0, 100) : null;
}

/**
 * Places the order for the current cart: validates the checkout (no real payment), issues the order
 * id, applies a redeemed offer code (used once), empties the cart, and answers
 * `{ orderId, discountMinor, deliveryMinor }`. The browser tracks the transaction only after this;
 * the server also tracks it (fire and forget), with the shopper's ids from the tracker's cookie.
 */
export async function POST(request: Request): Promise<Response> {
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const cart = await currentCart();
  const view = cart === undefined ? undefined : cartView(cart, getProduct);
  if (cart === undefined || view === undefined || view.lines.length === 0)
    return jsonError(409, 'empty_cart', 'Your cart is empty.');
  const checked = validateCheckout(read.body);
  if (!checked.ok) return jsonError(400, 'invalid_checkout', 'Please correct the highlighted fields.', checked.errors);
  const nowMs = Date.now();
  const orderId = newOrderId(nowMs);
  const ids = parseSpIdCookie(spIdCookieValue((await cookies()).getAll()));
  const offerCode = offerCodeOf(read.body);
  let offer: Order['offer'];
  if (offerCode !== null) {
    const use = await spendOfferCode(offerDeps(), offerCode, ids?.domainUserId ?? null, orderId);
    if (!use.ok) return jsonError(400, 'invalid_offer_code', use.message, { offerCode: use.message });
    offer = { code: offerCode, kind: use.offer, label: OFFER_BENEFITS[use.offer].label };
  }
  const benefit = offer === undefined ? null : OFFER_BENEFITS[offer.kind];
  const deliveryMinor = benefit?.freeDelivery ? 0 : deliveryCostMinor(checked.value.delivery, view.totalMinor);
  const discountMinor = Math.round((view.totalMinor * (benefit?.percentOff ?? 0)) / 100);
  const order: Order = {
    id: orderId,
    cartId: cart.id,
    userId: (await currentUser())?.id ?? null,
    createdAtMs: nowMs,
    lines: view.lines,
    subtotalMinor: view.totalMinor,
    deliveryMinor,
    discountMinor,
    ...(offer === undefined ? {} : { offer }),
    totalMinor: view.totalMinor - discountMinor + deliveryMinor,
    details: checked.value,
  };
  const state = shopState();
  state.orders.set(order.id, order);
  state.carts.set(cart.id, { ...cart, items: [] });
  // The offers experiment: this session's qualified rules convert, per arm (never fails the order).
  await recordOrderConversion(offerStatsDeps(), ids);
  // Only with the shopper's consent, like the browser's tracking (src/consent/).
  if (await isTrackingConsented())
    void trackConfirmedOrder(order, {
      userId: order.userId,
      domainUserId: ids?.domainUserId ?? null,
      sessionId: ids?.sessionId ?? null,
    });
  return Response.json(
    { orderId: order.id, discountMinor, deliveryMinor },
    { status: 201, headers: { 'cache-control': 'no-store' } },
  );
}
