'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { useTracking } from '../tracking-bridge';

/**
 * Tracks a page view on the first load and after every client-side navigation. The root layout
 * renders it before the page, so its effect runs before the page's own (React runs a commit's effects
 * in tree order): the page view comes first and gives the page's later events (list views, product
 * view, checkout step) their new `web_page` id. The title is left to the tracker (`document.title`
 * when it tracks), since Next may stream a dynamic page's <title> after this effect.
 */
export function PageViewTracker(): null {
  const tracking = useTracking();
  const pathname = usePathname();
  const search = useSearchParams().toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path or query (/search?q=a → ?q=b) is a new page view.
  useEffect(() => {
    tracking.pageView();
  }, [tracking, pathname, search]);
  return null;
}
