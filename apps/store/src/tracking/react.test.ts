import { describe, expect, it } from 'vitest';
import { createDeferredTracking } from './react.js';
import type { ShopTracking } from './shop-tracking.js';
import { DISABLED_TRACKING } from './tracker.js';

describe('deferred tracking (calls before the tracker exists)', () => {
  it('queues calls made before attach and replays them in order, then forwards directly', () => {
    const deferred = createDeferredTracking();
    deferred.pageView('Home');
    deferred.signIn('shopper-1');
    const calls: string[] = [];
    const target: ShopTracking = {
      ...DISABLED_TRACKING,
      pageView: (title) => calls.push(`pageView:${title}`),
      signIn: (userId) => calls.push(`signIn:${userId}`),
      siteSearch: (terms, count) => calls.push(`siteSearch:${terms.join('+')}:${count}`),
    };
    expect(calls).toEqual([]);
    deferred.attach(target);
    expect(calls).toEqual(['pageView:Home', 'signIn:shopper-1']);
    deferred.siteSearch(['trail', 'shoes'], 3);
    expect(calls.at(-1)).toBe('siteSearch:trail+shoes:3');
  });

  it('the disabled tracking does nothing and never throws', () => {
    const deferred = createDeferredTracking();
    deferred.attach(DISABLED_TRACKING);
    expect(() =>
      deferred.productView({ id: 'a', name: 'A', category: 'c', brand: 'b', price: 1, currency: 'USD' }),
    ).not.toThrow();
  });
});

describe('deferred tracking while the shopper has not consented', () => {
  const recorder = () => {
    const calls: string[] = [];
    const target: ShopTracking = {
      ...DISABLED_TRACKING,
      pageView: (title) => calls.push(`pageView:${title}`),
      promoView: (promo) => calls.push(`promoView:${promo.id}`),
      siteSearch: (terms) => calls.push(`siteSearch:${terms.join('+')}`),
    };
    return { calls, target };
  };

  it('keeps only the current page’s calls: a page view starts the queue over', () => {
    const deferred = createDeferredTracking();
    deferred.pageView('Home');
    deferred.promoView({ id: 'summer', name: 'Summer' });
    deferred.pageView('Search');
    deferred.siteSearch(['boots'], 2);
    const { calls, target } = recorder();
    deferred.attach(target);
    expect(calls).toEqual(['pageView:Search', 'siteSearch:boots']);
  });

  it('keeps at most 100 calls of one page, the newest', () => {
    const deferred = createDeferredTracking();
    deferred.pageView('Home');
    for (let i = 0; i < 150; i++) deferred.siteSearch([`q${i}`], 0);
    const { calls, target } = recorder();
    deferred.attach(target);
    expect(calls).toHaveLength(100);
    expect(calls.at(-1)).toBe('siteSearch:q149');
  });

  it('after pause (anonymous statistics declined on the page) queues again, and a later attach gets the current page', () => {
    const deferred = createDeferredTracking();
    const first = recorder();
    deferred.attach(first.target);
    deferred.pageView('Home');
    deferred.pause();
    deferred.pageView('Search');
    deferred.siteSearch(['boots'], 2);
    deferred.pageView('Cart');
    expect(first.calls).toEqual(['pageView:Home']);
    const second = recorder();
    deferred.attach(second.target);
    expect(second.calls).toEqual(['pageView:Cart']);
    deferred.promoView({ id: 'summer', name: 'Summer' });
    expect(second.calls).toEqual(['pageView:Cart', 'promoView:summer']);
    expect(first.calls).toEqual(['pageView:Home']);
  });

  it('after detach (consent withdrawn) forwards nothing, queued or new, and cannot be attached again', () => {
    const deferred = createDeferredTracking();
    const { calls, target } = recorder();
    deferred.attach(target);
    deferred.pageView('Home');
    deferred.detach();
    deferred.pageView('Cart');
    deferred.attach(target);
    deferred.pageView('Checkout');
    expect(calls).toEqual(['pageView:Home']);
  });
});
