/** Which store build the stack serves: NEXT_DIST_DIR and STACK_STORE_BUILD (store-build.ts). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideStoreBuild, storeBuildSettings } from './store-build.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store folder with `src/page.tsx` written at `sourceAt` and, when given, a build at `builtAt` (epoch s). */
function storeDir(sourceAt: number, build?: { distDir: string; builtAt: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-store-build-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'page.tsx'), 'export {};\n');
  utimesSync(join(dir, 'src', 'page.tsx'), sourceAt, sourceAt);
  if (build !== undefined) {
    mkdirSync(join(dir, build.distDir));
    writeFileSync(join(dir, build.distDir, 'BUILD_ID'), 'x');
    utimesSync(join(dir, build.distDir, 'BUILD_ID'), build.builtAt, build.builtAt);
  }
  return dir;
}

describe('storeBuildSettings', () => {
  it('defaults to .next, built when stale (what npm start does)', () => {
    expect(storeBuildSettings({})).toEqual({ distDir: '.next', mode: 'auto' });
    expect(storeBuildSettings({ NEXT_DIST_DIR: ' ', STACK_STORE_BUILD: '' })).toEqual({
      distDir: '.next',
      mode: 'auto',
    });
  });

  it('reads NEXT_DIST_DIR and STACK_STORE_BUILD=never', () => {
    expect(storeBuildSettings({ NEXT_DIST_DIR: '.next-e2e', STACK_STORE_BUILD: 'never' })).toEqual({
      distDir: '.next-e2e',
      mode: 'never',
    });
  });

  it('refuses a dist dir outside the store folder and an unknown mode', () => {
    expect(() => storeBuildSettings({ NEXT_DIST_DIR: '../.next' })).toThrow(/NEXT_DIST_DIR/);
    expect(() => storeBuildSettings({ NEXT_DIST_DIR: 'build' })).toThrow(/NEXT_DIST_DIR/);
    expect(() => storeBuildSettings({ STACK_STORE_BUILD: 'always' })).toThrow(/STACK_STORE_BUILD/);
  });
});

describe('decideStoreBuild', () => {
  const auto = { distDir: '.next', mode: 'auto' } as const;
  const never = { distDir: '.next-e2e', mode: 'never' } as const;

  it('auto: builds when there is no build or the sources are newer, serves an up-to-date one', () => {
    const missing = storeDir(1_000);
    expect(decideStoreBuild(missing, [join(missing, 'src')], auto).action).toBe('build');
    const stale = storeDir(2_000, { distDir: '.next', builtAt: 1_000 });
    expect(decideStoreBuild(stale, [join(stale, 'src')], auto).action).toBe('build');
    const fresh = storeDir(1_000, { distDir: '.next', builtAt: 2_000 });
    expect(decideStoreBuild(fresh, [join(fresh, 'src')], auto).action).toBe('serve');
  });

  it('looks at the named dist dir only', () => {
    const dir = storeDir(1_000, { distDir: '.next-e2e', builtAt: 2_000 });
    expect(decideStoreBuild(dir, [join(dir, 'src')], auto).action).toBe('build');
    expect(decideStoreBuild(dir, [join(dir, 'src')], { distDir: '.next-e2e', mode: 'auto' }).action).toBe('serve');
  });

  it('never: serves a build even when sources are newer, and fails without one', () => {
    const stale = storeDir(2_000, { distDir: '.next-e2e', builtAt: 1_000 });
    expect(decideStoreBuild(stale, [join(stale, 'src')], never)).toMatchObject({ action: 'serve' });
    const missing = storeDir(1_000);
    expect(() => decideStoreBuild(missing, [join(missing, 'src')], never)).toThrow(
      /no build in apps\/store\/\.next-e2e/,
    );
  });
});
