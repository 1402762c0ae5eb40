'use client';

import Link from 'next/link';
import { useEffect } from 'react';
import type { Promotion } from '../../tracking/shop-tracking';
import { useTracking } from '../tracking-bridge';

interface PromoBannerProps {
  readonly promotion: Promotion;
  readonly headline: string;
  readonly text: string;
  readonly href: string;
  readonly cta: string;
}

/** The home page's promotion: tracks its view and click. */
export function PromoBanner({ promotion, headline, text, href, cta }: PromoBannerProps) {
  const tracking = useTracking();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per promotion, not per render (router.refresh() passes a new object).
  useEffect(() => tracking.promoView(promotion), [tracking, promotion.id]);
  return (
    <section className="promo" aria-labelledby="promo-title">
      <h1 id="promo-title">{headline}</h1>
      <p>{text}</p>
      <Link className="button button-light" href={href} onClick={() => tracking.promoClick(promotion)}>
        {cta}
      </Link>
    </section>
  );
}
