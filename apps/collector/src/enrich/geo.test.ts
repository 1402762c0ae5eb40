import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createRangeTableLookup,
  geoFromCityResponse,
  loadGeoLookup,
  loadRangeTable,
  trustedProxyClientIp,
} from './geo.js';

const DEMO = fileURLToPath(new URL('../../geo/demo-ranges.csv', import.meta.url));

describe('range table lookup', () => {
  it('locates the demo ranges', async () => {
    const geo = await loadRangeTable(DEMO);
    expect(geo.lookup('127.0.0.1')).toMatchObject({ country: 'NL', region: 'NH', city: 'Amsterdam' });
    expect(geo.lookup('::ffff:127.0.0.1')?.country).toBe('NL');
    expect(geo.lookup('192.0.2.200')).toEqual({
      country: 'US',
      region: 'CA',
      city: 'San Francisco',
      zipcode: '94103',
      latitude: 37.7749,
      longitude: -122.4194,
      regionName: 'California',
      timezone: 'America/Los_Angeles',
    });
    expect(geo.lookup('198.51.100.0')?.country).toBe('DE');
    expect(geo.lookup('203.0.113.255')).toMatchObject({ country: 'GB', region: 'ENG' });
    expect(geo.lookup('203.0.114.0')).toBeNull();
    expect(geo.lookup('8.8.8.8')).toBeNull();
    expect(geo.lookup('2001:db8::1')).toBeNull();
    expect(geo.lookup('not an ip')).toBeNull();
  });

  it('reads start_ip,end_ip tables, quoted cells and blank optional columns', () => {
    const geo = createRangeTableLookup(
      '# comment\nstart_ip,end_ip,country,city\n10.0.0.5,10.0.0.9,FR,"Paris, 1er"\n10.0.1.0,10.0.1.0,BE,\n',
    );
    expect(geo.lookup('10.0.0.4')).toBeNull();
    expect(geo.lookup('10.0.0.5')).toMatchObject({ country: 'FR', city: 'Paris, 1er', region: null, latitude: null });
    expect(geo.lookup('10.0.0.9')?.country).toBe('FR');
    expect(geo.lookup('10.0.0.10')).toBeNull();
    expect(geo.lookup('10.0.1.0')).toMatchObject({ country: 'BE', city: null });
  });

  it('rejects malformed tables', () => {
    expect(() => createRangeTableLookup('')).toThrow();
    expect(() => createRangeTableLookup('network,city\n10.0.0.0/8,X')).toThrow(/country/);
    expect(() => createRangeTableLookup('network,country\n10.0.0.0/33,NL')).toThrow(/range/);
    expect(() => createRangeTableLookup('network,country\n10.0.0.0/8,NL\n10.1.0.0/16,BE')).toThrow(/overlap/);
    expect(() => createRangeTableLookup('network,country,latitude\n10.0.0.0/8,NL,north')).toThrow(/latitude/);
  });
});

describe('MaxMind records', () => {
  it('map City fields to the geo result', () => {
    expect(
      geoFromCityResponse({
        country: { iso_code: 'NL', geoname_id: 1, names: { en: 'Netherlands' } },
        subdivisions: [{ iso_code: 'NH', geoname_id: 2, names: { en: 'North Holland' } }],
        city: { geoname_id: 3, names: { en: 'Amsterdam' } },
        postal: { code: '1012' },
        location: { latitude: 52.37, longitude: 4.89, accuracy_radius: 5, time_zone: 'Europe/Amsterdam' },
      } as never),
    ).toEqual({
      country: 'NL',
      region: 'NH',
      city: 'Amsterdam',
      zipcode: '1012',
      latitude: 52.37,
      longitude: 4.89,
      regionName: 'North Holland',
      timezone: 'Europe/Amsterdam',
    });
    expect(geoFromCityResponse(null)).toBeNull();
    expect(geoFromCityResponse({} as never)).toBeNull();
  });

  it('picks the source from GEO_DATABASE', async () => {
    expect(await loadGeoLookup(undefined)).toBeNull();
    expect(await loadGeoLookup('')).toBeNull();
    expect((await loadGeoLookup(DEMO))?.lookup('192.0.2.1')?.country).toBe('US');
    await expect(loadGeoLookup('/tmp/geo.txt')).rejects.toThrow(/mmdb or \.csv/);
    await expect(loadGeoLookup('/nonexistent/GeoLite2-City.mmdb')).rejects.toThrow();
  });
});

describe('trustedProxyClientIp', () => {
  const trusted = ['127.0.0.1', '10.0.0.0/8'];

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(trustedProxyClientIp('198.51.100.7', '192.0.2.1', trusted)).toBe('198.51.100.7');
    expect(trustedProxyClientIp('::ffff:198.51.100.7', '192.0.2.1', trusted)).toBe('198.51.100.7');
  });

  it('takes the rightmost untrusted hop behind trusted proxies', () => {
    expect(trustedProxyClientIp('127.0.0.1', '192.0.2.1', trusted)).toBe('192.0.2.1');
    // The client forged the first hop; the proxies appended the real one.
    expect(trustedProxyClientIp('10.1.2.3', '203.0.113.9, 192.0.2.1, 10.0.0.2', trusted)).toBe('192.0.2.1');
    expect(trustedProxyClientIp('10.1.2.3', ['203.0.113.9', '192.0.2.1'], trusted)).toBe('192.0.2.1');
  });

  it('falls back sensibly', () => {
    expect(trustedProxyClientIp('127.0.0.1', null, trusted)).toBe('127.0.0.1');
    expect(trustedProxyClientIp('127.0.0.1', 'garbage', trusted)).toBe('127.0.0.1');
    expect(trustedProxyClientIp('127.0.0.1', '10.0.0.1, 10.0.0.2', trusted)).toBe('10.0.0.1');
    expect(trustedProxyClientIp(undefined, '192.0.2.1', trusted)).toBeNull();
    expect(trustedProxyClientIp('127.0.0.1', '192.0.2.1', [])).toBe('127.0.0.1');
  });
});
