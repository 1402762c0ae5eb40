'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { useTracking } from '../tracking-bridge';

/** Tracks a page view on the first load and after every client-side navigation. */
export function PageViewTracker(): null {
  const tracking = useTracking();
  const pathname = usePathname();
  const search = useSearchParams().toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path or query (/search?q=a → ?q=b) is a new page view.
  useEffect(() => {
    // The new page's <title> is in place after this commit; read it on the next task.
    const timer = setTimeout(() => tracking.pageView(document.title), 0);
    return () => clearTimeout(timer);
  }, [tracking, pathname, search]);
  return null;
}
