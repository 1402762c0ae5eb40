'use client';

import { useEffect } from 'react';
import type { ConfirmedOrder } from '../../tracking/shop-tracking';
import { useTracking } from '../tracking-bridge';

const SEEN_KEY = 'tandem.trackedOrders';

/**
 * Tracks the transaction the server confirmed, once per order in this tab session (a reload of the
 * confirmation page does not count it again; downstream dedupes by transaction id anyway).
 */
export function TransactionTracker({ order }: { readonly order: ConfirmedOrder }): null {
  const tracking = useTracking();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per order id.
  useEffect(() => {
    let seen: string[] = [];
    try {
      seen = JSON.parse(sessionStorage.getItem(SEEN_KEY) ?? '[]') as string[];
    } catch {
      // Storage unavailable or garbled: track anyway.
    }
    if (seen.includes(order.orderId)) return;
    tracking.transaction(order);
    try {
      sessionStorage.setItem(SEEN_KEY, JSON.stringify([...seen, order.orderId].slice(-20)));
    } catch {
      // Storage unavailable: nothing to remember it in.
    }
  }, [tracking, order.orderId]);
  return null;
}
