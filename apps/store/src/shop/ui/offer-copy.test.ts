import { describe, expect, it } from 'vitest';
import { announcementKey, dismissLabel, isKnownOfferKind, newOfferAnnouncement, offerCopy } from './offer-copy';

describe('offer copy', () => {
  it('offers a chat for live_chat and a code for the redeemable kinds', () => {
    expect(offerCopy('live_chat')).toMatchObject({ heading: 'Need a hand with your cart?', action: 'chat' });
    expect(offerCopy('live_chat').actionLabel).toBe('Start chat');
    expect(offerCopy('discount')).toMatchObject({ heading: '10% off your order', action: 'redeem' });
    expect(offerCopy('free_shipping')).toMatchObject({ heading: 'Free delivery on this order', action: 'redeem' });
    expect(offerCopy('discount').actionLabel).toBe('Get my code');
  });

  it('gives an unknown kind neutral copy and no action', () => {
    expect(isKnownOfferKind('gift_wrap')).toBe(false);
    expect(isKnownOfferKind('toString')).toBe(false);
    expect(offerCopy('gift_wrap')).toMatchObject({ heading: 'An offer for you', action: 'none', actionLabel: '' });
  });

  it('names the dismiss button after the card', () => {
    expect(dismissLabel('discount')).toBe('Dismiss offer: 10% off your order');
    expect(dismissLabel('live_chat')).toBe('Dismiss offer: Need a hand with your cart?');
  });
});

describe('offer announcements', () => {
  const discount = { sessionKey: 's1', ruleId: 'price_sensitive_browser', offer: 'discount' };
  const chat = { sessionKey: 's1', ruleId: 'stalled_high_value_cart', offer: 'live_chat' };

  it('announces each offer once per session', () => {
    expect(newOfferAnnouncement([discount], new Set())).toEqual({
      text: 'New offer: 10% off your order',
      keys: ['s1:price_sensitive_browser'],
    });
    const announced = new Set([announcementKey(discount)]);
    expect(newOfferAnnouncement([discount, chat], announced)).toEqual({
      text: 'New offer: Need a hand with your cart?',
      keys: ['s1:stalled_high_value_cart'],
    });
    expect(newOfferAnnouncement([discount], announced)).toEqual({ text: '', keys: [] });
    // A new session may show the same rule again, and announces it again.
    expect(newOfferAnnouncement([{ ...discount, sessionKey: 's2' }], announced).keys).toEqual([
      's2:price_sensitive_browser',
    ]);
  });
});
