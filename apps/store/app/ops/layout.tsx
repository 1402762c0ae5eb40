import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';

export const metadata: Metadata = {
  title: { default: 'Tandem ops', template: '%s · Tandem ops' },
  robots: { index: false, follow: false },
};

/**
 * The ops pages' layout: not the shop's (app/(shop)/layout.tsx). No consent banner, no shop header, no
 * tracker and no feature worker: an operator is not a shopper, and nothing here is tracked.
 */
export default function OpsLayout({ children }: { readonly children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="bar">
          <Link href="/ops/drift" className="logo">
            Tandem ops
          </Link>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
