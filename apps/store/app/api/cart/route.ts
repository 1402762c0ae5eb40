import { getProduct } from '../../../src/catalog/products';
import { jsonError, readJsonBody } from '../../../src/server/http';
import { currentCart, currentCartView, publicCartView, setCartCookie } from '../../../src/server/shopper';
import { newSecretId, shopState } from '../../../src/server/state';
import { applyCartChange, emptyCart, parseCartChange } from '../../../src/shop/cart';

/** The current cart. */
export async function GET(): Promise<Response> {
  return Response.json(await currentCartView(), { headers: { 'cache-control': 'no-store' } });
}

/** Changes the cart (`{type: 'add'|'set'|'remove', productId, quantity?}`); answers the new cart. */
export async function POST(request: Request): Promise<Response> {
  const read = await readJsonBody(request);
  if (!read.ok) return read.response;
  const change = parseCartChange(read.body);
  if (change === null)
    return jsonError(400, 'bad_change', 'expected {type: "add"|"set"|"remove", productId, quantity}');
  const cart = (await currentCart()) ?? emptyCart(newSecretId());
  const result = applyCartChange(cart, change, getProduct);
  if (!result.ok)
    return jsonError(
      result.code === 'bad_quantity' || result.code === 'bad_change' ? 400 : 404,
      result.code,
      result.message,
    );
  shopState().carts.set(result.cart.id, result.cart);
  await setCartCookie(result.cart.id);
  return Response.json(publicCartView(result.cart), { headers: { 'cache-control': 'no-store' } });
}
