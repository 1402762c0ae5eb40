import type { FeatureDigest } from '@tandem/feature-core';
import { describe, expect, it, vi } from 'vitest';
import { createDigestScheduler, isDigestPayload } from './digests.js';

const DIGEST = { v: 'v', u: 'u', s: 's', e: 'e', n: 1, h: '0', t: 0, x: '0', f: {} } as FeatureDigest;

function scheduler(take: () => Promise<FeatureDigest | null> = async () => DIGEST) {
  const sent: FeatureDigest[] = [];
  const digests = createDigestScheduler({ quietMs: 5_000, afterRebaseMs: 500, take, send: (d) => sent.push(d) });
  return { digests, sent };
}

describe('the digest scheduler', () => {
  it('sends once the shopper has been quiet for the quiet period, not during a burst', async () => {
    vi.useFakeTimers();
    try {
      const { digests, sent } = scheduler();
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(4_000);
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(4_999);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toEqual([DIGEST]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends at once when flushed (page hidden) and soon after a rebase; nothing when the worker says unchanged', async () => {
    vi.useFakeTimers();
    try {
      let answer: FeatureDigest | null = DIGEST;
      const { digests, sent } = scheduler(async () => answer);
      digests.eventTracked();
      digests.flush();
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(sent).toHaveLength(1);
      digests.rebased();
      await vi.advanceTimersByTimeAsync(500);
      expect(sent).toHaveLength(2);
      answer = null;
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(sent).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never throws when the worker fails, and stops for good', async () => {
    vi.useFakeTimers();
    try {
      const errors: unknown[] = [];
      const sent: FeatureDigest[] = [];
      const digests = createDigestScheduler({
        quietMs: 100,
        take: async () => {
          throw new Error('worker gone');
        },
        send: (d) => sent.push(d),
        onError: (e) => errors.push(e),
      });
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(100);
      expect(errors).toHaveLength(1);
      digests.stop();
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(errors).toHaveLength(1);
      expect(sent).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a running quiet period stand when a rebase lands (the shopper is mid-burst)', async () => {
    vi.useFakeTimers();
    try {
      const { digests, sent } = scheduler();
      digests.eventTracked();
      await vi.advanceTimersByTimeAsync(1_000);
      digests.rebased();
      await vi.advanceTimersByTimeAsync(3_999);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs the first failure only, a synchronous throw included', async () => {
    vi.useFakeTimers();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const digests = createDigestScheduler({
        quietMs: 100,
        take: () => {
          throw new Error('no worker');
        },
        send: () => {},
      });
      for (let i = 0; i < 3; i++) {
        digests.eventTracked();
        await vi.advanceTimersByTimeAsync(100);
      }
      digests.flush();
      await vi.advanceTimersByTimeAsync(0);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      vi.useRealTimers();
    }
  });
});

describe('recognising a digest payload', () => {
  const envelope = JSON.stringify({
    schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
    data: { schema: 'iglu:com.tandem/feature_digest/jsonschema/1-0-0', data: DIGEST },
  });
  it('in plain or base64url form, and not other self-describing events', () => {
    expect(isDigestPayload({ e: 'ue', ue_pr: envelope })).toBe(true);
    expect(isDigestPayload({ e: 'ue', ue_px: Buffer.from(envelope).toString('base64url') })).toBe(true);
    expect(isDigestPayload({ e: 'ue', ue_pr: envelope.replace('com.tandem/feature_digest', 'com.acme/x') })).toBe(
      false,
    );
    expect(isDigestPayload({ e: 'pv' })).toBe(false);
    expect(isDigestPayload({ e: 'ue', ue_px: '%%%' })).toBe(false);
  });
});
