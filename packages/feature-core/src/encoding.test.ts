import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeBase64Text, decodeUtf8, parseJson, queryParams } from './encoding.js';
import { base64UrlText, encodeUtf8 } from './test-support/builders.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('decodeBase64', () => {
  it('decodes standard vectors with and without padding', () => {
    expect(decodeBase64('aGVsbG8')).toEqual(bytes(0x68, 0x65, 0x6c, 0x6c, 0x6f));
    expect(decodeBase64('aGVsbG8=')).toEqual(bytes(0x68, 0x65, 0x6c, 0x6c, 0x6f));
    expect(decodeBase64('aGk')).toEqual(bytes(0x68, 0x69));
    expect(decodeBase64('aGk=')).toEqual(bytes(0x68, 0x69));
    expect(decodeBase64('')).toEqual(bytes());
  });

  it('reads both the URL-safe alphabet the tracker sends and the standard one', () => {
    // 0xfb 0xff 0xbf encodes to "+/+/" in standard base64 and "-_-_" URL-safe.
    expect(decodeBase64('-_-_')).toEqual(bytes(0xfb, 0xff, 0xbf));
    expect(decodeBase64('+/+/')).toEqual(bytes(0xfb, 0xff, 0xbf));
  });

  it('rejects characters outside both alphabets, non-ASCII and impossible lengths', () => {
    expect(decodeBase64('aGV*bG8')).toBeNull();
    expect(decodeBase64('aGV sbG8')).toBeNull();
    expect(decodeBase64('aGVé')).toBeNull();
    expect(decodeBase64('a')).toBeNull(); // one character cannot hold a byte
    expect(decodeBase64('aGVsb')).toBeNull();
    expect(decodeBase64('aG=k')).toBeNull(); // padding only at the end
  });
});

describe('decodeUtf8', () => {
  it('decodes 1- to 4-byte sequences', () => {
    expect(decodeUtf8(bytes(0x41))).toBe('A');
    expect(decodeUtf8(bytes(0xc3, 0xa9))).toBe('é');
    expect(decodeUtf8(bytes(0xe2, 0x82, 0xac))).toBe('€');
    expect(decodeUtf8(bytes(0xf0, 0x9f, 0x98, 0x80))).toBe('😀');
  });

  it('rejects what a strict decoder must: overlong forms, surrogates, out-of-range, truncation', () => {
    expect(decodeUtf8(bytes(0xc0, 0x80))).toBeNull(); // overlong NUL
    expect(decodeUtf8(bytes(0xe0, 0x80, 0x80))).toBeNull(); // overlong 3-byte
    expect(decodeUtf8(bytes(0xf0, 0x80, 0x80, 0x80))).toBeNull(); // overlong 4-byte
    expect(decodeUtf8(bytes(0xed, 0xa0, 0x80))).toBeNull(); // U+D800, a surrogate
    expect(decodeUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBeNull(); // above U+10FFFF
    expect(decodeUtf8(bytes(0xf5, 0x80, 0x80, 0x80))).toBeNull();
    expect(decodeUtf8(bytes(0xe2, 0x82))).toBeNull(); // truncated
    expect(decodeUtf8(bytes(0x80))).toBeNull(); // lone continuation byte
    expect(decodeUtf8(bytes(0xc3, 0x41))).toBeNull(); // continuation expected
  });
});

describe('decodeBase64Text', () => {
  it('decodes what the tracker encodes: URL-safe base64 of UTF-8 JSON', () => {
    const json = '{"schema":"iglu:x/y/jsonschema/1-0-0","data":{"name":"Größe 42 ✓ 👟"}}';
    expect(decodeBase64Text(base64UrlText(json))).toBe(json);
  });

  it('round-trips every string without lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(decodeBase64Text(base64UrlText(text))).toBe(text);
      }),
    );
  });

  it('gives the same bytes as a reference UTF-8 encoder for any code point', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (text) => {
        // Lone surrogates are replaced by U+FFFD in the encoder, as TextEncoder does.
        const expected = text.replace(
          /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          '\ufffd',
        );
        expect(decodeUtf8(encodeUtf8(text))).toBe(expected);
      }),
    );
  });

  it('rejects base64 of bytes that are not UTF-8', () => {
    // 0xff is never valid in UTF-8; "_w" is its URL-safe base64.
    expect(decodeBase64Text('_w')).toBeNull();
    expect(decodeBase64Text('%%%')).toBeNull();
  });
});

describe('parseJson', () => {
  it('parses JSON and returns undefined instead of throwing on anything else', () => {
    expect(parseJson('{"a":[1,null,"x"]}')).toEqual({ a: [1, null, 'x'] });
    expect(parseJson('null')).toBeNull();
    expect(parseJson('')).toBeUndefined();
    expect(parseJson('{a:1}')).toBeUndefined();
    expect(parseJson('{"a":1')).toBeUndefined();
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parseJson(text);
      }),
    );
  });
});

describe('queryParams', () => {
  it('reads the query of a URL, decoding + and percent-escapes', () => {
    const params = queryParams('https://shop.example.com/search?q=running+shoes&utm_campaign=spring%20sale');
    expect(params.get('q')).toBe('running shoes');
    expect(params.get('utm_campaign')).toBe('spring sale');
  });

  it('keeps the first value of a repeated name, as campaign attribution does', () => {
    expect(queryParams('https://x.test/?utm_source=a&utm_source=b').get('utm_source')).toBe('a');
  });

  it('ignores the fragment, empty parts and a URL without a query', () => {
    const params = queryParams('https://x.test/p?a=1&&b#c=2');
    expect([...params.entries()]).toEqual([
      ['a', '1'],
      ['b', ''],
    ]);
    expect(queryParams('https://x.test/p#a=1').size).toBe(0);
    expect(queryParams('https://x.test/').size).toBe(0);
  });

  it('keeps a malformed percent-escape as written instead of throwing', () => {
    expect(queryParams('https://x.test/?utm_campaign=100%off').get('utm_campaign')).toBe('100%off');
  });
});
