/**
 * Next.js proxy (the file convention that replaced `middleware.ts` in Next.js 16): gives every page
 * response the store's Content Security Policy with a fresh nonce. The policy also goes on the
 * request, where Next.js reads the nonce and puts it on its own script tags. Rules and reasons:
 * src/server/content-security-policy.ts.
 */
import { type NextRequest, NextResponse } from 'next/server';
import { contentSecurityPolicy, newNonce } from './src/server/content-security-policy';

export function proxy(request: NextRequest): NextResponse {
  const policy = contentSecurityPolicy({ nonce: newNonce(), development: process.env.NODE_ENV === 'development' });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: not the API, the collector proxy (/t), schemas, images or Next's static files,
      // which are not documents. Prefetches skip it too (Next.js docs: they need no nonce).
      source: '/((?!api/|t/|iglu/|images/|_next/static|_next/image|icon.svg|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
