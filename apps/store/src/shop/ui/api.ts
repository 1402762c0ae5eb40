/** The browser's calls to the store's own API routes. Every failure is a result, never a throw. */
import type { CartChange, CartView } from '../cart';

export type ApiResult<T> =
  | { readonly ok: true; readonly data: T }
  | {
      readonly ok: false;
      readonly status: number;
      readonly message: string;
      readonly fieldErrors?: Record<string, string>;
    };

export async function callApi<T>(method: 'POST' | 'DELETE', url: string, body?: unknown): Promise<ApiResult<T>> {
  try {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const text = await response.text();
    const json = text === '' ? null : (JSON.parse(text) as unknown);
    if (response.ok) return { ok: true, data: json as T };
    const error = (json as { error?: { message?: string; fields?: Record<string, string> } } | null)?.error;
    return {
      ok: false,
      status: response.status,
      message: error?.message ?? `request failed (${response.status})`,
      ...(error?.fields ? { fieldErrors: error.fields } : {}),
    };
  } catch {
    return { ok: false, status: 0, message: 'The shop could not be reached. Check your connection and try again.' };
  }
}

/** Changes the server-side cart; answers the cart after the change. */
export function changeCart(change: CartChange): Promise<ApiResult<CartView>> {
  return callApi<CartView>('POST', '/api/cart', change);
}
