/**
 * A small seeded pseudo-random generator (mulberry32) and the draws the load generator needs.
 * Not cryptographic: it exists so that one seed always gives the same stream, on any machine.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: 32-bit state, period 2^32, fast and good enough for load shapes. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes a seed and a stream number into a new 32-bit seed (splitmix-like), for independent sub-streams. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** One element of a non-empty array. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** An exponentially distributed duration with the given mean. */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

const HEX = '0123456789abcdef';

function hex32(value: number, digits: number): string {
  let out = '';
  for (let i = digits - 1; i >= 0; i--) out += HEX[(value >>> (i * 4)) & 15];
  return out;
}

/** A random version-4 UUID (variant 1) drawn from `random`, as a tracker would create one. */
export function randomUuid(random: Random): string {
  const a = (random() * 4_294_967_296) >>> 0;
  const b = (random() * 4_294_967_296) >>> 0;
  const c = (random() * 4_294_967_296) >>> 0;
  const d = (random() * 4_294_967_296) >>> 0;
  return `${hex32(a, 8)}-${hex32(b >>> 16, 4)}-4${hex32(b, 3)}-${HEX[8 + (c >>> 30)]}${hex32(c >>> 16, 3)}-${hex32(c, 4)}${hex32(d, 8)}`;
}
