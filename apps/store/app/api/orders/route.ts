import { cookies } from 'next/headers';
import { getProduct } from '../../../src/catalog/products';
import { jsonError, readJsonBody } from '../../../src/server/http';
import { trackConfirmedOrder } from '../../../src/server/order-tracking';
import { currentCart, currentUser } from '../../../src/server/shopper';
import { parseSpIdCookie, spIdCookieValue } from '../../../src/server/snowplow-cookies';
import { newOrderId, type Order, shopState } from '../../../src/server/state';
import { cartView } from '../../../src/shop/cart';
import { deliveryCostMinor, validateCheckout } from '../../../src/shop/checkout';

/**
 * Places the order for the current cart: validates the checkout (no real payment), issues the order
 * id, empties the cart, and answers `{ orderId }`. The browser tracks the transaction only after this;
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
  const deliveryMinor = deliveryCostMinor(checked.value.delivery, view.totalMinor);
  const order: Order = {
    id: newOrderId(nowMs),
    cartId: cart.id,
    userId: (await currentUser())?.id ?? null,
    createdAtMs: nowMs,
    lines: view.lines,
    subtotalMinor: view.totalMinor,
    deliveryMinor,
    totalMinor: view.totalMinor + deliveryMinor,
    details: checked.value,
  };
  const state = shopState();
  state.orders.set(order.id, order);
  state.carts.set(cart.id, { ...cart, items: [] });
  const ids = parseSpIdCookie(spIdCookieValue((await cookies()).getAll()));
  void trackConfirmedOrder(order, {
    userId: order.userId,
    domainUserId: ids?.domainUserId ?? null,
    sessionId: ids?.sessionId ?? null,
  });
  return Response.json({ orderId: order.id }, { status: 201, headers: { 'cache-control': 'no-store' } });
}
