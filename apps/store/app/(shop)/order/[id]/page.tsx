import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { CURRENCY, formatPrice, toMajor } from '../../../../src/catalog/products';
import { CART_COOKIE, currentUser } from '../../../../src/server/shopper';
import { shopState } from '../../../../src/server/state';
import { toCartLine } from '../../../../src/shop/cart';
import { TransactionTracker } from '../../../../src/shop/ui/TransactionTracker';

export const metadata: Metadata = { title: 'Order confirmed' };

interface Props {
  readonly params: Promise<{ id: string }>;
}

export default async function OrderPage({ params }: Props) {
  const order = shopState().orders.get((await params).id);
  const cartId = (await cookies()).get(CART_COOKIE)?.value;
  const user = await currentUser();
  // Only the browser that placed the order, or the same signed-in shopper, may see it.
  const mayView =
    order !== undefined && (order.cartId === cartId || (order.userId !== null && order.userId === user?.id));
  if (!mayView) notFound();
  const lines = order.lines.map((line) => toCartLine(line.product, line.quantity));
  return (
    <>
      <h1>Thank you: your order is confirmed</h1>
      <p>
        Order number <strong data-testid="order-id">{order.id}</strong>. A confirmation would go to{' '}
        {order.details.address.email} (this is a demo: nothing is sent).
      </p>
      <section aria-labelledby="order-summary">
        <h2 id="order-summary">Summary</h2>
        <ul className="order-lines">
          {order.lines.map((line) => (
            <li key={line.product.id}>
              {line.quantity} × {line.product.name}: {formatPrice(line.lineTotalMinor)}
            </li>
          ))}
        </ul>
        <dl className="totals">
          {order.offer !== undefined || order.discountMinor > 0 ? (
            <>
              <dt>Subtotal</dt>
              <dd>{formatPrice(order.subtotalMinor)}</dd>
            </>
          ) : null}
          {order.discountMinor > 0 ? (
            <>
              <dt>Discount{order.offer ? ` (${order.offer.label})` : ''}</dt>
              <dd data-testid="order-discount">−{formatPrice(order.discountMinor)}</dd>
            </>
          ) : null}
          <dt>Delivery ({order.details.delivery.label})</dt>
          <dd>{formatPrice(order.deliveryMinor)}</dd>
          <dt>Total paid</dt>
          <dd>
            <strong>{formatPrice(order.totalMinor)}</strong>
          </dd>
          {order.offer !== undefined ? (
            <>
              <dt>Offer code</dt>
              <dd>
                <code>{order.offer.code}</code>: {order.offer.label}
              </dd>
            </>
          ) : null}
          <dt>Payment</dt>
          <dd>{order.details.paymentMethod === 'card' ? `Card ending ${order.details.cardLast4}` : 'Invoice'}</dd>
        </dl>
      </section>
      <p>
        <Link className="button" href="/">
          Continue shopping
        </Link>
      </p>
      <TransactionTracker
        order={{
          orderId: order.id,
          revenue: toMajor(order.totalMinor),
          currency: CURRENCY,
          paymentMethod: order.details.paymentMethod,
          totalQuantity: order.lines.reduce((sum, line) => sum + line.quantity, 0),
          lines,
        }}
      />
    </>
  );
}
