/**
 * ensureSystemPackage without touching the machine's packages: a binary on PATH is found; as root a
 * missing one is installed through apt-get (a stand-in script that records its calls); not root, it
 * stops with the exact install line; without apt-get, with a clear error.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  CHROMIUM_EXECUTABLE,
  ensureSystemPackage,
  findExecutable,
  SystemPackageError,
} from './system-packages.js';

let dir: string;
/** A stand-in apt-get (in `fake`) that records its calls and "installs" `<package>-bin` into `bin`. */
let fake: string;
let bin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-system-packages-'));
  writeFileSync(join(dir, 'tandem-tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'tandem-tool'), 0o755);
  writeFileSync(join(dir, 'not-executable'), 'data');
  // An apt-get that must never run: the tests below stop before installing.
  mkdirSync(join(dir, 'debian'));
  writeFileSync(join(dir, 'debian', 'apt-get'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(dir, 'debian', 'apt-get'), 0o755);
  fake = join(dir, 'fake-apt');
  bin = join(dir, 'fake-bin');
  mkdirSync(fake);
  mkdirSync(bin);
  writeFileSync(
    join(fake, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$DEBIAN_FRONTEND $*" >> ${join(dir, 'apt-calls')}`,
      `if [ "$1" = install ]; then printf '#!/bin/sh\\n' > ${bin}/"$4"-bin; chmod +x ${bin}/"$4"-bin; fi`,
      '',
    ].join('\n'),
  );
  chmodSync(join(fake, 'apt-get'), 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const MISSING = { binary: 'tandem-no-such-binary', debianPackage: 'tandem-no-such-package', why: 'for this test' };

describe('ensureSystemPackage', () => {
  it('returns the path of a binary on PATH without installing anything', async () => {
    const lines: string[] = [];
    const path = await ensureSystemPackage(
      { binary: 'tandem-tool', debianPackage: 'unused', why: 'for this test' },
      { path: `/nonexistent:${dir}`, isRoot: () => true, log: (line) => lines.push(line) },
    );
    expect(path).toBe(join(dir, 'tandem-tool'));
    expect(lines).toEqual([]);
  });

  it('skips files that are not executable', () => {
    expect(findExecutable('not-executable', dir)).toBeUndefined();
    expect(findExecutable('sh')).toMatch(/\/sh$/);
  });

  it('as root, says what it installs and why, runs apt-get update once, then install', async () => {
    const lines: string[] = [];
    const environment = { path: `${fake}:${bin}`, isRoot: () => true, log: (line: string) => lines.push(line) };
    for (const name of ['one', 'two']) {
      const path = await ensureSystemPackage(
        { binary: `${name}-bin`, debianPackage: name, why: 'for this test' },
        environment,
      );
      expect(path).toBe(join(bin, `${name}-bin`));
    }
    expect(readFileSync(join(dir, 'apt-calls'), 'utf8').trim().split('\n')).toEqual([
      'noninteractive update',
      'noninteractive install -y --no-install-recommends one',
      'noninteractive install -y --no-install-recommends two',
    ]);
    expect(lines[0]).toBe('installing the Debian package one with apt-get (provides `one-bin`, needed for this test)');
    // Installed once, found afterwards without apt-get.
    expect(await ensureSystemPackage({ binary: 'one-bin', debianPackage: 'one', why: 'x' }, environment)).toBe(
      join(bin, 'one-bin'),
    );
    expect(readFileSync(join(dir, 'apt-calls'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('reports a package that does not provide the binary', async () => {
    const error = await ensureSystemPackage(
      { binary: 'never-provided', debianPackage: 'three', why: 'for this test' },
      { path: `${fake}:${bin}`, isRoot: () => true, log: () => {} },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'install_failed' });
    expect((error as Error).message).toMatch(/installed three but `never-provided` is still not on PATH/);
  });

  it('stops with the exact install line when not root', async () => {
    const path = `${dir}:${join(dir, 'debian')}`;
    const error = await ensureSystemPackage(MISSING, { path, isRoot: () => false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemPackageError);
    expect(error).toMatchObject({
      code: 'missing_package',
      installCommand: 'sudo apt-get install -y tandem-no-such-package',
      retryable: false,
    });
    const message = (error as Error).message;
    expect(message).toMatch(/`tandem-no-such-binary` is not installed; Tandem needs it for this test/);
    expect(message.split('\n').at(-1)).toBe('sudo apt-get install -y tandem-no-such-package');
  });

  it('stops with a clear error, root or not, when apt-get is not available (not Debian)', async () => {
    for (const isRoot of [() => true, () => false]) {
      const error = await ensureSystemPackage(MISSING, { path: dir, isRoot, log: () => {} }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'no_package_manager' });
    }
    const error = await ensureSystemPackage(MISSING, { path: dir, isRoot: () => true, log: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'no_package_manager' });
    expect((error as Error).message).toMatch(
      /apt-get is not available.*sudo apt-get install -y tandem-no-such-package/,
    );
  });
});

describe('CHROMIUM', () => {
  it("is Debian's chromium package, whose binary the browser tests launch", async () => {
    expect(CHROMIUM).toMatchObject({ binary: 'chromium', debianPackage: 'chromium' });
    expect(CHROMIUM_EXECUTABLE).toBe('/usr/bin/chromium');
    // Not root: the exact line for the person at the terminal, with the reason.
    const error = await ensureSystemPackage(CHROMIUM, {
      path: `${dir}:${join(dir, 'debian')}`,
      isRoot: () => false,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'missing_package', installCommand: 'sudo apt-get install -y chromium' });
    expect((error as Error).message).toMatch(/`chromium` is not installed; Tandem needs it for the browser tests/);
  });
});
