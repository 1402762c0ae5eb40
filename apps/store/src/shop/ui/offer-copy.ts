/**
 * What an offer card says for each offer kind. Pure data: the card renders it, the tests read it.
 * Kinds come from the worker's snapshot, which may be newer than this page's code (a deploy between
 * a worker start and a page load): an unknown kind gets neutral copy and no redeem button.
 */
import type { OfferKind } from '@tandem/feature-core';

export interface OfferCopy {
  /** The card's heading; also the dismiss button's accessible name ("Dismiss offer: …"). */
  readonly heading: string;
  readonly body: string;
  /** What the card's main button does: start the demo chat, ask for a code, or nothing. */
  readonly action: 'chat' | 'redeem' | 'none';
  /** The main button's label (empty when `action` is `none`). */
  readonly actionLabel: string;
}

const COPY: Record<OfferKind, OfferCopy> = {
  live_chat: {
    heading: 'Need a hand with your cart?',
    body: 'Chat with us: we can help with sizes, delivery or anything else before you order.',
    action: 'chat',
    actionLabel: 'Start chat',
  },
  discount: {
    heading: '10% off your order',
    body: 'Still deciding? Take 10% off everything in this order.',
    action: 'redeem',
    actionLabel: 'Get my code',
  },
  free_shipping: {
    heading: 'Free delivery on this order',
    body: 'Keep what you like in your cart: delivery on this order is on us.',
    action: 'redeem',
    actionLabel: 'Get my code',
  },
};

const UNKNOWN: OfferCopy = {
  heading: 'An offer for you',
  body: 'We have something for you in this session.',
  action: 'none',
  actionLabel: '',
};

/** Whether `kind` is an offer kind this page knows how to show. */
export function isKnownOfferKind(kind: string): kind is OfferKind {
  return Object.hasOwn(COPY, kind);
}

/** The card copy for an offer kind; neutral copy (no action) for a kind this page does not know. */
export function offerCopy(kind: string): OfferCopy {
  return isKnownOfferKind(kind) ? COPY[kind] : UNKNOWN;
}

/** The dismiss button's accessible name. */
export function dismissLabel(kind: string): string {
  return `Dismiss offer: ${offerCopy(kind).heading}`;
}

/** Which offers were already announced: one key per session and rule. */
export function announcementKey(offer: { readonly sessionKey: string; readonly ruleId: string }): string {
  return `${offer.sessionKey}:${offer.ruleId}`;
}

/**
 * What the offers' live region says for the offers not announced yet (empty when none), and the keys
 * to remember, so each offer is announced once (not again on the next page or after a reload).
 */
export function newOfferAnnouncement(
  offers: readonly { readonly sessionKey: string; readonly ruleId: string; readonly offer: string }[],
  announced: ReadonlySet<string>,
): { text: string; keys: string[] } {
  const fresh = offers.filter((offer) => !announced.has(announcementKey(offer)));
  return {
    text: fresh.map((offer) => `New offer: ${offerCopy(offer.offer).heading}`).join('. '),
    keys: fresh.map(announcementKey),
  };
}
