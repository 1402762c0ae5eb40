/**
 * The one place the shop's pages get tracking from: the tracking layer's React bindings
 * (`TrackingProvider({ config, children })`, `useTracking(): ShopTracking`, per
 * `../tracking/shop-tracking.ts`). Pages import this module, never the tracker, so the tracking
 * layer can change behind it.
 */
export { TrackingProvider, useTracking } from '../tracking/react';
