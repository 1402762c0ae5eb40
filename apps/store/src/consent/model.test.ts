import { describe, expect, it } from 'vitest';
import {
  CONSENT_CHOICES,
  consentChange,
  consentSettingsFor,
  decodeConsent,
  encodeConsent,
  isBannerDue,
  isConsentChoice,
  isPersonalTrackingAllowed,
  isSnowplowCookie,
  isSnowplowStorageKey,
  type PageTrackingState,
  parseChoice,
  trackingModeFor,
} from './model';

describe('the stored choice', () => {
  it('round-trips every choice through the cookie value', () => {
    for (const choice of CONSENT_CHOICES) expect(decodeConsent(encodeConsent(choice))).toBe(choice);
    expect(encodeConsent('granted')).toBe('1.granted');
    expect(encodeConsent('anonymous')).toBe('1.anonymous');
  });

  it('reads a missing, malformed or other-version value as undecided, so the shopper is asked again', () => {
    const values = [
      undefined,
      null,
      '',
      'granted',
      '1.yes',
      '2.granted',
      '1.granted.x',
      '01.granted',
      '1.anon',
      '2.anonymous',
    ];
    for (const value of values) {
      expect(decodeConsent(value), String(value)).toBeNull();
    }
  });
});

describe('the page’s choice', () => {
  it('accepts exactly granted, anonymous or denied', () => {
    for (const choice of CONSENT_CHOICES) {
      expect(parseChoice({ choice })).toBe(choice);
      expect(isConsentChoice(choice)).toBe(true);
    }
    for (const body of [
      null,
      undefined,
      {},
      { choice: 'GRANTED' },
      { choice: 'Anonymous' },
      { choice: true },
      'granted',
      [],
    ]) {
      expect(parseChoice(body)).toBeNull();
    }
    for (const value of [null, undefined, '', 'anon', ' granted', 1, {}]) expect(isConsentChoice(value)).toBe(false);
  });
});

describe('what a choice allows', () => {
  it('tracks with ids only after a grant, anonymously after anonymous, and not at all when declined or undecided', () => {
    expect(trackingModeFor('granted')).toBe('full');
    expect(trackingModeFor('anonymous')).toBe('anonymous');
    expect(trackingModeFor('denied')).toBe('off');
    expect(trackingModeFor(null)).toBe('off');
    expect(isPersonalTrackingAllowed('granted')).toBe(true);
    for (const choice of ['anonymous', 'denied', null] as const) expect(isPersonalTrackingAllowed(choice)).toBe(false);
  });

  it('shows the banner while undecided, and never when a consent platform asks instead', () => {
    expect(isBannerDue({ askWithBanner: true, choice: null })).toBe(true);
    for (const choice of CONSENT_CHOICES) expect(isBannerDue({ askWithBanner: true, choice }), choice).toBe(false);
    expect(isBannerDue({ askWithBanner: false, choice: null })).toBe(false);
  });
});

describe('what a change of choice does on an open page', () => {
  const fresh: PageTrackingState = { mode: 'off', workerStarted: false };
  const anonymous: PageTrackingState = { mode: 'anonymous', workerStarted: false };
  const full: PageTrackingState = { mode: 'full', workerStarted: true };
  const fullWithoutWorker: PageTrackingState = { mode: 'full', workerStarted: false };

  it('leaves an undecided page alone: nothing runs, nothing to delete', () => {
    expect(consentChange(fresh, null)).toEqual({ mode: 'off', erase: false, reload: false });
  });

  it('grants in place, from nothing or from anonymous statistics: the tracker leaves its anonymous mode, no reload', () => {
    expect(consentChange(fresh, 'granted')).toEqual({ mode: 'full', erase: false, reload: false });
    expect(consentChange(anonymous, 'granted')).toEqual({ mode: 'full', erase: false, reload: false });
  });

  it('deletes what full consent stored on every anonymous or declining page load', () => {
    expect(consentChange(fresh, 'anonymous')).toEqual({ mode: 'anonymous', erase: true, reload: false });
    expect(consentChange(fresh, 'denied')).toEqual({ mode: 'off', erase: true, reload: false });
  });

  it('reloads after deleting only when the feature worker ran here (it may hold the shopper in memory)', () => {
    expect(consentChange(full, 'anonymous')).toEqual({ mode: 'anonymous', erase: true, reload: true });
    expect(consentChange(full, 'denied')).toEqual({ mode: 'off', erase: true, reload: true });
    expect(consentChange(fullWithoutWorker, 'anonymous')).toEqual({ mode: 'anonymous', erase: true, reload: false });
    expect(consentChange(anonymous, 'denied')).toEqual({ mode: 'off', erase: true, reload: false });
  });

  it('never reloads a page that keeps or gains consent', () => {
    for (const page of [fresh, anonymous, full, fullWithoutWorker]) {
      expect(consentChange(page, 'granted').reload, page.mode).toBe(false);
      expect(consentChange(page, null).reload, page.mode).toBe(false);
    }
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

describe('what a withdrawal (or anonymous statistics) deletes', () => {
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
