/**
 * The current shopper, read from the request's cookies (server components and route handlers only):
 * their cart (`tandem_cart`) and their session (`tandem_session`), both httpOnly random ids that
 * point at server-side state, so a browser cannot claim another cart or user by editing a cookie
 * value short of guessing a UUID.
 */
import { cookies, headers } from 'next/headers';
import { getProduct } from '../catalog/products';
import { type Cart, type CartView, cartView, emptyCart } from '../shop/cart';
import type { TrackingConfig } from '../tracking/shop-tracking';
import { publicCartId, shopState } from './state';
import { trackingConfigFor } from './tracking-config';
import { type DemoUser, getDemoUser } from './users';

export const CART_COOKIE = 'tandem_cart';
export const SESSION_COOKIE = 'tandem_session';

const CART_MAX_AGE_S = 30 * 24 * 3600;
const SESSION_MAX_AGE_S = 7 * 24 * 3600;

/** The cart bound to this request's cookie, if there is one. */
export async function currentCart(): Promise<Cart | undefined> {
  const id = (await cookies()).get(CART_COOKIE)?.value;
  return id === undefined ? undefined : shopState().carts.get(id);
}

/** The current cart rendered (an empty view when the browser has none yet). */
export async function currentCartView(): Promise<CartView> {
  return publicCartView((await currentCart()) ?? emptyCart(''));
}

/** A cart rendered for the browser: its id is the public one (see `publicCartId`). */
export function publicCartView(cart: Cart): CartView {
  return cartView({ ...cart, id: publicCartId(cart.id) }, getProduct);
}

export async function currentUser(): Promise<DemoUser | undefined> {
  const sessionId = (await cookies()).get(SESSION_COOKIE)?.value;
  const userId = sessionId === undefined ? undefined : shopState().sessions.get(sessionId);
  return userId === undefined ? undefined : getDemoUser(userId);
}

export async function currentTrackingConfig(): Promise<TrackingConfig> {
  const requestHeaders = await headers();
  const user = await currentUser();
  return trackingConfigFor(
    {
      host: requestHeaders.get('host'),
      forwardedHost: requestHeaders.get('x-forwarded-host'),
      forwardedProto: requestHeaders.get('x-forwarded-proto'),
    },
    user?.id ?? null,
    process.env,
  );
}

/** Whether the browser reached us over https (directly or through a proxy): cookies get `Secure`. */
async function isHttps(): Promise<boolean> {
  const proto = (await headers()).get('x-forwarded-proto')?.split(',')[0]?.trim();
  return proto === 'https';
}

/** Binds a cart to this browser (route handlers only). */
export async function setCartCookie(cartId: string): Promise<void> {
  (await cookies()).set(CART_COOKIE, cartId, {
    httpOnly: true,
    sameSite: 'lax',
    secure: await isHttps(),
    path: '/',
    maxAge: CART_MAX_AGE_S,
  });
}

export async function setSessionCookie(sessionId: string): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: 'lax',
    secure: await isHttps(),
    path: '/',
    maxAge: SESSION_MAX_AGE_S,
  });
}

/** Ends the session: forgets it on the server and expires the cookie. */
export async function clearSession(): Promise<void> {
  const jar = await cookies();
  const sessionId = jar.get(SESSION_COOKIE)?.value;
  if (sessionId !== undefined) shopState().sessions.delete(sessionId);
  jar.delete(SESSION_COOKIE);
}
