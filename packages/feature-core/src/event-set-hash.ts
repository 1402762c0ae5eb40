/**
 * An order-independent hash of a set of event ids: what a client digest says about the events it
 * covers, and what the server computes over its own lanes to check it. Pure.
 */
import { hash53 } from './hash.js';

/**
 * An order-independent hash of a set of event ids: the sum, per lane, of each id's 53-bit hash split
 * into a low 32-bit and a high 21-bit lane (each summed modulo its width, so every step is exact in
 * doubles). Adding ids in any order gives the same hash. Sums, unlike XOR, do not cancel a repeated
 * id, but the hash still describes a set only if **the caller adds each id once** (feature-core's
 * lanes already apply duplicate event ids once: add an id when its event is applied, not on arrival).
 */
export interface EventSetHash {
  /** Sum of the low 32 bits of each id's hash, modulo 2^32. */
  readonly lo: number;
  /** Sum of the high 21 bits, modulo 2^21. */
  readonly hi: number;
}

/** The hash of the empty set. */
export const EMPTY_EVENT_SET_HASH: EventSetHash = { lo: 0, hi: 0 };

/** Seed so the set hash is independent of the lanes' deduplication hash of the same ids. */
const EVENT_SET_SEED = 0x7e4d;
const TWO_32 = 4294967296;

/** The set hash with `eventId` added (pure). The caller guarantees `eventId` was not added before. */
export function addEventId(hash: EventSetHash, eventId: string): EventSetHash {
  const h = hash53(eventId, EVENT_SET_SEED);
  const lo = h % TWO_32;
  const hi = (h - lo) / TWO_32;
  return { lo: (hash.lo + lo) % TWO_32, hi: (hash.hi + hi) % 2097152 };
}

/** Compact text of a set hash: the 53-bit value in base 36 (at most 11 characters). */
export function formatEventSetHash(hash: EventSetHash): string {
  return (hash.hi * TWO_32 + hash.lo).toString(36);
}

/** The set hash of some distinct event ids (order does not matter). */
export function eventSetHashOf(eventIds: Iterable<string>): EventSetHash {
  let hash = EMPTY_EVENT_SET_HASH;
  for (const id of eventIds) hash = addEventId(hash, id);
  return hash;
}
