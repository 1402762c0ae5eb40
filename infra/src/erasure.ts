/**
 * Erasure of a shopper (issue 9, docs/decisions/0008-erasure.md): the names and rules shared by the
 * writers of the erasure registry (the `erase` command, the store's `POST /api/ops/erasure`) and its
 * readers (the aggregator, the replay, the store's `GET /api/features/state`). Pure: key names,
 * hashing and the registry's rule; the work itself is in `./erasure-run.ts`.
 *
 * - `tandem:erasures`: a hash, registry field (`u:<hash>` for a user key, `s:<hash>` for a session
 *   key) → erasure time, epoch ms. Hashes, not keys: the registry outlives the shopper's data and
 *   must not itself be a list of the people who asked to be forgotten. An event of an erased key
 *   dated at or before the erasure time is never applied again (a late event, a replay); later events
 *   are a new visit and count.
 * - `tandem:erasures:version`: incremented on every registration, so readers poll one small key and
 *   re-read the hash only when it changed.
 * - `tandem:user-sessions:<user hash>:<sessionKey>`: written by the aggregator's session lanes (one
 *   per user key and session, expiring with the session's keys), so an erasure finds the shopper's
 *   sessions. Nothing else records which sessions a user key had.
 */
import { createHash } from 'node:crypto';

/** The registry hash. */
export const ERASURE_REGISTRY_KEY = 'tandem:erasures';
/** Incremented with every registration (readers re-read the registry when it changes). */
export const ERASURE_VERSION_KEY = 'tandem:erasures:version';
/**
 * How long a registry entry is kept: longer than any topic keeps the shopper's events (7 days, see
 * docs/privacy.md) and long enough for a browser that comes back months later to learn that its
 * stored features must go. Older entries are pruned when the next erasure is registered.
 */
export const ERASURE_RETENTION_MS = 400 * 24 * 60 * 60_000;

export type ErasedKind = 'user' | 'session';

/** A key's pseudonym: sha256 of a domain-separated key, 32 hex digits (128 bits). */
export function erasureHash(key: string): string {
  return createHash('sha256').update(`tandem-erasure\0${key}`).digest('hex').slice(0, 32);
}

/**
 * How log lines name a shopper's key (docs/privacy.md): the registry's hash, shortened to 48 bits,
 * as the store's and the reconciler's logs do (`u~3f9a1c…`, `s~…` for a session key). Enough to follow one shopper
 * through the logs and to find the lines of a key one already knows; a log line never holds the
 * key itself. A pseudonym, not anonymisation: a guessable key can be found by trying keys.
 */
export function logPseudonym(kind: ErasedKind, key: string): string {
  return `${kind === 'user' ? 'u' : 's'}~${erasureHash(key).slice(0, 12)}`;
}

/** The registry field of a user or session key. */
export function erasureField(kind: ErasedKind, key: string): string {
  return `${kind === 'user' ? 'u' : 's'}:${erasureHash(key)}`;
}

/** The record of one of a user key's sessions (see the file comment). */
export function userSessionKey(userKey: string, sessionKey: string): string {
  return `tandem:user-sessions:${erasureHash(userKey)}:${sessionKey}`;
}

/** A SCAN pattern for every session record of a user key. */
export function userSessionPattern(userKey: string): string {
  return `tandem:user-sessions:${erasureHash(userKey)}:*`;
}

/** The session key a `userSessionKey` names. */
export function sessionOfUserSessionKey(key: string): string | null {
  const match = /^tandem:user-sessions:[0-9a-f]{32}:(.+)$/.exec(key);
  return match?.[1] ?? null;
}

/** Escapes Redis glob characters, so a key is matched literally in a SCAN pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Registry field → erasure time, epoch ms. */
export type ErasureRegistry = ReadonlyMap<string, number>;

/** The registry hash as read (HGETALL); entries that are not epoch ms are left out. */
export function parseErasureRegistry(record: Readonly<Record<string, string>> | null): Map<string, number> {
  const registry = new Map<string, number>();
  for (const [field, value] of Object.entries(record ?? {})) {
    const atMs = Number(value);
    if (/^[us]:[0-9a-f]{32}$/.test(field) && Number.isSafeInteger(atMs) && atMs > 0) registry.set(field, atMs);
  }
  return registry;
}

/** When `key` was erased; null when it never was. */
export function erasedAt(registry: ErasureRegistry, kind: ErasedKind, key: string | null): number | null {
  if (key === null || registry.size === 0) return null;
  return registry.get(erasureField(kind, key)) ?? null;
}

/**
 * Whether an event must not be applied: its user key or its session key was erased at or after its
 * event time. A registry without entries costs nothing (no hashing).
 */
export function isErasedEvent(
  registry: ErasureRegistry,
  event: { readonly userKey: string | null; readonly sessionKey: string | null; readonly eventTimeMs: number },
): boolean {
  if (registry.size === 0) return false;
  const user = erasedAt(registry, 'user', event.userKey);
  if (user !== null && event.eventTimeMs <= user) return true;
  const session = erasedAt(registry, 'session', event.sessionKey);
  return session !== null && event.eventTimeMs <= session;
}

/** The latest erasure time of either key of a shopper; null when neither was erased. */
export function shopperErasedAt(
  registry: ErasureRegistry,
  userKey: string | null,
  sessionKey: string | null,
): number | null {
  const times = [erasedAt(registry, 'user', userKey), erasedAt(registry, 'session', sessionKey)].filter(
    (t): t is number => t !== null,
  );
  return times.length === 0 ? null : Math.max(...times);
}

/** Registry fields older than the retention at `nowMs` (to delete). */
export function expiredRegistryFields(registry: ErasureRegistry, nowMs: number): string[] {
  return [...registry].filter(([, atMs]) => nowMs - atMs > ERASURE_RETENTION_MS).map(([field]) => field);
}

/** What an erasure is asked to erase. */
export interface ErasureRequest {
  /** One or more user keys (a signed-in user id and the browser's domain_userid are two keys). */
  readonly userKeys: readonly string[];
  /** Session keys known to the caller; the user keys' recorded sessions are found as well. */
  readonly sessionKeys: readonly string[];
}

/** Longest accepted key: user ids, UUIDs and session ids are far shorter. */
const MAX_KEY_LENGTH = 256;

export type ErasureRequestParse =
  | { readonly ok: true; readonly request: ErasureRequest }
  | { readonly ok: false; readonly detail: string };

/** Validates a request: at least one user key; keys non-empty, printable, at most 256 characters. */
export function parseErasureRequest(input: unknown): ErasureRequestParse {
  if (input === null || typeof input !== 'object') return { ok: false, detail: 'expected a JSON object' };
  const { userKeys, sessionKeys = [] } = input as Record<string, unknown>;
  const keys = (value: unknown, name: string): string[] | string => {
    if (!Array.isArray(value)) return `${name} must be an array of strings`;
    for (const key of value) {
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || /[\s\p{Cc}]/u.test(key))
        return `${name} must hold non-empty keys without spaces, at most ${MAX_KEY_LENGTH} characters`;
    }
    return [...new Set(value as string[])];
  };
  const users = keys(userKeys, 'userKeys');
  if (typeof users === 'string') return { ok: false, detail: users };
  if (users.length === 0) return { ok: false, detail: 'userKeys must name at least one user key' };
  const sessions = keys(sessionKeys, 'sessionKeys');
  if (typeof sessions === 'string') return { ok: false, detail: sessions };
  return { ok: true, request: { userKeys: users, sessionKeys: sessions } };
}
