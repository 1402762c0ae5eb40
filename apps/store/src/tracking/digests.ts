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
  /** Quiet period after an event, ms. */
  readonly quietMs: number;
  /** Delay after a rebase, ms (the rebased values first reach the worker's snapshot). */
  readonly afterRebaseMs?: number;
  /** The worker's digest, or null when unchanged. */
  readonly take: () => Promise<FeatureDigest | null>;
  /** Tracks the digest (its own self-describing event). */
  readonly send: (digest: FeatureDigest) => void;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
  readonly onError?: (error: unknown) => void;
}

export interface DigestScheduler {
  /** A shopping event was tracked: (re)start the quiet period. */
  eventTracked(): void;
  /** The worker rebased on the server's lanes. */
  rebased(): void;
  /** Send now if anything changed (the page is being hidden). */
  flush(): void;
  stop(): void;
}

export function createDigestScheduler(options: DigestSchedulerOptions): DigestScheduler {
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const onError = options.onError ?? ((error: unknown) => console.warn('[digests]', error));
  let timer: unknown = null;
  let stopped = false;

  function send(): void {
    timer = null;
    if (stopped) return;
    options
      .take()
      .then((digest) => {
        if (digest !== null && !stopped) options.send(digest);
      })
      .catch(onError);
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer !== null) clearTimer(timer);
    timer = setTimer(send, ms);
  }

  return {
    eventTracked: () => schedule(options.quietMs),
    rebased: () => schedule(options.afterRebaseMs ?? 500),
    flush() {
      if (timer !== null) clearTimer(timer);
      send();
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
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
