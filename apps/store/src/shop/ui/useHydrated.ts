import { useEffect, useState } from 'react';

/**
 * False during server rendering and until React has hydrated this component, then true. Controls
 * that work only with JavaScript are disabled until then, so an early click is not lost to (or
 * misread as) a plain form submission.
 */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
