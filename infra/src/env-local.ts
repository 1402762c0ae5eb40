/**
 * Local secrets in the git-ignored `.env.local` at the repository root: generated on the first run
 * (development only), never overwritten, and loaded explicitly by every app and test (Next.js reads
 * only its own folder and skips `.env.local` in test mode, so nothing relies on it doing so).
 *
 * Production mode (`NODE_ENV=production`) never generates anything: it refuses to start until the
 * operator sets real values.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in `<root>/infra/src/`). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The file's name at the repository root. */
export const ENV_LOCAL_FILE = '.env.local';

export interface LocalSecret {
  /** Environment variable name. */
  readonly name: string;
  /** What it protects; written as a comment above the generated value. */
  readonly description: string;
}

/**
 * Every secret the local stack generates. Each is 32 random bytes, base64url (43 characters). Later
 * parts of the stack add their entries here (signing keys, the dashboard token).
 */
export const LOCAL_SECRETS: readonly LocalSecret[] = [
  {
    name: 'UPSTASH_REDIS_REST_TOKEN',
    description: 'bearer token of the local Upstash-compatible REST endpoint and of the clients that call it',
  },
  {
    name: 'OFFER_SIGNING_KEY',
    description: 'HMAC key the store signs offer codes with (redeemed discounts and free delivery)',
  },
  {
    name: 'OPS_TOKEN',
    description:
      "token of the store's drift dashboard (/ops/drift?token=..., or Authorization: Bearer on /api/ops/drift)",
  },
];

/** Why `.env.local` could not be read or completed. */
export class EnvLocalError extends Error {
  override name = 'EnvLocalError';
  constructor(
    readonly code: 'parse_error' | 'missing_secret' | 'locked',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

interface RootOption {
  /** Repository root holding `.env.local`; default the root of this checkout (tests pass a temp dir). */
  root?: string;
}

/** Absolute path of `.env.local` under `root`. */
export function envLocalPath(root = REPO_ROOT): string {
  return join(root, ENV_LOCAL_FILE);
}

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function parseValue(raw: string, where: string): string {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    let value = '';
    let i = 1;
    for (; i < raw.length && raw[i] !== quote; i++) {
      const char = raw[i] as string;
      // Double quotes take the usual dotenv escapes; single quotes are literal.
      if (quote === '"' && char === '\\' && i + 1 < raw.length) {
        const next = raw[i + 1] as string;
        value += DOUBLE_QUOTE_ESCAPES[next] ?? `\\${next}`;
        i++;
      } else {
        value += char;
      }
    }
    if (i >= raw.length) throw new EnvLocalError('parse_error', `${where}: unterminated ${quote}quoted value`);
    const rest = raw.slice(i + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) {
      throw new EnvLocalError('parse_error', `${where}: unexpected text after the quoted value`);
    }
    return value;
  }
  // Unquoted: a `#` after whitespace starts a comment.
  return raw.replace(/\s+#.*$/, '').trim();
}

/**
 * Parses `.env`-style text: `KEY=VALUE` lines, optional `export ` prefix, blank lines and `#`
 * comments ignored, values optionally in single (literal) or double quotes (`\n`, `\t`, `\"`, `\\`
 * escapes); an unquoted value ends at ` #`. A key given twice keeps its last value.
 *
 * @param source names the text in error messages (e.g. the file path)
 * @throws EnvLocalError `parse_error` naming the line, for anything else
 */
export function parseEnvText(text: string, source = ENV_LOCAL_FILE): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `${source}:${index + 1}`;
    const match = LINE.exec(trimmed);
    if (match === null)
      throw new EnvLocalError('parse_error', `${where}: expected KEY=VALUE, got ${JSON.stringify(trimmed)}`);
    values[match[1] as string] = parseValue(match[2] as string, where);
  });
  return values;
}

/** The entries of `.env.local`; empty when the file does not exist. */
export function readEnvLocal(options: RootOption = {}): Record<string, string> {
  const path = envLocalPath(options.root);
  if (!existsSync(path)) return {};
  return parseEnvText(readFileSync(path, 'utf8'), path);
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `action` holding a lock directory next to the file, so that two first runs at once (`npm
 * start` and `npm test`) cannot each generate a different token and overwrite the other's.
 */
function withLock<T>(path: string, action: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any real holder (a crashed process) is taken over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30_000) rmdirSync(lock);
      } catch {
        // Released meanwhile: try again.
      }
      if (Date.now() > deadline) {
        throw new EnvLocalError(
          'locked',
          `${lock} is held by another process; remove it if no Tandem process runs`,
          true,
        );
      }
      sleepSync(25);
    }
  }
  try {
    return action();
  } finally {
    rmdirSync(lock);
  }
}

export interface EnsureLocalSecretsOptions extends RootOption {
  /** Environment that may already provide secrets and that names the mode; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Secrets to ensure; default LOCAL_SECRETS. */
  secrets?: readonly LocalSecret[];
}

export interface LocalSecrets {
  /** Absolute path of `.env.local`. */
  readonly path: string;
  /** Every entry of `.env.local` after the merge. */
  readonly values: Readonly<Record<string, string>>;
  /** Names generated by this call (empty when nothing was missing). */
  readonly generated: readonly string[];
}

/**
 * Adds each secret that neither `.env.local` nor the environment provides (an empty value counts as
 * missing) to `.env.local`, as 32 random bytes in base64url. Existing values, comments and order are
 * kept; the file is replaced atomically and has mode 0600.
 *
 * @throws EnvLocalError `missing_secret` in production mode (`NODE_ENV=production`) when a secret is
 *   missing: production never generates secrets, the operator sets real ones.
 */
export function ensureLocalSecrets(options: EnsureLocalSecretsOptions = {}): LocalSecrets {
  const env = options.env ?? process.env;
  const secrets = options.secrets ?? LOCAL_SECRETS;
  const path = envLocalPath(options.root);
  const missingIn = (values: Record<string, string>) =>
    secrets.filter((secret) => !isSet(env[secret.name]) && !isSet(values[secret.name]));

  const current = readEnvLocal(options);
  const missing = missingIn(current);
  if (missing.length === 0) return { path, values: current, generated: [] };
  if (env.NODE_ENV === 'production') {
    throw new EnvLocalError(
      'missing_secret',
      `NODE_ENV=production and ${missing.map((s) => s.name).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: ` +
        'set real values in the environment; secrets are generated into .env.local only in development',
    );
  }

  return withLock(path, () => {
    // Read again under the lock: another process may have added them meanwhile.
    const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const values = parseEnvText(before, path);
    const toGenerate = missingIn(values);
    if (toGenerate.length === 0) return { path, values, generated: [] };
    let text =
      before === '' ? '# Local secrets, generated by Tandem on the first run. Git-ignored; never commit.\n' : before;
    if (!text.endsWith('\n')) text += '\n';
    for (const secret of toGenerate) {
      const value = randomBytes(32).toString('base64url');
      text += `# ${secret.description}\n${secret.name}=${value}\n`;
      values[secret.name] = value;
    }
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
    return { path, values, generated: toGenerate.map((secret) => secret.name) };
  });
}

export interface LoadEnvLocalOptions extends RootOption {
  /** Environment to fill; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Copies the entries of `.env.local` into the environment where a variable is unset or empty, so a
 * value set in the real environment always wins.
 *
 * @returns the names it set
 */
export function loadEnvLocalIntoProcess(options: LoadEnvLocalOptions = {}): string[] {
  const env = options.env ?? process.env;
  const set: string[] = [];
  for (const [name, value] of Object.entries(readEnvLocal(options))) {
    if (isSet(env[name])) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
