/**
 * React bindings of the feature worker: live values and offers for components. The values come from
 * the worker's pushed snapshots; the main thread does no feature math.
 */
'use client';

import { createContext, createElement, type ReactNode, useCallback, useContext, useSyncExternalStore } from 'react';
import type { FeatureClient } from './client.js';
import type { ActiveOffer, FeatureSnapshot } from './feature-state.js';

const FeatureClientContext = createContext<FeatureClient | null>(null);

/** Provides the tab's feature client (TrackingProvider does this for the shop). */
export function FeaturesProvider({ client, children }: { client: FeatureClient | null; children?: ReactNode }) {
  return createElement(FeatureClientContext.Provider, { value: client }, children);
}

const NO_SUBSCRIPTION = () => () => {};
const NOTHING = () => null;

export interface Features {
  /** The latest snapshot; null before the worker answered, on the server, or with tracking off. */
  readonly snapshot: FeatureSnapshot | null;
  readonly values: Readonly<Record<string, string>>;
  readonly offers: readonly ActiveOffer[];
  /** Hides an offer for the rest of the session (persisted by the worker). */
  dismiss(ruleId: string): void;
}

const EMPTY_VALUES: Readonly<Record<string, string>> = Object.freeze({});
const NO_OFFERS: readonly ActiveOffer[] = Object.freeze([]);

/** Live feature values and offer state of the shopper. */
export function useFeatures(): Features {
  const client = useContext(FeatureClientContext);
  const subscribe = useCallback(
    (onChange: () => void) => (client === null ? () => {} : client.subscribe(onChange)),
    [client],
  );
  const snapshot = useSyncExternalStore(
    client === null ? NO_SUBSCRIPTION : subscribe,
    client === null ? NOTHING : client.latest,
    NOTHING,
  );
  const dismiss = useCallback((ruleId: string) => client?.dismiss(ruleId), [client]);
  return {
    snapshot,
    values: snapshot?.values ?? EMPTY_VALUES,
    offers: snapshot?.offers ?? NO_OFFERS,
    dismiss,
  };
}

/** The offers to show now (fired this session, not dismissed) and how to dismiss one. */
export function useOffers(): { offers: readonly ActiveOffer[]; dismiss(ruleId: string): void } {
  const { offers, dismiss } = useFeatures();
  return { offers, dismiss };
}
