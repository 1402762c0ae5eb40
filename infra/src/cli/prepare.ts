/**
 * Installs what the local infrastructure needs and is missing: the Kafka broker's jars (Maven
 * Central) and the system packages (Debian). Run by scripts/bootstrap.mjs after the npm install, so
 * `npm start` and `npm test` work on a fresh clone. Idempotent: a second run only checks.
 *
 *   npx tsx infra/src/cli/prepare.ts [--help]
 */
import { spawnSync } from 'node:child_process';
import { ensureKafkaJars } from '../kafka.js';
import { CHROMIUM, CHROMIUM_EXECUTABLE, ensureSystemPackage } from '../system-packages.js';

const USAGE = `Usage: npx tsx infra/src/cli/prepare.ts [--help]

Installs what the local stack and the tests need when it is missing:
  java      checks that a Java runtime (17+) is on PATH, for the Kafka broker
  kafka     the Apache Kafka broker jars, copied from Maven Central into .cache/kafka/libs
  redis     redis-server (Debian package), which tests start on their own ports and npm start
            starts when no Redis answers at REDIS_URL
  chromium  chromium (Debian package, /usr/bin/chromium), the browser the browser tests drive with
            Playwright (Playwright's own browser download is not reachable here)

System packages are installed with apt-get (one \`apt-get update\` first) when running as root;
otherwise it stops and prints the exact \`sudo apt-get install\` line to run.`;

function log(line: string): void {
  console.log(`[prepare] ${line}`);
}

function checkJava(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'Java is not on PATH: the Kafka broker needs Java 17 or later (e.g. `apt-get install openjdk-17-jre-headless`)',
    );
  }
  const firstLine = `${result.stderr}${result.stdout}`.split('\n')[0] ?? '';
  const major = Number(/version "(\d+)/.exec(firstLine)?.[1] ?? 0);
  if (major < 17) throw new Error(`Kafka 4 needs Java 17 or later; found: ${firstLine}`);
  return firstLine.trim();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (args.length > 0) throw new Error(`unknown argument(s): ${args.join(' ')}\n\n${USAGE}`);
  log(`java: ${checkJava()}`);
  log(`kafka: jars in ${await ensureKafkaJars(log)}`);
  const redisServer = await ensureSystemPackage(
    {
      binary: 'redis-server',
      debianPackage: 'redis-server',
      why: 'to run Redis for the integration tests and for `npm start` when none is running',
    },
    { log },
  );
  log(`redis: ${redisServer}`);
  const chromium = await ensureSystemPackage(CHROMIUM, { log });
  log(`chromium: ${chromium} (${versionOf(chromium)})`);
  if (chromium !== CHROMIUM_EXECUTABLE) {
    log(`chromium: note: the browser tests launch ${CHROMIUM_EXECUTABLE}, not ${chromium} found on PATH`);
  }
}

/** The first line `binary --version` prints, for the log (the test suite records the version it ran with). */
function versionOf(binary: string): string {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) {
    throw new Error(
      `\`${binary} --version\` failed (${result.error?.message ?? `exit code ${result.status}`}): ${result.stderr}`.trim(),
    );
  }
  return result.stdout.trim().split('\n')[0] ?? '';
}

main().catch((error: unknown) => {
  console.error(`[prepare] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
