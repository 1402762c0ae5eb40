import type { Metadata } from 'next';
import Link from 'next/link';
import { currentCartView, currentUser } from '../../../src/server/shopper';
import { CheckoutFlow } from '../../../src/shop/ui/CheckoutFlow';

export const metadata: Metadata = { title: 'Checkout' };

export default async function CheckoutPage() {
  const [cart, user] = await Promise.all([currentCartView(), currentUser()]);
  return (
    <>
      <h1>Checkout</h1>
      {cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Find something you like</Link>.
        </p>
      ) : (
        <CheckoutFlow cart={cart} prefill={user ? { name: user.name, email: user.email } : {}} />
      )}
    </>
  );
}
