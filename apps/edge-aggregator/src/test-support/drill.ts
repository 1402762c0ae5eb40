/**
 * Shared by the fault drills (crash.test.ts, collector-restart.drill.test.ts): the drill size, and the
 * comparison of Redis with a clean run of the same enriched lines.
 *
 * `npm test` runs the short drills; `npm run drill` (scripts/drill.mjs) runs the same files with
 * DRILL_SCALE=full, which the drills read through `drillScale` to run longer traffic with more kills.
 */
import { expectedKeyValues, type TestStack } from './harness.js';

/** Whether this run is the full drill (`DRILL_SCALE=full`, as `npm run drill` sets) or the short one. */
export function isFullDrill(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.DRILL_SCALE === 'full';
}

/** `short` in `npm test`, `full` under `npm run drill`. */
export function drillScale<T>(short: T, full: T): T {
  return isFullDrill() ? full : short;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What differs between Redis and the clean run (at most a few examples), or null when equal. */
export function difference(actual: Record<string, string>, expected: Record<string, string>): string | null {
  const wrong: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (actual[key] !== value) wrong.push(`${key}: ${actual[key] ?? '(absent)'} ≠ ${value}`);
  }
  for (const key of Object.keys(actual)) if (!(key in expected)) wrong.push(`${key}: extra ${actual[key]}`);
  return wrong.length === 0 ? null : `${wrong.length} differences, e.g.\n${wrong.slice(0, 8).join('\n')}`;
}

/** The feature fields each hash should hold, from the expected string keys (`user:u:f` → `features:user:u` f). */
export function hashesOf(strings: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(strings)) {
    const [kind, ...rest] = key.split(':');
    const field = rest.pop() as string;
    out[`features:${kind}:${rest.join(':')} ${field}`] = value;
  }
  return out;
}

/** Every hash's feature fields (meta fields `_v`, `_events`, ... aside), as `hashKey field` → value. */
export async function readHashFields(stack: TestStack): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [hashKey, fields] of Object.entries(await stack.readHashes())) {
    for (const [field, value] of Object.entries(fields)) if (!field.startsWith('_')) out[`${hashKey} ${field}`] = value;
  }
  return out;
}

/**
 * Waits until Redis equals the clean run of `lines` as of the moment it is read: the string keys and
 * the hashes. Values move at tile boundaries, so each comparison uses the expected values at its own
 * read time, and only reads within one 10-second tile count; it must match exactly once.
 *
 * @returns null once equal, else the last difference seen when `timeoutMs` ran out
 */
export async function settlesToCleanRun(
  stack: TestStack,
  lines: readonly string[],
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = 'never compared';
  while (Date.now() < deadline) {
    const before = Date.now();
    const strings = await stack.readStrings();
    const hashes = await readHashFields(stack);
    const after = Date.now();
    if (Math.floor(before / 10_000) === Math.floor(after / 10_000)) {
      const expected = expectedKeyValues(lines, after);
      last = difference(strings, expected) ?? difference(hashes, hashesOf(expected));
      if (last === null) return null;
    }
    await sleep(1_000);
  }
  return last;
}
