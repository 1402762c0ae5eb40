/**
 * .env.local in a temporary repository root: secrets generated once with mode 0600, never
 * overwritten, taken from the environment when set there, refused in production; the parser's
 * syntax; and loading into an environment without overriding it.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EnvLocalError,
  ensureLocalSecrets,
  LOCAL_SECRETS,
  loadEnvLocalIntoProcess,
  parseEnvText,
  REPO_ROOT,
  readEnvLocal,
} from './env-local.js';

let root: string;
const file = () => join(root, '.env.local');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** The mechanism is tested on one secret; the list the stack generates is checked on its own. */
const TOKEN = LOCAL_SECRETS.filter((secret) => secret.name === 'UPSTASH_REDIS_REST_TOKEN');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tandem-env-local-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ensureLocalSecrets', () => {
  it('generates every secret of the stack: the REST token, the offer signing key and the dashboard token', () => {
    const names = ['UPSTASH_REDIS_REST_TOKEN', 'OFFER_SIGNING_KEY', 'OPS_TOKEN'];
    expect(LOCAL_SECRETS.map((secret) => secret.name)).toEqual(names);
    const { generated, values } = ensureLocalSecrets({ root, env: {} });
    expect(generated).toEqual(names);
    expect(values.OFFER_SIGNING_KEY).toMatch(TOKEN_SHAPE);
    expect(values.OPS_TOKEN).toMatch(TOKEN_SHAPE);
    expect(new Set(names.map((name) => values[name])).size).toBe(3);
  });

  it('generates each missing secret once, as 32 random bytes in base64url, in a 0600 file', () => {
    const first = ensureLocalSecrets({ root, env: {}, secrets: TOKEN });
    expect(first.path).toBe(file());
    expect(first.generated).toEqual(['UPSTASH_REDIS_REST_TOKEN']);
    const token = first.values.UPSTASH_REDIS_REST_TOKEN as string;
    expect(token).toMatch(TOKEN_SHAPE);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(readEnvLocal({ root })).toEqual({ UPSTASH_REDIS_REST_TOKEN: token });

    // Idempotent: nothing generated, the file untouched byte for byte, no lock or temp file left.
    const text = readFileSync(file(), 'utf8');
    const second = ensureLocalSecrets({ root, env: {}, secrets: TOKEN });
    expect(second.generated).toEqual([]);
    expect(second.values.UPSTASH_REDIS_REST_TOKEN).toBe(token);
    expect(readFileSync(file(), 'utf8')).toBe(text);
    expect(readdirSync(root)).toEqual(['.env.local']);
  });

  it('never overwrites values and keeps the rest of the file as it was', () => {
    const existing = [
      '# my settings',
      'UPSTASH_REDIS_REST_TOKEN="my own token"  # chosen by hand',
      '',
      "export OTHER='kept as is'",
    ].join('\n');
    writeFileSync(file(), existing);
    expect(ensureLocalSecrets({ root, env: {}, secrets: TOKEN }).generated).toEqual([]);
    expect(readFileSync(file(), 'utf8')).toBe(existing);
    expect(readEnvLocal({ root }).UPSTASH_REDIS_REST_TOKEN).toBe('my own token');

    // A new secret is appended below what was there.
    const secrets = [...TOKEN, { name: 'LATER_SIGNING_KEY', description: 'a secret a later issue adds' }];
    const result = ensureLocalSecrets({ root, env: {}, secrets });
    expect(result.generated).toEqual(['LATER_SIGNING_KEY']);
    const text = readFileSync(file(), 'utf8');
    expect(text.startsWith(`${existing}\n`)).toBe(true);
    expect(text).toContain('# a secret a later issue adds\nLATER_SIGNING_KEY=');
    expect(result.values).toEqual({
      UPSTASH_REDIS_REST_TOKEN: 'my own token',
      OTHER: 'kept as is',
      LATER_SIGNING_KEY: expect.stringMatching(TOKEN_SHAPE),
    });
  });

  it('generates distinct values for several secrets', () => {
    const secrets = [
      { name: 'A_TOKEN', description: 'a' },
      { name: 'B_TOKEN', description: 'b' },
    ];
    const { values, generated } = ensureLocalSecrets({ root, env: {}, secrets });
    expect(generated).toEqual(['A_TOKEN', 'B_TOKEN']);
    expect(values.A_TOKEN).not.toBe(values.B_TOKEN);
  });

  it('generates nothing for a secret the environment provides (an empty value counts as missing)', () => {
    expect(
      ensureLocalSecrets({ root, env: { UPSTASH_REDIS_REST_TOKEN: 'from-env' }, secrets: TOKEN }).generated,
    ).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
    expect(ensureLocalSecrets({ root, env: { UPSTASH_REDIS_REST_TOKEN: '' }, secrets: TOKEN }).generated).toEqual([
      'UPSTASH_REDIS_REST_TOKEN',
    ]);
  });

  it('refuses to generate in production and names what to set', () => {
    const error = (() => {
      try {
        ensureLocalSecrets({ root, env: { NODE_ENV: 'production' }, secrets: TOKEN });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EnvLocalError);
    expect(error).toMatchObject({ code: 'missing_secret' });
    expect((error as Error).message).toMatch(
      /NODE_ENV=production and UPSTASH_REDIS_REST_TOKEN is not set: set real values/,
    );
    expect(readdirSync(root)).toEqual([]);
    // With the real value in the environment, production starts.
    const env = {
      NODE_ENV: 'production',
      UPSTASH_REDIS_REST_TOKEN: 'real',
      OFFER_SIGNING_KEY: 'real too',
      OPS_TOKEN: 'real as well',
    };
    expect(ensureLocalSecrets({ root, env }).generated).toEqual([]);
  });

  it('takes over a lock left behind by a crashed process', () => {
    const lock = `${file()}.lock`;
    mkdirSync(lock);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(ensureLocalSecrets({ root, env: {}, secrets: TOKEN }).generated).toEqual(['UPSTASH_REDIS_REST_TOKEN']);
    expect(readdirSync(root)).toEqual(['.env.local']);
  });

  it('finds the repository root from its own location', () => {
    expect(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).toMatch(/"name": "tandem"/);
  });
});

describe('parseEnvText', () => {
  it('reads KEY=VALUE lines with comments, blank lines, export and quotes', () => {
    const text = [
      '\uFEFF# comment',
      '',
      'PLAIN=value',
      '  SPACED = padded value  ',
      'INLINE=value # a comment',
      'HASH=no#comment',
      'EMPTY=',
      'export EXPORTED=1',
      'DOUBLE="a \\"quoted\\" line\\nnext # not a comment"',
      "SINGLE='literal \\n $x'  # comment",
      'WINDOWS=crlf\r',
      'PLAIN=last wins',
    ].join('\n');
    expect(parseEnvText(text)).toEqual({
      PLAIN: 'last wins',
      SPACED: 'padded value',
      INLINE: 'value',
      HASH: 'no#comment',
      EMPTY: '',
      EXPORTED: '1',
      DOUBLE: 'a "quoted" line\nnext # not a comment',
      SINGLE: 'literal \\n $x',
      WINDOWS: 'crlf',
    });
  });

  it('names the line of anything else', () => {
    expect(() => parseEnvText('OK=1\nnot a line', '/x/.env.local')).toThrow(/\/x\/.env.local:2: expected KEY=VALUE/);
    expect(() => parseEnvText('1BAD=x')).toThrow(EnvLocalError);
    expect(() => parseEnvText('OPEN="never closed')).toThrow(/:1: unterminated "quoted value/);
    expect(() => parseEnvText("TRAIL='a' b")).toThrow(/unexpected text after the quoted value/);
  });

  it('reads a missing file as empty', () => {
    expect(readEnvLocal({ root })).toEqual({});
  });
});

describe('loadEnvLocalIntoProcess', () => {
  it('fills unset and empty variables and leaves set ones alone', () => {
    writeFileSync(file(), 'A=from-file\nB=from-file\nC=from-file\n');
    const env: NodeJS.ProcessEnv = { A: 'from-env', B: '' };
    expect(loadEnvLocalIntoProcess({ root, env })).toEqual(['B', 'C']);
    expect(env).toEqual({ A: 'from-env', B: 'from-file', C: 'from-file' });
  });
});
