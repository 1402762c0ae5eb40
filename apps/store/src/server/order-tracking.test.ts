import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../catalog/products';
import { cartView } from '../shop/cart';
import { validateCheckout } from '../shop/checkout';
import { ECOMMERCE_ACTION_SCHEMA, PRODUCT_SCHEMA, TRANSACTION_SCHEMA, trackConfirmedOrder } from './order-tracking';
import { parseSpIdCookie } from './snowplow-cookies';
import type { Order } from './state';

/** A stand-in for the collector: records every POSTed tp2 event. */
let server: Server;
let collectorUrl: string;
let received: Record<string, string>[] = [];
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/com.snowplowanalytics.snowplow/tp2') {
        const parsed = JSON.parse(body) as { data: Record<string, string>[] };
        received.push(...parsed.data);
      }
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  answer = 200;
});

function sampleOrder(): Order {
  const [a, b] = PRODUCTS;
  if (a === undefined || b === undefined) throw new Error('catalogue is empty');
  const checked = validateCheckout({
    address: {
      name: 'Ada Lovelace',
      street: '1 Main St',
      postcode: 'D01',
      city: 'Dublin',
      country: 'Ireland',
      email: 'ada@example.com',
    },
    delivery: 'pickup',
    payment: { method: 'invoice' },
  });
  if (!checked.ok) throw new Error('checkout fixture invalid');
  const view = cartView(
    {
      id: 'c1',
      items: [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 1 },
      ],
    },
    (id) => PRODUCTS.find((p) => p.id === id),
  );
  return {
    id: 'TS-20261128-0000ABCD',
    cartId: 'c1',
    userId: 'u-ada',
    createdAtMs: 1_764_300_000_000,
    lines: view.lines,
    subtotalMinor: view.totalMinor,
    deliveryMinor: 0,
    discountMinor: 0,
    totalMinor: view.totalMinor,
    details: checked.value,
  };
}

describe('trackConfirmedOrder', () => {
  it('posts the ecommerce transaction with the order id, the shopper ids and a true timestamp', async () => {
    const order = sampleOrder();
    const ids = parseSpIdCookie(
      '0b6d2b4e-6b3c-4a36-9d0e-0f4a3b2c1d00.1764300000.3.1764300100.1764200000.5e1d0c2b-1111-4222-8333-944445555666.x.y.1764300000000.7',
    );
    const logs: string[] = [];
    await trackConfirmedOrder(
      order,
      { userId: 'u-ada', domainUserId: ids?.domainUserId ?? null, sessionId: ids?.sessionId ?? null },
      { env: { COLLECTOR_URL: collectorUrl }, log: (line) => logs.push(line) },
    );
    expect(logs).toEqual([]);
    expect(received).toHaveLength(1);
    const event = received[0] ?? {};
    expect(event.e).toBe('ue');
    expect(event.uid).toBe('u-ada');
    expect(event.duid).toBe('0b6d2b4e-6b3c-4a36-9d0e-0f4a3b2c1d00');
    expect(event.sid).toBe('5e1d0c2b-1111-4222-8333-944445555666');
    expect(event.ttm).toBe(String(order.createdAtMs));
    expect(event.aid).toBe('tandem-store');
    const ue = JSON.parse(event.ue_pr ?? '{}') as { data: { schema: string; data: { type: string } } };
    expect(ue.data).toEqual({ schema: ECOMMERCE_ACTION_SCHEMA, data: { type: 'transaction' } });
    const contexts = (JSON.parse(event.co ?? '{}') as { data: { schema: string; data: Record<string, unknown> }[] })
      .data;
    const transaction = contexts.find((c) => c.schema === TRANSACTION_SCHEMA);
    expect(transaction?.data).toMatchObject({
      transaction_id: order.id,
      revenue: order.totalMinor / 100,
      currency: 'EUR',
      payment_method: 'invoice',
      total_quantity: 3,
    });
    expect(contexts.filter((c) => c.schema === PRODUCT_SCHEMA).map((c) => c.data.quantity)).toEqual([2, 1]);
  });

  it('never throws: a collector error or an unreachable collector is logged', async () => {
    answer = 500;
    const logs: string[] = [];
    const order = sampleOrder();
    const shopper = { userId: null, domainUserId: null, sessionId: null };
    await trackConfirmedOrder(order, shopper, { env: { COLLECTOR_URL: collectorUrl }, log: (l) => logs.push(l) });
    expect(logs.join('\n')).toContain(order.id);
    logs.length = 0;
    await trackConfirmedOrder(order, shopper, {
      env: { COLLECTOR_URL: 'http://127.0.0.1:1' },
      log: (l) => logs.push(l),
    });
    expect(logs.join('\n')).toContain('not tracked');
  });

  it('sends nothing with TRACKING=off', async () => {
    await trackConfirmedOrder(
      sampleOrder(),
      { userId: null, domainUserId: null, sessionId: null },
      {
        env: { COLLECTOR_URL: collectorUrl, TRACKING: 'off' },
      },
    );
    expect(received).toEqual([]);
  });
});
