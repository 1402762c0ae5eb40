import { describe, expect, it } from 'vitest';
import { createIdentityMemory } from './identity-memory.js';
import { loadReconcileSettings } from './settings.js';
import { createSettleQueue } from './settle-queue.js';

describe('the settle queue', () => {
  it('holds a digest until it settles, then retries while the server lacks its last event, up to the wait', () => {
    const queue = createSettleQueue<string>({ settleMs: 10_000, maxWaitMs: 30_000, retryMs: 2_000 });
    queue.add('a', 0);
    queue.add('b', 5_000);
    expect(queue.takeDue(9_999, 10)).toEqual([]);
    const [a] = queue.takeDue(10_000, 10);
    expect(a?.item).toBe('a');
    expect(queue.retry(a as never, 10_000)).toBe(true);
    expect(queue.takeDue(11_999, 10)).toEqual([]);
    expect(queue.takeDue(15_000, 10).map((w) => w.item)).toEqual(['a', 'b']);
    // Past the wait: compare now, without the missing event.
    const late = { item: 'c', arrivedAtMs: 0, dueAtMs: 30_000, attempts: 3 };
    expect(queue.retry(late, 30_000)).toBe(false);
    expect(queue.size).toBe(0);
  });

  it('never schedules a retry past the end of the wait', () => {
    const queue = createSettleQueue<string>({ settleMs: 1_000, maxWaitMs: 3_000, retryMs: 2_000 });
    queue.add('a', 0);
    const [a] = queue.takeDue(2_500, 1);
    queue.retry(a as never, 2_500);
    expect(a?.dueAtMs).toBe(3_000);
  });

  it('keeps digests put back after a store failure, whatever their wait', () => {
    const queue = createSettleQueue<string>({ settleMs: 0, maxWaitMs: 0 });
    queue.add('a', 0);
    const [a] = queue.takeDue(0, 1);
    queue.putBack(a as never, 2_000);
    expect([...queue.items()]).toEqual(['a']);
    expect(queue.takeDue(2_000, 1).map((w) => w.item)).toEqual(['a']);
  });
});

describe('the identity memory', () => {
  it('notices a session seen under two user keys (a sign-in), and forgets the oldest sessions first', () => {
    const memory = createIdentityMemory(2);
    memory.note({ userKey: 'd1', sessionKey: 's1' });
    memory.note({ userKey: 'd1', sessionKey: 's1' });
    expect(memory.changed('s1')).toBe(false);
    memory.note({ userKey: 'ann', sessionKey: 's1' });
    expect(memory.changed('s1')).toBe(true);
    memory.note({ userKey: 'd2', sessionKey: 's2' });
    memory.note({ userKey: 'd3', sessionKey: 's3' });
    expect(memory.size).toBe(2);
    expect(memory.changed('s1')).toBe(false);
  });
});

describe('reconciler settings', () => {
  it('has defaults and refuses bad values by name', () => {
    expect(loadReconcileSettings({})).toEqual({
      enabled: true,
      driftTopic: 'tandem-drift',
      settleMs: 10_000,
      maxWaitMs: 60_000,
      maxAgeMs: 900_000,
    });
    expect(() => loadReconcileSettings({ RECONCILE: 'maybe' })).toThrow(/RECONCILE/);
    expect(() => loadReconcileSettings({ RECONCILE_SETTLE_MS: '-1' })).toThrow(/RECONCILE_SETTLE_MS/);
    expect(() => loadReconcileSettings({ RECONCILE_SETTLE_MS: '5000', RECONCILE_MAX_WAIT_MS: '1000' })).toThrow(
      /MAX_WAIT/,
    );
  });
});
