'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import type { Product } from '../../catalog/products';
import { MAX_QUANTITY, toCartLine, toCartState } from '../cart';
import { useTracking } from '../tracking-bridge';
import { changeCart } from './api';
import { useHydrated } from './useHydrated';

/** Quantity picker and "Add to cart" button of a product page. */
export function AddToCart({ product }: { readonly product: Product }) {
  const tracking = useTracking();
  const router = useRouter();
  const quantityId = useId();
  const [quantity, setQuantity] = useState(1);
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  async function add() {
    setBusy(true);
    setMessage(null);
    const result = await changeCart({ type: 'add', productId: product.id, quantity });
    setBusy(false);
    if (!result.ok) {
      setMessage({ text: result.message, error: true });
      return;
    }
    tracking.addToCart(toCartLine(product, quantity), toCartState(result.data));
    setMessage({ text: `Added ${quantity} × ${product.name} to your cart.`, error: false });
    router.refresh();
  }

  return (
    <form
      className="add-to-cart"
      onSubmit={(event) => {
        event.preventDefault();
        void add();
      }}
    >
      <label htmlFor={quantityId}>Quantity</label>
      <select id={quantityId} value={quantity} onChange={(event) => setQuantity(Number(event.target.value))}>
        {Array.from({ length: MAX_QUANTITY }, (_, index) => index + 1).map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
      <button type="submit" className="button" disabled={busy || !hydrated}>
        {busy ? 'Adding…' : 'Add to cart'}
      </button>
      <p role="status" className={message?.error ? 'message error' : 'message'}>
        {message?.text}
        {message !== null && !message.error ? (
          <>
            {' '}
            <Link href="/cart">View cart</Link>
          </>
        ) : null}
      </p>
    </form>
  );
}
