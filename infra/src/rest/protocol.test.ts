/** The REST protocol's pure parts: request validation, refused commands, reply encoding. */
import { describe, expect, it } from 'vitest';
import {
  encodeReply,
  errorJson,
  parseBatch,
  parseCommand,
  RestRequestError,
  refusalOf,
  resultJson,
} from './protocol.js';

describe('parseCommand', () => {
  it('turns numbers and booleans into their JSON spelling', () => {
    expect(parseCommand(['set', 'k', 12.5])).toEqual(['set', 'k', '12.5']);
    expect(parseCommand(['set', 'flag', true, 'EX', 60])).toEqual(['set', 'flag', 'true', 'EX', '60']);
  });

  it('refuses anything else with a 400 naming the problem', () => {
    const refused = (value: unknown) => {
      try {
        parseCommand(value);
      } catch (error) {
        expect(error).toBeInstanceOf(RestRequestError);
        expect((error as RestRequestError).status).toBe(400);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused('get')).toMatch(/must be a JSON array/);
    expect(refused([])).toMatch(/empty array/);
    expect(refused(['', 'k'])).toMatch(/non-empty string/);
    expect(refused([['get'], 'k'])).toMatch(/non-empty string/);
    expect(refused(['get', ['k']])).toMatch(/argument 1 is object/);
    expect(refused(['get', undefined])).toMatch(/argument 1 is undefined/);
  });

  it('reads a batch as commands numbered from 1', () => {
    expect(
      parseBatch([
        ['get', 'a'],
        ['incr', 'b'],
      ]),
    ).toEqual([
      ['get', 'a'],
      ['incr', 'b'],
    ]);
    expect(() => parseBatch([['get', 'a'], 'incr'])).toThrow(/command 2 must be a JSON array/);
  });
});

describe('refusalOf', () => {
  it('refuses commands that would block or change the shared connection, in any case', () => {
    for (const command of [
      ['MULTI'],
      ['exec'],
      ['Select', '1'],
      ['subscribe', 'c'],
      ['blpop', 'l', '0'],
      ['hello', '3'],
    ]) {
      expect(refusalOf(command as [string, ...string[]])).toMatch(/is not supported by this REST endpoint/);
    }
    expect(refusalOf(['client', 'reply', 'off'])).toMatch(/'client reply'/);
    expect(refusalOf(['xread', 'BLOCK', '0', 'STREAMS', 's', '$'])).toMatch(/not supported/);
  });

  it('lets everything else through', () => {
    for (const command of [
      ['get', 'k'],
      ['client', 'id'],
      ['xread', 'STREAMS', 's', '0'],
      ['eval', 'return 1', '0'],
    ]) {
      expect(refusalOf(command as [string, ...string[]])).toBeUndefined();
    }
  });
});

describe('encodeReply', () => {
  const bytes = Buffer.from([0x68, 0xc3, 0xa9, 0xff]);

  it('writes RESP2 replies as JSON, integers digit for digit', () => {
    expect(encodeReply(null, false)).toBe('null');
    expect(encodeReply('42', false)).toBe('42');
    expect(encodeReply('-9007199254740993', true)).toBe('-9007199254740993');
    expect(encodeReply(Buffer.from('OK'), false)).toBe('"OK"');
    expect(encodeReply([Buffer.from('f'), Buffer.from('1'), ['7', null]], false)).toBe('["f","1",[7,null]]');
    expect(encodeReply([], true)).toBe('[]');
  });

  it('base64-encodes every string, status replies and nested ones included, and leaves numbers and null', () => {
    expect(encodeReply(Buffer.from('OK'), true)).toBe('"T0s="');
    expect(encodeReply(bytes, true)).toBe(JSON.stringify(bytes.toString('base64')));
    expect(encodeReply([bytes, '3', null, [Buffer.from('x')]], true)).toBe(
      `["${bytes.toString('base64')}",3,null,["eA=="]]`,
    );
  });

  it('reads bytes as UTF-8 without base64, invalid ones becoming U+FFFD', () => {
    expect(JSON.parse(encodeReply(bytes, false))).toBe('hé\uFFFD');
  });

  it('writes an error inside an array as its message', () => {
    expect(encodeReply(['1', new Error('ERR boom')], false)).toBe('[1,"ERR boom"]');
    expect(encodeReply([new Error('ERR boom')], true)).toBe(`["${Buffer.from('ERR boom').toString('base64')}"]`);
  });

  it('wraps results and errors as Upstash does', () => {
    expect(resultJson(Buffer.from('v'), false)).toBe('{"result":"v"}');
    expect(errorJson('ERR "quoted"')).toBe('{"error":"ERR \\"quoted\\""}');
  });
});
