/**
 * The redeemed offer code, kept in sessionStorage (`tandem.offerCode`) so checkout can prefill it.
 * One code at a time (the latest redeemed). Storage is passed in; every access is guarded, since
 * storage can be missing or throw (privacy modes, quota): losing the code must never break a page.
 */

export const OFFER_CODE_KEY = 'tandem.offerCode';

/** What is stored: the server's answer to a redemption. */
export interface StoredOfferCode {
  readonly code: string;
  readonly offer: string;
  readonly ruleId: string;
  /** When the server stops accepting the code, epoch ms. */
  readonly expiresAtMs: number;
}

/** The subset of `Storage` used here. */
export type CodeStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The browser's sessionStorage, or null where it is unavailable (server rendering, blocked). */
export function browserSessionStorage(): CodeStorage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

function isStoredOfferCode(value: unknown): value is StoredOfferCode {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.code === 'string' &&
    record.code !== '' &&
    typeof record.offer === 'string' &&
    typeof record.ruleId === 'string' &&
    typeof record.expiresAtMs === 'number' &&
    Number.isFinite(record.expiresAtMs)
  );
}

/** Remembers `code`, replacing any earlier one. False when storage refused it. */
export function saveOfferCode(storage: CodeStorage | null, code: StoredOfferCode): boolean {
  if (storage === null) return false;
  try {
    storage.setItem(OFFER_CODE_KEY, JSON.stringify(code));
    return true;
  } catch {
    return false;
  }
}

/**
 * The stored code if it is still valid at `nowMs`; null when there is none, it expired (then it is
 * also removed) or the stored text is not ours.
 */
export function readOfferCode(storage: CodeStorage | null, nowMs: number): StoredOfferCode | null {
  if (storage === null) return null;
  try {
    const text = storage.getItem(OFFER_CODE_KEY);
    if (text === null) return null;
    const parsed: unknown = JSON.parse(text);
    if (!isStoredOfferCode(parsed)) return null;
    if (parsed.expiresAtMs <= nowMs) {
      storage.removeItem(OFFER_CODE_KEY);
      return null;
    }
    return parsed;
  } catch {
    return null;
  }
}

/** Forgets the stored code (after an order used it). */
export function clearOfferCode(storage: CodeStorage | null): void {
  try {
    storage?.removeItem(OFFER_CODE_KEY);
  } catch {
    // Nothing to do: a code that stays behind is refused as used at the next checkout.
  }
}
