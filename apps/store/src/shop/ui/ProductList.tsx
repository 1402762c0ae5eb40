'use client';

import { useEffect } from 'react';
import type { Product } from '../../catalog/products';
import { toProductRef } from '../cart';
import { useTracking } from '../tracking-bridge';
import { ProductCard } from './ProductCard';

interface ProductListProps {
  /** The list's name in tracking (list_view / list_click `name`). */
  readonly listName: string;
  readonly title: string;
  readonly products: readonly Product[];
  /** Heading level of the title (default 2). */
  readonly level?: 2 | 3;
}

/** A titled grid of products; tracks its view (once per set of products) and each click. */
export function ProductList({ listName, title, products, level = 2 }: ProductListProps) {
  const tracking = useTracking();
  const key = products.map((product) => product.id).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `products` (a new array on every render).
  useEffect(() => {
    if (products.length > 0)
      tracking.listView(
        listName,
        products.map((product, index) => toProductRef(product, index + 1)),
      );
  }, [tracking, listName, key]);
  const headingId = `list-${listName.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <section aria-labelledby={headingId} className="product-list">
      <Heading id={headingId}>{title}</Heading>
      <ul className="grid">
        {products.map((product, index) => (
          <li key={product.id}>
            <ProductCard
              product={product}
              onClick={() => tracking.listClick(listName, toProductRef(product, index + 1))}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
