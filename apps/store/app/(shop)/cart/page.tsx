import type { Metadata } from 'next';
import { currentCartView } from '../../../src/server/shopper';
import { CartEditor } from '../../../src/shop/ui/CartEditor';

export const metadata: Metadata = { title: 'Cart' };

export default async function CartPage() {
  const cart = await currentCartView();
  return (
    <>
      <h1>Your cart</h1>
      <CartEditor initial={cart} />
    </>
  );
}
