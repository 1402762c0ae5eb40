import type { NextConfig } from 'next';

/**
 * NEXT_DIST_DIR lets a test build live beside the build `npm start` serves (`next build` empties its
 * dist dir): the end-to-end stage of `npm test` builds into `.next-e2e`.
 */
const config: NextConfig = {
  distDir: process.env.NEXT_DIST_DIR?.trim() || '.next',
  poweredByHeader: false,
  reactStrictMode: true,
  // Product images are small generated SVGs served by the store: nothing to optimise, no image host.
  images: { unoptimized: true },
  // `@tandem/infra` ships TypeScript sources (`.env.local` loading on the server).
  transpilePackages: ['@tandem/infra'],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
  experimental: {
    // The store's TypeScript imports name their target `./x.js` (ESM style); webpack maps that to
    // `./x.ts`. Turbopack has no such option yet (vercel/next.js#82945), hence `next build --webpack`.
    extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] },
  },
  webpack(webpackConfig: { module: { rules: unknown[] } }) {
    // `@tandem/infra/env-local` finds the repository root with `new URL('../..', import.meta.url)`:
    // a path at run time, not an asset for webpack to bundle.
    webpackConfig.module.rules.push({ test: /[\\/]infra[\\/]src[\\/]env-local\.ts$/, parser: { url: false } });
    return webpackConfig;
  },
};

export default config;
