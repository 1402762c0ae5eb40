'use client';

import Image from 'next/image';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { productImagePath } from '../../catalog/image';
import { formatPrice, type Product } from '../../catalog/products';
import { type CartView, MAX_QUANTITY, toCartLine, toCartState } from '../cart';
import { useTracking } from '../tracking-bridge';
import { changeCart } from './api';
import { useHydrated } from './useHydrated';

/** The cart page's lines: change a quantity or remove a line; each change is tracked with the new cart. */
export function CartEditor({ initial }: { readonly initial: CartView }) {
  const tracking = useTracking();
  const router = useRouter();
  const [cart, setCart] = useState(initial);
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  async function setQuantity(product: Product, from: number, to: number) {
    setBusy(true);
    const result = await changeCart(
      to === 0 ? { type: 'remove', productId: product.id } : { type: 'set', productId: product.id, quantity: to },
    );
    setBusy(false);
    if (!result.ok) {
      setStatus(result.message);
      return;
    }
    setCart(result.data);
    const state = toCartState(result.data);
    if (to > from) tracking.addToCart(toCartLine(product, to - from), state);
    else if (to < from) tracking.removeFromCart(toCartLine(product, from - to), state);
    setStatus(to === 0 ? `Removed ${product.name} from your cart.` : `${product.name}: quantity ${to}.`);
    router.refresh();
  }

  if (cart.lines.length === 0) {
    return (
      <div>
        <p>Your cart is empty.</p>
        <p role="status">{status}</p>
        <Link className="button" href="/">
          Continue shopping
        </Link>
      </div>
    );
  }

  return (
    <div className="cart">
      <table className="cart-table">
        <caption className="visually-hidden">Products in your cart</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cart.lines.map(({ product, quantity, lineTotalMinor }) => {
            const selectId = `quantity-${product.id}`;
            return (
              <tr key={product.id} data-product-id={product.id}>
                <td>
                  <div className="cart-product">
                    <Image src={productImagePath(product.id)} alt="" width={64} height={64} />
                    <Link href={`/product/${product.id}`}>{product.name}</Link>
                  </div>
                </td>
                <td data-label="Price">{formatPrice(product.priceMinor)}</td>
                <td>
                  <label htmlFor={selectId} className="visually-hidden">
                    Quantity of {product.name}
                  </label>
                  <select
                    id={selectId}
                    value={quantity}
                    disabled={busy || !hydrated}
                    onChange={(event) => void setQuantity(product, quantity, Number(event.target.value))}
                  >
                    {Array.from({ length: MAX_QUANTITY }, (_, index) => index + 1).map((value) => (
                      <option key={value} value={value}>
                        {value}
                      </option>
                    ))}
                  </select>
                </td>
                <td data-label="Total">{formatPrice(lineTotalMinor)}</td>
                <td>
                  <button
                    type="button"
                    className="button button-quiet"
                    disabled={busy || !hydrated}
                    onClick={() => void setQuantity(product, quantity, 0)}
                  >
                    Remove<span className="visually-hidden"> {product.name}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p role="status" className="message">
        {status}
      </p>
      <div className="cart-summary">
        <p>
          Subtotal ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'}):{' '}
          <strong data-testid="cart-subtotal">{formatPrice(cart.totalMinor)}</strong>
        </p>
        <Link className="button" href="/checkout">
          Go to checkout
        </Link>
      </div>
    </div>
  );
}
