import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { CATEGORIES } from '../../src/catalog/products';
import { ConsentBanner, PrivacyChoicesButton } from '../../src/consent/ConsentBanner';
import { ConsentProvider, WhenPersonalTrackingAllowed } from '../../src/consent/react';
import { currentConsent } from '../../src/consent/server';
import { currentCartView, currentTrackingConfig, currentUser } from '../../src/server/shopper';
import { TrackingProvider } from '../../src/shop/tracking-bridge';
import { FeatureDrawer } from '../../src/shop/ui/FeatureDrawer';
import { OffersRegion } from '../../src/shop/ui/Offers';
import { PageViewTracker } from '../../src/shop/ui/PageViewTracker';
import { SignOutButton } from '../../src/shop/ui/SignOutButton';

export const metadata: Metadata = {
  description: 'Outdoor and everyday gear: shoes, jackets, bags, watches and things for home.',
};

/** The shop's layout (inside the bare root layout, app/layout.tsx): consent, tracking, header, offers. */
export default async function ShopLayout({ children }: { readonly children: ReactNode }) {
  // Read per request: the tracking settings (collector under this origin, user id) are not baked in.
  const [config, cart, user, consent] = await Promise.all([
    currentTrackingConfig(),
    currentCartView(),
    currentUser(),
    currentConsent(),
  ]);
  // Consent first: tracking and the feature worker start only after a grant (src/consent/).
  return (
    <ConsentProvider initial={consent}>
      <TrackingProvider config={config}>
        {/* First in the tree, outside any Suspense boundary (those hydrate later): the page view is
              tracked before the page's own events (see PageViewTracker). Every route is dynamic (this
              layout reads cookies), so useSearchParams() needs no Suspense boundary here. */}
        <PageViewTracker />
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <ConsentBanner />
        <header className="site-header">
          <div className="bar">
            <Link href="/" className="logo">
              Tandem Outfitters
            </Link>
            <search className="site-search">
              <form action="/search" method="get">
                <label htmlFor="site-search-q" className="visually-hidden">
                  Search products
                </label>
                <input id="site-search-q" type="search" name="q" placeholder="Search products" autoComplete="off" />
                <button type="submit" className="button">
                  Search
                </button>
              </form>
            </search>
            <div className="account">
              {user ? (
                <>
                  <span className="signed-in">
                    Signed in as <strong>{user.name}</strong>
                  </span>
                  <SignOutButton />
                </>
              ) : (
                <Link href="/sign-in">Sign in</Link>
              )}
              <Link
                href="/cart"
                className="cart-link"
                aria-label={`Cart, ${cart.itemCount} ${cart.itemCount === 1 ? 'item' : 'items'}`}
              >
                Cart <span className="badge">{cart.itemCount}</span>
              </Link>
            </div>
          </div>
          <nav aria-label="Categories" className="categories">
            <ul>
              {CATEGORIES.map((category) => (
                <li key={category.id}>
                  <Link href={`/category/${category.id}`}>{category.name}</Link>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        {/* Offers from the shopper's own features (the feature worker's snapshot): in the flow here
              on narrow screens, a corner card on wide ones (globals.css). */}
        <OffersRegion holdout={config.holdout} />
        <main id="main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <p>Tandem Outfitters is a demo shop: no real orders, no real payments.</p>
          <PrivacyChoicesButton />
        </footer>
        {config.enabled ? (
          <WhenPersonalTrackingAllowed>
            <FeatureDrawer />
          </WhenPersonalTrackingAllowed>
        ) : null}
      </TrackingProvider>
    </ConsentProvider>
  );
}
