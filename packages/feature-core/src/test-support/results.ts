/** Helpers for tests that look at `Result`s. */
import type { Result } from '../result.js';

/** `'ok'` or the rejection reason: one string to compare in tables of cases. */
export function reasonOf(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.reason;
}

/** The value of an ok result; throws with the reason and detail otherwise. */
export function okValue<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected an event, got ${result.reason}: ${result.detail}`);
  return result.value;
}
