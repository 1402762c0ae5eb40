import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

/**
 * The bare root layout: the document and the stylesheet, nothing of the shop. The shop's pages live in
 * the `(shop)` route group, whose layout adds the consent banner, the header, tracking and offers; the
 * ops pages (`ops/`) have their own layout without any of those, so an operator is neither asked for
 * consent nor tracked. Why a route group rather than one layout that skips its shop parts on /ops: a
 * layout cannot see the path without help, and the shop's providers would still run there. One root
 * layout (not one per group) keeps client navigation between the shop's pages and a single 404 root;
 * unmatched URLs reach the shop's 404 through `(shop)/[...missing]`.
 */
export const metadata: Metadata = {
  title: { default: 'Tandem Outfitters', template: '%s · Tandem Outfitters' },
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1, themeColor: '#12372a' };

export default function RootLayout({ children }: { readonly children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
