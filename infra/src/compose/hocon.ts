/**
 * A reader for the subset of HOCON that the stack's Snowplow configs use (infra/compose/snowplow/*.hocon),
 * so the compose check can read topic names and broker addresses by path instead of by regex.
 *
 * Supported: an optional root `{ }`, `#` and `//` comments, quoted and unquoted (dotted) keys, `=`, `:`
 * or an object directly after the key, objects merged when a key repeats, arrays, quoted strings and
 * unquoted values up to the end of the line. Anything else (substitutions `${…}`, `+=`, includes,
 * triple-quoted strings) is rejected with its line number rather than misread: these files are ours,
 * and a construct the checker cannot read must not pass unchecked.
 */

export type HoconValue = string | HoconValue[] | HoconObject;
export interface HoconObject {
  [key: string]: HoconValue;
}

export class HoconError extends Error {
  override name = 'HoconError';
}

/** Characters HOCON forbids in unquoted strings; meeting one means the file uses syntax we do not read. */
const FORBIDDEN_UNQUOTED = new Set([
  '$',
  '"',
  '{',
  '}',
  '[',
  ']',
  ':',
  '=',
  ',',
  '+',
  '#',
  '`',
  '^',
  '?',
  '!',
  '@',
  '*',
  '&',
  '\\',
]);
const KEY_CHAR = /[A-Za-z0-9_-]/;

export function parseHocon(text: string): HoconObject {
  return new Parser(text).parseRoot();
}

export function isHoconObject(value: HoconValue | undefined): value is HoconObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of keys (keys may themselves contain dots, e.g. `"group.id"`). */
export function hoconGet(root: HoconObject, path: readonly string[]): HoconValue | undefined {
  let current: HoconValue | undefined = root;
  for (const key of path) {
    if (!isHoconObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseRoot(): HoconObject {
    this.skip(true);
    let root: HoconObject;
    if (this.peek() === '{') {
      this.pos++;
      root = this.parseFields('}');
      this.pos++;
    } else {
      root = this.parseFields(undefined);
    }
    this.skip(true);
    if (this.pos < this.text.length) throw this.error('unexpected text after the root object');
    return root;
  }

  /** Fields up to `close` (not consumed), or to the end of the text for a root without braces. */
  private parseFields(close: '}' | undefined): HoconObject {
    const object: HoconObject = {};
    for (;;) {
      this.skip(true);
      const char = this.peek();
      if (char === undefined) {
        if (close !== undefined) throw this.error(`missing '${close}'`);
        return object;
      }
      if (char === close) return object;
      if (char === ',') {
        this.pos++;
        continue;
      }
      const path = this.parseKey();
      this.skip(false);
      const next = this.peek();
      let value: HoconValue;
      if (next === '{') {
        value = this.parseValue();
      } else if (next === '=' || next === ':') {
        this.pos++;
        this.skip(false);
        value = this.parseValue();
      } else if (next === '+') {
        throw this.error("'+=' is not supported");
      } else {
        throw this.error(`expected '=', ':' or '{' after key ${path.join('.')}`);
      }
      setPath(object, path, value);
    }
  }

  private parseKey(): string[] {
    const path: string[] = [];
    for (;;) {
      const char = this.peek();
      if (char === '"') {
        path.push(this.parseQuoted());
      } else {
        const start = this.pos;
        while (this.pos < this.text.length && KEY_CHAR.test(this.text[this.pos] ?? '')) this.pos++;
        if (this.pos === start) throw this.error(`expected a key, found ${describe(char)}`);
        path.push(this.text.slice(start, this.pos));
      }
      if (this.peek() !== '.') return path;
      this.pos++;
    }
  }

  private parseValue(): HoconValue {
    const char = this.peek();
    if (char === '{') {
      this.pos++;
      const object = this.parseFields('}');
      this.pos++;
      return object;
    }
    if (char === '[') return this.parseArray();
    if (char === '"') {
      if (this.text.startsWith('"""', this.pos)) throw this.error('triple-quoted strings are not supported');
      return this.parseQuoted();
    }
    if (char === '$') throw this.error(`substitutions (\${…}) are not supported`);
    return this.parseUnquoted();
  }

  private parseArray(): HoconValue[] {
    this.pos++;
    const items: HoconValue[] = [];
    for (;;) {
      this.skip(true);
      const char = this.peek();
      if (char === undefined) throw this.error("missing ']'");
      if (char === ']') {
        this.pos++;
        return items;
      }
      if (char === ',') {
        this.pos++;
        continue;
      }
      items.push(this.parseValue());
    }
  }

  private parseQuoted(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (char === '\\') this.pos += 2;
      else if (char === '\n') throw this.error('unterminated string');
      else if (char === '"') {
        this.pos++;
        // HOCON's quoted strings are JSON strings.
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos++;
    }
    throw this.error('unterminated string');
  }

  /** An unquoted value: everything up to the end of the line, a separator, a closing bracket or a comment. */
  private parseUnquoted(): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const char = this.text[this.pos] ?? '';
      if (char === '\n' || char === ',' || char === '}' || char === ']' || char === '#') break;
      if (this.text.startsWith('//', this.pos)) break;
      if (FORBIDDEN_UNQUOTED.has(char)) throw this.error(`${describe(char)} in an unquoted value: quote it`);
      this.pos++;
    }
    const value = this.text.slice(start, this.pos).trim();
    if (value === '') throw this.error('expected a value');
    return value;
  }

  /** Skips spaces, tabs and comments, and line breaks too when `newlines` is set. */
  private skip(newlines: boolean): void {
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (char === ' ' || char === '\t' || char === '\r' || (newlines && char === '\n')) {
        this.pos++;
      } else if (char === '#' || this.text.startsWith('//', this.pos)) {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else {
        return;
      }
    }
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private error(message: string): HoconError {
    const line = this.text.slice(0, this.pos).split('\n').length;
    return new HoconError(`line ${line}: ${message}`);
  }
}

function describe(char: string | undefined): string {
  return char === undefined ? 'the end of the file' : `'${char}'`;
}

/** Sets a value at a key path; objects at the same path merge, as HOCON specifies. */
function setPath(object: HoconObject, path: readonly string[], value: HoconValue): void {
  let target = object;
  for (const key of path.slice(0, -1)) {
    const existing = target[key];
    if (isHoconObject(existing)) {
      target = existing;
    } else {
      const created: HoconObject = {};
      target[key] = created;
      target = created;
    }
  }
  const last = path[path.length - 1];
  if (last === undefined) return;
  const existing = target[last];
  if (isHoconObject(existing) && isHoconObject(value)) {
    for (const [key, inner] of Object.entries(value)) setPath(existing, [key], inner);
  } else {
    target[last] = value;
  }
}
