/**
 * Geolocation for the enrich step, behind one small interface (`GeoLookup`) so the source is
 * pluggable: a MaxMind-format City database (`.mmdb`, read with the `maxmind` package) or an IP-range
 * table in CSV made in the repo (`geo/demo-ranges.csv`). `loadGeoLookup` picks one from `GEO_DATABASE`.
 *
 * Also here: `trustedProxyClientIp`, which decides which address is the client's when the collector
 * sits behind a reverse proxy.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import maxmind, { type CityResponse } from 'maxmind';

/** What the enrich step writes into the geo_* fields. */
export interface GeoResult {
  /** ISO 3166-1 alpha-2 country code (geo_country). */
  country: string;
  /** Subdivision code, e.g. `NH` or `CA` (geo_region). */
  region: string | null;
  city: string | null;
  zipcode: string | null;
  latitude: number | null;
  longitude: number | null;
  /** Subdivision name, e.g. `North Holland` (geo_region_name). */
  regionName: string | null;
  /** IANA time zone (geo_timezone). */
  timezone: string | null;
}

export interface GeoLookup {
  /** The location of an IP address (IPv4, IPv6 or IPv4-mapped IPv6); null when unknown. Never throws. */
  lookup(ip: string): GeoResult | null;
}

// ---------------------------------------------------------------------------------------------
// IPv4 helpers

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged (trimmed). */
export function normalizeIp(ip: string): string {
  const trimmed = ip.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped?.[1] ?? trimmed;
}

/** An IPv4 address as an unsigned 32-bit number; null when not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number | null {
  const text = normalizeIp(ip);
  if (!isIPv4(text)) return null;
  let value = 0;
  for (const part of text.split('.')) value = value * 256 + Number(part);
  return value;
}

interface Ipv4Range {
  start: number;
  end: number;
}

/** `10.0.0.0/8` → its first and last address; null when malformed. */
export function parseCidr(cidr: string): Ipv4Range | null {
  const [address, bitsText, ...rest] = cidr.trim().split('/');
  if (address === undefined || rest.length > 0) return null;
  const base = ipv4ToNumber(address);
  if (base === null) return null;
  const bits = bitsText === undefined ? 32 : /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : -1;
  if (bits < 0 || bits > 32) return null;
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return { start, end: start + size - 1 };
}

// ---------------------------------------------------------------------------------------------
// IP-range table (CSV)

/** Splits one CSV line; double-quoted fields may hold commas and `""` escapes. */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

interface RangeRow extends Ipv4Range {
  geo: GeoResult;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A lookup over an IPv4 range table in CSV. Lines starting with `#` and blank lines are ignored. The
 * first other line is the header; it names the columns, in any order:
 *
 * - the range: either `network` (CIDR, e.g. `192.0.2.0/24`) or `start_ip` + `end_ip` (inclusive);
 * - `country` (required), and optionally `region`, `city`, `zipcode`, `latitude`, `longitude`,
 *   `region_name`, `timezone`.
 *
 * Ranges must not overlap (checked: overlapping rows throw), so a lookup is one binary search.
 * Throws on a malformed table: it is configuration, read once at start-up.
 */
export function createRangeTableLookup(csvText: string): GeoLookup {
  const lines = csvText.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new Error('geo range table: no header line');
  const header = splitCsvLine(headerLine).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const network = col('network');
  const startCol = col('start_ip');
  const endCol = col('end_ip');
  const countryCol = col('country');
  if (countryCol < 0) throw new Error('geo range table: the header has no country column');
  if (network < 0 && (startCol < 0 || endCol < 0)) {
    throw new Error('geo range table: the header needs a network column or start_ip and end_ip columns');
  }
  const rows: RangeRow[] = [];
  lines.forEach((line, index) => {
    const cells = splitCsvLine(line);
    const cell = (name: string): string | null => {
      const i = col(name);
      const value = i < 0 ? undefined : cells[i];
      return value === undefined || value === '' ? null : value;
    };
    const where = `geo range table row ${index + 1}`;
    let range: Ipv4Range | null;
    if (network >= 0) range = parseCidr(cells[network] ?? '');
    else {
      const start = ipv4ToNumber(cells[startCol] ?? '');
      const end = ipv4ToNumber(cells[endCol] ?? '');
      range = start === null || end === null || end < start ? null : { start, end };
    }
    if (range === null) throw new Error(`${where}: not an IPv4 range`);
    const country = cell('country');
    if (country === null) throw new Error(`${where}: country is empty`);
    const coordinate = (name: string): number | null => {
      const text = cell(name);
      if (text === null) return null;
      if (!NUMBER.test(text)) throw new Error(`${where}: ${name} is not a number`);
      return Number(text);
    };
    rows.push({
      ...range,
      geo: {
        country,
        region: cell('region'),
        city: cell('city'),
        zipcode: cell('zipcode'),
        latitude: coordinate('latitude'),
        longitude: coordinate('longitude'),
        regionName: cell('region_name'),
        timezone: cell('timezone'),
      },
    });
  });
  rows.sort((a, b) => a.start - b.start);
  for (let i = 1; i < rows.length; i++) {
    if ((rows[i] as RangeRow).start <= (rows[i - 1] as RangeRow).end)
      throw new Error('geo range table: ranges overlap');
  }
  return {
    lookup(ip: string): GeoResult | null {
      const value = ipv4ToNumber(ip);
      if (value === null) return null;
      let lo = 0;
      let hi = rows.length - 1;
      let found: RangeRow | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const row = rows[mid] as RangeRow;
        if (row.start <= value) {
          found = row;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found !== undefined && value <= found.end ? { ...found.geo } : null;
    },
  };
}

/** Reads and parses a range table file. */
export async function loadRangeTable(path: string): Promise<GeoLookup> {
  return createRangeTableLookup(await readFile(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// MaxMind

/** Maps a MaxMind City (or Country) record to the enrich step's fields; null without a country. */
export function geoFromCityResponse(record: CityResponse | null | undefined): GeoResult | null {
  if (record === null || record === undefined) return null;
  const country = record.country?.iso_code ?? record.registered_country?.iso_code;
  if (country === undefined) return null;
  const subdivision = record.subdivisions?.[0];
  return {
    country,
    region: subdivision?.iso_code ?? null,
    city: record.city?.names?.en ?? null,
    zipcode: record.postal?.code ?? null,
    latitude: record.location?.latitude ?? null,
    longitude: record.location?.longitude ?? null,
    regionName: subdivision?.names?.en ?? null,
    timezone: record.location?.time_zone ?? null,
  };
}

/** A lookup over a MaxMind-format database (GeoLite2-City / GeoIP2-City layout). */
export async function createMaxMindLookup(path: string): Promise<GeoLookup> {
  const reader = await maxmind.open<CityResponse>(path);
  return {
    lookup(ip: string): GeoResult | null {
      const address = normalizeIp(ip);
      if (!isIPv4(address) && !isIPv6(address)) return null;
      try {
        return geoFromCityResponse(reader.get(address));
      } catch {
        return null;
      }
    },
  };
}

/**
 * The configured lookup: `GEO_DATABASE` ending in `.mmdb` → MaxMind reader, `.csv` → range table,
 * unset or empty → no geolocation (null). Any other extension is a configuration error.
 */
export async function loadGeoLookup(
  database: string | undefined = process.env.GEO_DATABASE,
): Promise<GeoLookup | null> {
  if (database === undefined || database.trim() === '') return null;
  const lower = database.toLowerCase();
  if (lower.endsWith('.mmdb')) return createMaxMindLookup(database);
  if (lower.endsWith('.csv')) return loadRangeTable(database);
  throw new Error(`GEO_DATABASE must name a .mmdb or .csv file: ${database}`);
}

// ---------------------------------------------------------------------------------------------
// Client address behind proxies

function isTrusted(ip: string, trustedProxies: readonly string[]): boolean {
  const address = normalizeIp(ip);
  const value = ipv4ToNumber(address);
  for (const entry of trustedProxies) {
    const trusted = entry.trim();
    if (trusted === '') continue;
    if (value !== null && isIPv4(trusted.split('/')[0] ?? '')) {
      const range = parseCidr(trusted);
      if (range !== null && value >= range.start && value <= range.end) return true;
    } else if (normalizeIp(trusted).toLowerCase() === address.toLowerCase()) return true;
  }
  return false;
}

/**
 * The client's address. `X-Forwarded-For` is honoured only when the connection comes from a trusted
 * proxy (an address or IPv4 CIDR in `trustedProxies`); then the answer is the rightmost hop that is
 * not itself a trusted proxy (the leftmost hops can be forged by the client). When every hop is
 * trusted, the leftmost one. Null when there is no usable address.
 */
export function trustedProxyClientIp(
  remoteAddress: string | null | undefined,
  xForwardedFor: string | readonly string[] | null | undefined,
  trustedProxies: readonly string[],
): string | null {
  if (remoteAddress === null || remoteAddress === undefined || remoteAddress.trim() === '') return null;
  const remote = normalizeIp(remoteAddress);
  if (xForwardedFor === null || xForwardedFor === undefined || !isTrusted(remote, trustedProxies)) return remote;
  const header = typeof xForwardedFor === 'string' ? xForwardedFor : xForwardedFor.join(',');
  const hops = header
    .split(',')
    .map((hop) => normalizeIp(hop))
    .filter((hop) => isIPv4(hop) || isIPv6(hop));
  if (hops.length === 0) return remote;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isTrusted(hop, trustedProxies)) return hop;
  }
  return hops[0] as string;
}
