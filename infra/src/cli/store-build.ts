/**
 * Which build of the store the stack serves (`next start` serves the last `next build` of its dist
 * dir): NEXT_DIST_DIR names the dist dir under apps/store (default `.next`, what `npm start` serves;
 * `npm test`'s end-to-end stage uses `.next-e2e`), and STACK_STORE_BUILD says whether the stack may
 * build it: `auto` (default) builds when there is no build or the sources changed since, `never`
 * serves the build that is there (the end-to-end stage built it a moment ago and must not have it
 * rebuilt because another file was touched meanwhile) and refuses to start without one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type StoreBuildMode = 'auto' | 'never';

export interface StoreBuildSettings {
  /** Dist dir relative to the store's folder, e.g. `.next`. */
  readonly distDir: string;
  readonly mode: StoreBuildMode;
}

/** Reads NEXT_DIST_DIR and STACK_STORE_BUILD; throws on a value it does not know. */
export function storeBuildSettings(env: NodeJS.ProcessEnv = process.env): StoreBuildSettings {
  const distDir = env.NEXT_DIST_DIR?.trim() || '.next';
  if (distDir.includes('/') || distDir.includes('\\') || !distDir.startsWith('.next')) {
    throw new Error(
      `NEXT_DIST_DIR must name a folder of apps/store starting with .next (e.g. .next-e2e), got ${distDir}`,
    );
  }
  const mode = env.STACK_STORE_BUILD?.trim() || 'auto';
  if (mode !== 'auto' && mode !== 'never') {
    throw new Error(`STACK_STORE_BUILD must be auto or never, got ${mode}`);
  }
  return { distDir, mode };
}

/** Newest modification time (ms) of the files under `path` (0 when absent), skipping tests and build output. */
export function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.test\.tsx?$/.test(path) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.next')) continue;
    newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  }
  return newest;
}

export type StoreBuildDecision =
  | { readonly action: 'serve'; readonly reason: string }
  | { readonly action: 'build'; readonly reason: string };

/**
 * Whether to build before serving: `storeDir/<distDir>/BUILD_ID` is the last build's time, `sources`
 * the files and folders whose changes make it stale.
 *
 * @throws Error with mode `never` when there is no build to serve
 */
export function decideStoreBuild(
  storeDir: string,
  sources: readonly string[],
  settings: StoreBuildSettings,
): StoreBuildDecision {
  const buildIdPath = join(storeDir, settings.distDir, 'BUILD_ID');
  const builtAt = existsSync(buildIdPath) ? statSync(buildIdPath).mtimeMs : 0;
  if (settings.mode === 'never') {
    if (builtAt === 0) {
      throw new Error(
        `STACK_STORE_BUILD=never and there is no build in apps/store/${settings.distDir}: ` +
          `run NEXT_DIST_DIR=${settings.distDir} npm run build -w @tandem/store first`,
      );
    }
    return { action: 'serve', reason: `serving the existing build in ${settings.distDir} (STACK_STORE_BUILD=never)` };
  }
  if (builtAt === 0)
    return { action: 'build', reason: `no build yet in ${settings.distDir}: npm run build -w @tandem/store` };
  const changedAt = Math.max(...sources.map(newestMtimeMs));
  if (builtAt >= changedAt) return { action: 'serve', reason: `the build in ${settings.distDir} is up to date` };
  return { action: 'build', reason: `sources changed since the last build in ${settings.distDir}: rebuilding` };
}
