/**
 * Text decoding that needs no platform API (no atob, TextDecoder or URL), so the core compiles
 * without DOM or Node types and behaves the same everywhere.
 */

const BASE64_VALUES = (() => {
  const table = new Int16Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  // Both alphabets: URL-safe (what the tracker sends) and standard.
  table['-'.charCodeAt(0)] = 62;
  table['+'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  table['/'.charCodeAt(0)] = 63;
  return table;
})();

/** Decodes base64 (URL-safe or standard, padding optional) to bytes; null when malformed. */
export function decodeBase64(text: string): Uint8Array | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end % 4 === 1) return null;
  const bytes = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (BASE64_VALUES[code] ?? -1) : -1;
    if (value < 0) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

/** Decodes UTF-8 bytes strictly; null on an invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  let result = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] as number;
    let code: number;
    let extra: number;
    if (b0 < 0x80) {
      code = b0;
      extra = 0;
    } else if (b0 >= 0xc2 && b0 < 0xe0) {
      code = b0 & 0x1f;
      extra = 1;
    } else if (b0 >= 0xe0 && b0 < 0xf0) {
      code = b0 & 0x0f;
      extra = 2;
    } else if (b0 >= 0xf0 && b0 < 0xf5) {
      code = b0 & 0x07;
      extra = 3;
    } else {
      return null;
    }
    for (let k = 1; k <= extra; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) return null;
      code = (code << 6) | (b & 0x3f);
    }
    if (
      (extra === 2 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
      (extra === 3 && (code < 0x10000 || code > 0x10ffff))
    ) {
      return null;
    }
    result += String.fromCodePoint(code);
    i += extra + 1;
  }
  return result;
}

/** URL-safe base64 of UTF-8 text (the tracker's `ue_px` / `cx`) to text; null when malformed. */
export function decodeBase64Text(text: string): string | null {
  const bytes = decodeBase64(text);
  return bytes === null ? null : decodeUtf8(bytes);
}

/** Parses JSON without throwing: `undefined` when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function decodeQueryComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * The query parameters of a URL, first value of each name wins (as Snowplow's campaign
 * enrichment reads them). Malformed percent-escapes are kept as written.
 */
export function queryParams(url: string): Map<string, string> {
  const params = new Map<string, string>();
  const start = url.indexOf('?');
  if (start < 0) return params;
  const hash = url.indexOf('#', start);
  const query = url.slice(start + 1, hash < 0 ? undefined : hash);
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(part.slice(eq + 1));
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}
