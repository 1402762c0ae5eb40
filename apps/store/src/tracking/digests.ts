/**
 * When the page sends the feature worker's digest (reconciliation, docs/decisions/0007): after a
 * quiet period without a tracked event (the server compares a digest with its lanes cut at the
 * digest's last event, and a session that has moved on can only be compared in a quiet moment),
 * when the page is hidden (the shopper may not come back), and shortly after the worker rebased on
 * the server (so the drift dashboard sees the gap close). The worker answers null when nothing
 * changed since the last digest, so extra asks cost nothing on the wire. Never throws.
 */
import type { FeatureDigest } from '@tandem/feature-core';

export interface DigestSchedulerOptions {
  /** Quiet period after a tracked event before a digest is sent, ms (the config's `digests.quietMs`). */
  readonly quietMs: number;
  /** Delay after a rebase, ms (default 500: the rebased values first reach the worker's snapshot). */
  readonly afterRebaseMs?: number;
  /** The worker's digest, or null when unchanged since the last one. */
  readonly take: () => Promise<FeatureDigest | null>;
  /** Tracks the digest (its own self-describing event). */
  readonly send: (digest: FeatureDigest) => void;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
  /** Told about every failure; default: the first one is logged, the rest are silent. */
  readonly onError?: (error: unknown) => void;
}

export interface DigestScheduler {
  /** A shopping event was tracked: (re)start the quiet period. */
  eventTracked(): void;
  /** The worker rebased on the server's lanes: send soon, unless a quiet period is already running. */
  rebased(): void;
  /** Send now if anything changed (the page is being hidden). */
  flush(): void;
  stop(): void;
}

/** Schedules digests; pure timing over injected timers, so fake timers test it. Never throws. */
export function createDigestScheduler(options: DigestSchedulerOptions): DigestScheduler {
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let logged = false;
  const onError =
    options.onError ??
    ((error: unknown) => {
      if (logged) return;
      logged = true;
      console.warn('[digests] sending a feature digest failed (further failures are not logged)', error);
    });
  let timer: unknown = null;
  /** Whether the pending timer is a quiet period (a rebase does not cut it short: the shopper is active). */
  let quietPending = false;
  let stopped = false;

  function cancel(): void {
    if (timer !== null) {
      try {
        clearTimer(timer);
      } catch (error) {
        onError(error);
      }
    }
    timer = null;
    quietPending = false;
  }

  function send(): void {
    timer = null;
    quietPending = false;
    if (stopped) return;
    // Through a promise so a synchronous throw of `take` (no worker) is caught like a rejection.
    Promise.resolve()
      .then(options.take)
      .then((digest) => {
        if (digest !== null && !stopped) options.send(digest);
      })
      .catch(onError);
  }

  function schedule(ms: number, quiet: boolean): void {
    if (stopped) return;
    cancel();
    try {
      timer = setTimer(send, ms);
      quietPending = quiet;
    } catch (error) {
      onError(error);
    }
  }

  return {
    eventTracked: () => schedule(options.quietMs, true),
    rebased() {
      if (!quietPending) schedule(options.afterRebaseMs ?? 500, false);
    },
    flush() {
      if (stopped) return;
      cancel();
      send();
    },
    stop() {
      stopped = true;
      cancel();
    },
  };
}

/** Whether a tracker payload is a digest (the scheduler must not restart its quiet period for it). */
export function isDigestPayload(payload: Readonly<Record<string, string>>): boolean {
  if (payload.e !== 'ue') return false;
  if (payload.ue_pr !== undefined) return payload.ue_pr.includes('com.tandem/feature_digest/');
  // Base64url of `"schema":"iglu:com.tandem/feature_digest/` at any of the three alignments is
  // unwieldy; decode instead (digests are small).
  const encoded = payload.ue_px;
  if (encoded === undefined) return false;
  try {
    return atob(encoded.replace(/-/g, '+').replace(/_/g, '/')).includes('com.tandem/feature_digest/');
  } catch {
    return false;
  }
}
