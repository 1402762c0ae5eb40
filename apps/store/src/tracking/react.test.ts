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
