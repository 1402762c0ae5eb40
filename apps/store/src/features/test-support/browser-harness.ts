/**
 * The machinery that puts the store's real tracking layer and real feature worker in Debian's
 * Chromium, shared by src/features/browser.test.ts and bench/browser.ts: esbuild bundles a page script
 * and the worker, a local HTTP server serves them (the worker at `/feature.worker.ts`, where client.ts's
 * `new URL('./feature.worker.ts', import.meta.url)` points from `/page.js`) beside a fake collector that
 * answers every POST under the collector path with 200, and Playwright launches Chromium.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_EXECUTABLE, CHROMIUM_LAUNCH_ARGS } from '@tandem/infra/system-packages';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

/** The store's feature worker entry (what the page's client spawns). */
export const WORKER_ENTRY = fileURLToPath(new URL('../feature.worker.ts', import.meta.url));
/** The collector path of the fake collector: the page's tracker sends to `${origin}${COLLECTOR_PATH}`. */
export const COLLECTOR_PATH = '/t';
/** Null when Chromium is there; otherwise what to do about it. */
export const CHROMIUM_MISSING = existsSync(CHROMIUM_EXECUTABLE)
  ? null
  : `${CHROMIUM_EXECUTABLE} is missing: run \`npm run bootstrap\` (it installs the chromium package), then again.`;

export interface BundleOptions {
  /** Minified production build (`process.env.NODE_ENV` = "production"), as a real build ships. */
  readonly production?: boolean;
  /** Extra esbuild options (metafile, external, ...). */
  readonly esbuild?: BuildOptions;
}

export interface Bundle {
  readonly text: string;
  readonly metafile: Metafile | undefined;
}

/** Bundles one browser entry (ESM, chrome120, feature-core from its TypeScript source). */
export async function bundleBrowserScript(entry: string, options: BundleOptions = {}): Promise<Bundle> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['tandem-source'],
    logLevel: 'silent',
    ...(options.production ? { minify: true, define: { 'process.env.NODE_ENV': '"production"' } } : {}),
    ...options.esbuild,
  });
  return { text: out.outputFiles?.[0]?.text ?? '', metafile: out.metafile };
}

/** Bundles the text of one entry (the unminified development form the tests use). */
export async function bundle(entry: string): Promise<string> {
  return (await bundleBrowserScript(entry)).text;
}

export interface PageServerOptions {
  readonly pageJs: string;
  readonly workerJs: string;
  /** Every event the fake collector receives (a POST body's `data`), as POSTed. */
  readonly onEvents?: (events: Record<string, string>[]) => void;
  /** Further scripts by path (`/baseline.worker.js`). */
  readonly scripts?: Readonly<Record<string, string>>;
  /** Headers on every answer (e.g. COOP/COEP for a cross-origin-isolated page). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Answers a request first when it returns true (e.g. `/api/features/state`). */
  readonly route?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}

export interface PageServer {
  readonly server: Server;
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves the page, its scripts and the fake collector on a free port of 127.0.0.1. */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tandem features</title>' +
    '<script type="module" src="/page.js"></script></head><body><h1>Tandem</h1></body></html>';
  const common = options.headers ?? {};
  const js = { ...common, 'Content-Type': 'text/javascript; charset=utf-8' };
  const scripts: Record<string, string> = {
    ...options.scripts,
    '/page.js': options.pageJs,
    '/feature.worker.ts': options.workerJs,
  };
  const srv = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.route?.(req, res, path)) return;
    if (req.method === 'POST' && path.startsWith(`${COLLECTOR_PATH}/`)) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Record<string, string>[] };
          options.onEvents?.(body.data);
        } catch {
          // A malformed body is still answered 200, as a collector does.
        }
        res.writeHead(200, common).end();
      });
    } else if (scripts[path] !== undefined) res.writeHead(200, js).end(scripts[path]);
    else if (path === '/favicon.ico') res.writeHead(204, common).end();
    else res.writeHead(200, { ...common, 'Content-Type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  return {
    server: srv,
    origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      }),
  };
}

/** Debian's Chromium, headless, with the project's launch arguments. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: [...CHROMIUM_LAUNCH_ARGS, ...extraArgs] });
}
