/**
 * Consent in the browser: saving a choice (through `POST /api/consent`, which also expires the
 * Snowplow cookies, the collector's HttpOnly `sp` among them) and deleting what tracking left in this
 * browser after a withdrawal or a move to anonymous statistics: the feature worker's IndexedDB
 * database and the tracker's storage.
 */
import { DATABASE_NAME } from '../features/persistence.js';
import { type ConsentChoice, isSnowplowCookie, isSnowplowStorageKey } from './model.js';

/** The DOM event a consent management platform dispatches on `window`: `detail` is the choice. */
export const CONSENT_EVENT = 'tandem:consent';

/** Stores the choice on the server (the cookie); rejects with a message the banner can show. */
export async function saveConsentChoice(choice: ConsentChoice): Promise<void> {
  let response: Response;
  try {
    response = await fetch('/api/consent', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ choice }),
    });
  } catch {
    throw new Error('The shop could not be reached: your choice was not saved.');
  }
  if (!response.ok) throw new Error(`Your choice was not saved (the shop answered ${response.status}).`);
}

/** Resolves when `request` succeeds, fails or is blocked, or after `timeoutMs`: deleting never hangs the page. */
function settled(request: IDBOpenDBRequest, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    request.onsuccess = done;
    request.onerror = done;
  });
}

/**
 * Deletes what tracking stored in this browser: the feature database (the worker's connection closes
 * when asked, see persistence.ts; a delete still blocked by another tab completes when that tab
 * goes), the tracker's queue and ids in local and session storage, and the tracker's cookies as far
 * as a page can reach them (the server expired them already). Never throws.
 */
export async function eraseTrackingData(timeoutMs = 3_000): Promise<void> {
  for (const storage of [globalThis.localStorage, globalThis.sessionStorage]) {
    try {
      for (const key of Object.keys(storage ?? {})) if (isSnowplowStorageKey(key)) storage.removeItem(key);
    } catch {
      // Storage disabled: nothing was stored there either.
    }
  }
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0]?.trim() ?? '';
    // A tab still tracking while another withdrew may have written them again after the server expired them.
    // biome-ignore lint/suspicious/noDocumentCookie: the tracker wrote these through document.cookie too; the Cookie Store API is not in every browser.
    if (isSnowplowCookie(name)) document.cookie = `${name}=; Path=/; Max-Age=0; SameSite=Lax; Secure`;
  }
  if (typeof indexedDB === 'undefined') return;
  try {
    await settled(indexedDB.deleteDatabase(DATABASE_NAME), timeoutMs);
  } catch (error) {
    console.warn('[consent] could not delete the feature database', error);
  }
}
