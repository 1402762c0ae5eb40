import { describe, expect, it } from 'vitest';
import { consentCookies } from './set-cookies';

describe('consentCookies', () => {
  it('stores a grant for 180 days, first-party, and deletes nothing', () => {
    expect(consentCookies('granted', ['sp', '_sp_id.1fff', 'tandem_cart'], false)).toEqual([
      'tandem_consent=1.granted; Path=/; Max-Age=15552000; SameSite=Lax',
    ]);
  });

  it('marks the consent cookie Secure behind https', () => {
    expect(consentCookies('granted', [], true)[0]).toMatch(/; Secure$/);
  });

  it('expires the Snowplow cookies on a move to anonymous statistics too: they hold the ids it must not carry', () => {
    const set = consentCookies('anonymous', ['sp', '_sp_id.1fff', 'tandem_cart'], true);
    expect(set).toEqual([
      'tandem_consent=1.anonymous; Path=/; Max-Age=15552000; SameSite=Lax; Secure',
      'sp=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=None; Secure; HttpOnly',
      '_sp_id.1fff=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax; Secure',
    ]);
  });

  it('expires every Snowplow cookie the request carried on a decline, with the attributes they were set with', () => {
    const set = consentCookies('denied', ['tandem_cart', 'sp', '_sp_id.1fff', '_sp_ses.1fff', 'sp'], false);
    expect(set[0]).toBe('tandem_consent=1.denied; Path=/; Max-Age=15552000; SameSite=Lax');
    expect(set.slice(1)).toEqual([
      'sp=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=None; Secure; HttpOnly',
      '_sp_id.1fff=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax; Secure',
      '_sp_ses.1fff=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax; Secure',
    ]);
  });
});
