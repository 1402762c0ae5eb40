import { describe, expect, it } from 'vitest';
import {
  consentSettingsFor,
  decodeConsent,
  encodeConsent,
  isBannerDue,
  isSnowplowCookie,
  isSnowplowStorageKey,
  isTrackingAllowed,
  parseChoice,
} from './model';

describe('the stored choice', () => {
  it('round-trips both choices through the cookie value', () => {
    expect(decodeConsent(encodeConsent('granted'))).toBe('granted');
    expect(decodeConsent(encodeConsent('denied'))).toBe('denied');
    expect(encodeConsent('granted')).toBe('1.granted');
  });

  it('reads a missing, malformed or other-version value as undecided, so the shopper is asked again', () => {
    for (const value of [undefined, null, '', 'granted', '1.yes', '2.granted', '1.granted.x', '01.granted']) {
      expect(decodeConsent(value), String(value)).toBeNull();
    }
  });
});

describe('the page’s choice', () => {
  it('accepts exactly granted or denied', () => {
    expect(parseChoice({ choice: 'granted' })).toBe('granted');
    expect(parseChoice({ choice: 'denied' })).toBe('denied');
    for (const body of [null, undefined, {}, { choice: 'GRANTED' }, { choice: true }, 'granted', []]) {
      expect(parseChoice(body)).toBeNull();
    }
  });
});

describe('what a choice allows', () => {
  it('tracks only after a grant: undecided and declined allow nothing', () => {
    expect(isTrackingAllowed('granted')).toBe(true);
    expect(isTrackingAllowed('denied')).toBe(false);
    expect(isTrackingAllowed(null)).toBe(false);
  });

  it('shows the banner while undecided, and never when a consent platform asks instead', () => {
    expect(isBannerDue({ askWithBanner: true, choice: null })).toBe(true);
    expect(isBannerDue({ askWithBanner: true, choice: 'denied' })).toBe(false);
    expect(isBannerDue({ askWithBanner: true, choice: 'granted' })).toBe(false);
    expect(isBannerDue({ askWithBanner: false, choice: null })).toBe(false);
  });
});

describe('CONSENT_REQUIRED', () => {
  it('asks with the banner by default and for any value but an explicit no', () => {
    expect(consentSettingsFor({}).askWithBanner).toBe(true);
    for (const value of ['true', '1', 'yes', 'ture', '', ' ']) {
      expect(consentSettingsFor({ CONSENT_REQUIRED: value }).askWithBanner, value).toBe(true);
    }
  });

  it('leaves the asking to a consent platform for false, 0, no or off', () => {
    for (const value of ['false', 'FALSE', ' 0 ', 'no', 'off']) {
      expect(consentSettingsFor({ CONSENT_REQUIRED: value }).askWithBanner, value).toBe(false);
    }
  });
});

describe('what a withdrawal deletes', () => {
  it('names the tracker’s and the collector’s cookies, and no other', () => {
    for (const name of ['sp', '_sp_id.1fff', '_sp_ses.1fff']) expect(isSnowplowCookie(name), name).toBe(true);
    for (const name of ['tandem_cart', 'tandem_session', 'tandem_consent', 'spx', '_sp_idx', '_sp_root_domain_test_']) {
      expect(isSnowplowCookie(name), name).toBe(false);
    }
  });

  it('names the tracker’s storage keys', () => {
    expect(isSnowplowStorageKey('snowplowOutQueue_tandem-1_post2')).toBe(true);
    expect(isSnowplowStorageKey('_sp_tab_id')).toBe(true);
    expect(isSnowplowStorageKey('tandem-offer-codes')).toBe(false);
  });
});
