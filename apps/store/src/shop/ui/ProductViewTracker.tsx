'use client';

import { useEffect } from 'react';
import type { Product } from '../../catalog/products';
import { toProductRef } from '../cart';
import { useTracking } from '../tracking-bridge';

/** Tracks the view of a product page. */
export function ProductViewTracker({ product }: { readonly product: Product }): null {
  const tracking = useTracking();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per product, not per render (router.refresh() passes a new object).
  useEffect(() => tracking.productView(toProductRef(product)), [tracking, product.id]);
  return null;
}
