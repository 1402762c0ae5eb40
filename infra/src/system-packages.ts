/**
 * System packages the local stack needs (redis-server, chromium), found on PATH or installed with
 * apt-get. Nothing is installed silently: when running as root (as in CI and on this project's
 * machines) it says what it installs and why, then runs apt-get with its output on the terminal;
 * otherwise it stops with the exact install line for the person at the terminal to run.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Why a system package is unavailable; `retryable` says whether running the same thing again can help. */
export class SystemPackageError extends Error {
  override name = 'SystemPackageError';
  constructor(
    readonly code: 'missing_package' | 'no_package_manager' | 'install_failed',
    message: string,
    /** The command that installs the package, for the person at the terminal (e.g. `sudo apt-get install -y redis-server`). */
    readonly installCommand: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

export interface SystemPackageRequest {
  /** The executable to look for on PATH, e.g. `redis-server`. */
  binary: string;
  /** The Debian package that provides it, e.g. `redis-server`. */
  debianPackage: string;
  /** What the stack needs it for, shown before installing and in the error, e.g. `to run Redis locally`. */
  why: string;
}

/**
 * Debian's Chromium, for the browser tests (Playwright drives it through `executablePath`; Playwright's
 * own browser download cannot reach its servers from this project's machines). The Debian package
 * installs the binary at {@link CHROMIUM_EXECUTABLE}.
 */
export const CHROMIUM: SystemPackageRequest = {
  binary: 'chromium',
  debianPackage: 'chromium',
  why: "for the browser tests: Playwright drives it, as Playwright's own browser download is not reachable here",
};

/** Where Debian's `chromium` package puts the browser: the `executablePath` for Playwright. */
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/**
 * Launch arguments for Chromium here (ARCHITECTURE.md "Browser"): no sandbox as root, and none of the
 * background connections this machine's closed network would refuse. Playwright adds `--headless`.
 * (playwright.config.ts repeats them: Playwright loads its config without this repository's loader.)
 */
export const CHROMIUM_LAUNCH_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The outside world, replaceable in tests. */
export interface SystemPackageEnvironment {
  /** Whether this process may install packages; default: effective uid 0. */
  isRoot?: () => boolean;
  /** Progress lines; default `console.log` with a `[system-packages]` prefix. */
  log?: (line: string) => void;
  /** Search path; default `process.env.PATH`. */
  path?: string;
}

/** The absolute path of an executable file named `binary` in the search path, or undefined. */
export function findExecutable(binary: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here (or not executable): keep looking.
    }
  }
  return undefined;
}

function runApt(aptGet: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(aptGet, args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`apt-get ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

// One `apt-get update` per process: package lists fetched for the first package serve the next ones.
let aptUpdated: Promise<void> | undefined;

/**
 * The absolute path of `binary`, installing `debianPackage` with apt-get first when it is missing and
 * this process runs as root.
 *
 * @throws SystemPackageError `no_package_manager` when apt-get is absent (not Debian/Ubuntu),
 *   `missing_package` when not root (the message's last line is the exact install line),
 *   `install_failed` when apt-get fails or the package did not provide the binary.
 */
export async function ensureSystemPackage(
  request: SystemPackageRequest,
  environment: SystemPackageEnvironment = {},
): Promise<string> {
  const { binary, debianPackage, why } = request;
  const searchPath = environment.path ?? process.env.PATH ?? '';
  const found = findExecutable(binary, searchPath);
  if (found !== undefined) return found;

  const installCommand = `sudo apt-get install -y ${debianPackage}`;
  const aptGet = findExecutable('apt-get', searchPath);
  if (aptGet === undefined) {
    // Not Debian/Ubuntu (e.g. macOS): the Debian line is only a hint there.
    throw new SystemPackageError(
      'no_package_manager',
      `\`${binary}\` is not installed and apt-get is not available to install it; Tandem needs it ${why}. ` +
        `Install the package that provides \`${binary}\` with this system's package manager (on Debian/Ubuntu: ${installCommand}).`,
      installCommand,
    );
  }
  const isRoot = environment.isRoot ?? (() => process.getuid?.() === 0);
  if (!isRoot()) {
    throw new SystemPackageError(
      'missing_package',
      `\`${binary}\` is not installed; Tandem needs it ${why}. Install it, then run the command again:\n${installCommand}`,
      installCommand,
    );
  }

  const log = environment.log ?? ((line: string) => console.log(`[system-packages] ${line}`));
  log(`installing the Debian package ${debianPackage} with apt-get (provides \`${binary}\`, needed ${why})`);
  try {
    aptUpdated ??= runApt(aptGet, ['update']).catch((error: unknown) => {
      // A failed update must not be remembered as done: the next package tries again.
      aptUpdated = undefined;
      throw error;
    });
    await aptUpdated;
    await runApt(aptGet, ['install', '-y', '--no-install-recommends', debianPackage]);
  } catch (error) {
    throw new SystemPackageError(
      'install_failed',
      `installing ${debianPackage} failed: ${(error as Error).message}`,
      installCommand,
      true,
    );
  }
  const installed = findExecutable(binary, searchPath);
  if (installed === undefined) {
    throw new SystemPackageError(
      'install_failed',
      `apt-get installed ${debianPackage} but \`${binary}\` is still not on PATH (${searchPath})`,
      installCommand,
    );
  }
  log(`installed ${debianPackage}: ${installed}`);
  return installed;
}
