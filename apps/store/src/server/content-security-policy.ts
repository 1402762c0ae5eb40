/**
 * The store's Content Security Policy, built per request with a fresh nonce (proxy.ts). Pure.
 *
 * Everything comes from the store's own origin: its scripts, styles, images and fonts, the feature
 * worker (a same-origin script, so `worker-src 'self'`, no `blob:`), and every connection: the API
 * routes and the tracker's posts to the first-party collector path `/t`, which the store proxies to
 * the collector (so no collector origin appears here). Nothing may frame the shop, no plugins, no
 * `<base>` elsewhere, forms post only to the shop.
 *
 * Scripts: Next.js inlines its hydration data in `<script>` elements, so scripts need the request's
 * nonce, which Next.js reads from this header and puts on its own script tags; `'strict-dynamic'`
 * extends the trust to the chunks those scripts load. Styles: `'unsafe-inline'`, for styles only,
 * because React renders `style` attributes on the server (the drift dashboard's bars, recharts' SVG),
 * which a nonce cannot cover (nonces apply to elements, not attributes); injected CSS can restyle a
 * page but runs no code. In development `next dev` evaluates its modules with `eval` (React's error
 * stacks too): `'unsafe-eval'` then, and only then.
 */

export interface PolicyOptions {
  /** A fresh random value per response (base64, at least 128 bits). */
  readonly nonce: string;
  /** `next dev`: adds `'unsafe-eval'` to script-src. */
  readonly development: boolean;
}

/** A nonce that can sit in a header and a `'nonce-…'` source: base64 characters only. */
const NONCE_SHAPE = /^[A-Za-z0-9+/]{22,}={0,2}$/;

/** The policy's directives, in order, as [name, sources]. Throws on a malformed nonce. */
export function policyDirectives({ nonce, development }: PolicyOptions): [string, string[]][] {
  if (!NONCE_SHAPE.test(nonce)) throw new Error('CSP nonce must be base64 of at least 16 random bytes');
  return [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(development ? ["'unsafe-eval'"] : [])]],
    ['style-src', ["'self'", "'unsafe-inline'"]],
    ['img-src', ["'self'"]],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['worker-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
  ];
}

/** The `Content-Security-Policy` header value. */
export function contentSecurityPolicy(options: PolicyOptions): string {
  return policyDirectives(options)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** A nonce of 16 random bytes, base64 (Web Crypto: the proxy runs in Node and edge runtimes alike). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
