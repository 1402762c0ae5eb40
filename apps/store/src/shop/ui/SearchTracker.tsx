'use client';

import { useEffect } from 'react';
import { useTracking } from '../tracking-bridge';

/** Tracks a site search (terms as the shop split them, and how many products matched). */
export function SearchTracker({
  terms,
  resultCount,
}: {
  readonly terms: readonly string[];
  readonly resultCount: number;
}): null {
  const tracking = useTracking();
  const key = terms.join(' ');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `terms` (a new array on every render).
  useEffect(() => {
    if (terms.length > 0) tracking.siteSearch(terms, resultCount);
  }, [tracking, key, resultCount]);
  return null;
}
