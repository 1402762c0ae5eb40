import { describe, expect, it } from 'vitest';
import { isAfter, isTileInWindow, oldestTileInWindow, tileIndex, tileLeavesAtMs, WINDOWS } from './windows.js';

const [fiveMinutes, oneHour, oneDay] = WINDOWS as [(typeof WINDOWS)[0], (typeof WINDOWS)[0], (typeof WINDOWS)[0]];

describe('tiled windows', () => {
  it('are 30 × 10 s, 60 × 1 min and 96 × 15 min, as FEATURES.md defines them', () => {
    expect(WINDOWS.map((w) => [w.id, w.tileMs * w.tiles])).toEqual([
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['24h', 86_400_000],
    ]);
    expect([fiveMinutes.tileMs, oneHour.tileMs, oneDay.tileMs]).toEqual([10_000, 60_000, 900_000]);
  });

  it('an event exactly at t − w is out, at t is in (epoch-aligned tiles)', () => {
    const t = 1_772_445_600_000; // a tile boundary of every window
    for (const w of WINDOWS) {
      const length = w.tileMs * w.tiles;
      expect(isTileInWindow(tileIndex(t, w.tileMs), t, w)).toBe(true);
      expect(isTileInWindow(tileIndex(t - length, w.tileMs), t, w)).toBe(false);
      // At a tile boundary the window covers [t − w + tile, t + tile): membership is by whole tiles.
      expect(isTileInWindow(tileIndex(t - length + w.tileMs - 1, w.tileMs), t, w)).toBe(false);
      expect(isTileInWindow(tileIndex(t - length + w.tileMs, w.tileMs), t, w)).toBe(true);
      // A future event is not in the window yet.
      expect(isTileInWindow(tileIndex(t + w.tileMs, w.tileMs), t, w)).toBe(false);
    }
  });

  it('membership is by tile: an event early in a tile stays in until the whole tile leaves', () => {
    const eventMs = 1_772_445_600_000 + 1; // 1 ms into a 10 s tile
    const index = tileIndex(eventMs, fiveMinutes.tileMs);
    const leaves = tileLeavesAtMs(index, fiveMinutes);
    expect(leaves).toBe(1_772_445_600_000 + 300_000);
    expect(isTileInWindow(index, leaves - 1, fiveMinutes)).toBe(true);
    expect(isTileInWindow(index, leaves, fiveMinutes)).toBe(false);
    expect(oldestTileInWindow(leaves, fiveMinutes)).toBe(index + 1);
  });

  it('orders events by time, then event id', () => {
    expect(isAfter(2, 'a', 1, 'z')).toBe(true);
    expect(isAfter(1, 'b', 1, 'a')).toBe(true);
    expect(isAfter(1, 'a', 1, 'a')).toBe(false);
    expect(isAfter(1, 'z', 2, 'a')).toBe(false);
  });
});
