import { describe, expect, it, vi } from 'vitest';
import { createFeedPlugin, type SentPayload, toSentPayload } from './feed-plugin.js';
import { isDoNotTrack } from './tracker.js';

/** The slice of the tracker's PayloadBuilder the plugin uses. */
function builder(fields: Record<string, unknown>) {
  return {
    getPayload: () => fields,
    add: (key: string, value: unknown) => {
      fields[key] = value;
    },
  };
}

describe('feed plugin', () => {
  it('gives an event without a true timestamp its device-created time as ttm', () => {
    const plugin = createFeedPlugin({ sink: () => {}, isSent: () => true, now: () => 42 });
    const fields: Record<string, unknown> = { e: 'pp', dtm: '1764300000000' };
    plugin.beforeTrack?.(builder(fields) as never);
    expect(fields.ttm).toBe('1764300000000');
  });

  it('keeps a true timestamp the call set, and falls back to now without dtm', () => {
    const plugin = createFeedPlugin({ sink: () => {}, isSent: () => true, now: () => 1764300000123 });
    const withTtm: Record<string, unknown> = { e: 'ue', ttm: '1764300000001' };
    plugin.beforeTrack?.(builder(withTtm) as never);
    expect(withTtm.ttm).toBe('1764300000001');
    const bare: Record<string, unknown> = { e: 'ue' };
    plugin.beforeTrack?.(builder(bare) as never);
    expect(bare.ttm).toBe('1764300000123');
  });

  it('hands the finished payload, as wire strings, to the sink only when the tracker sends it', () => {
    const seen: SentPayload[] = [];
    let sending = true;
    const plugin = createFeedPlugin({ sink: (p) => seen.push(p), isSent: () => sending });
    plugin.afterTrack?.({ e: 'pv', eid: 'id-1', ttm: '1', cd: 24, cookie: true });
    sending = false; // Do Not Track: afterTrack still runs, nothing is sent
    plugin.afterTrack?.({ e: 'pv', eid: 'id-2', ttm: '2' });
    expect(seen).toEqual([{ e: 'pv', eid: 'id-1', ttm: '1', cd: '24', cookie: 'true' }]);
  });

  it('never throws into the tracker: a failing sink is reported', () => {
    const onError = vi.fn();
    const plugin = createFeedPlugin({
      sink: () => {
        throw new Error('worker gone');
      },
      isSent: () => true,
      onError,
    });
    expect(() => plugin.afterTrack?.({ e: 'pv', eid: 'x' })).not.toThrow();
    expect(onError).toHaveBeenCalledOnce();
  });

  it('toSentPayload drops absent values', () => {
    expect(toSentPayload({ a: 'x', b: undefined, c: null, d: 1.5 })).toEqual({ a: 'x', d: '1.5' });
  });
});

describe('isDoNotTrack', () => {
  it('reads the browser signal as the tracker does', () => {
    expect(isDoNotTrack({ navigator: { doNotTrack: '1' } })).toBe(true);
    expect(isDoNotTrack({ navigator: { doNotTrack: null }, doNotTrack: 'yes' })).toBe(true);
    expect(isDoNotTrack({ navigator: { doNotTrack: null } })).toBe(false);
    expect(isDoNotTrack({})).toBe(false);
  });
});
