/**
 * Tiled rolling windows (FEATURES.md "Windows are tiled"). A window is a fixed number of
 * epoch-aligned tiles; at evaluation time t an event is in the window when its tile is one of the
 * last `tiles` tiles up to and including t's tile. Values therefore change only when an event is
 * applied or when a tile boundary passes.
 */

export const WINDOW_IDS = ['5m', '1h', '24h'] as const;
export type WindowId = (typeof WINDOW_IDS)[number];

export interface WindowSpec {
  readonly id: WindowId;
  /** Tile length in ms. */
  readonly tileMs: number;
  /** Number of tiles in the window. */
  readonly tiles: number;
}

export const WINDOWS: readonly WindowSpec[] = [
  { id: '5m', tileMs: 10_000, tiles: 30 },
  { id: '1h', tileMs: 60_000, tiles: 60 },
  { id: '24h', tileMs: 15 * 60_000, tiles: 96 },
];

/** The longest window; it also bounds how long event ids are remembered for deduplication. */
export const LONGEST_WINDOW = WINDOWS[WINDOWS.length - 1] as WindowSpec;

/** Epoch-aligned tile index of a time. */
export function tileIndex(timeMs: number, tileMs: number): number {
  return Math.floor(timeMs / tileMs);
}

/** The oldest tile index still in the window at `atMs`. */
export function oldestTileInWindow(atMs: number, spec: WindowSpec): number {
  return tileIndex(atMs, spec.tileMs) - spec.tiles + 1;
}

/** Whether tile `index` is in the window evaluated at `atMs` (future tiles are not, yet). */
export function isTileInWindow(index: number, atMs: number, spec: WindowSpec): boolean {
  const current = tileIndex(atMs, spec.tileMs);
  return index <= current && index > current - spec.tiles;
}

/** When tile `index` leaves its window: the start of tile `index + tiles`. */
export function tileLeavesAtMs(index: number, spec: WindowSpec): number {
  return (index + spec.tiles) * spec.tileMs;
}

/** Sessions close after this much event-time inactivity. */
export const SESSION_GAP_MS = 30 * 60_000;
/** Session keys live this long after the session's last event. */
export const SESSION_KEY_TTL_MS = 24 * 60 * 60_000;

/**
 * Total order of events: by event time, then event id (code units). "First" and "latest" use it.
 * Returns true when (aTime, aId) comes after (bTime, bId).
 */
export function isAfter(aTime: number, aId: string, bTime: number, bId: string): boolean {
  return aTime > bTime || (aTime === bTime && aId > bId);
}
