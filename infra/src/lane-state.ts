/**
 * Where the aggregator keeps its lanes' state in Redis, shared by the aggregator (the writer) and the
 * store (which reads a shopper's lane snapshot to rebase the browser and to check redemption claims).
 * Pure: key names and Kafka's key → partition mapping, no IO.
 *
 * Per lane partition (the user lanes of partition 3 of the by-user topic, say) of a consumer group
 * (`tandem-features`), keys share one hash tag so a Redis Cluster keeps them in one slot:
 * - `tandem:{tandem-features:user:3}:fence`: the owner's epoch (see the aggregator's feature-store).
 * - `tandem:{…}:checkpoint`: the topic offset the snapshots cover, and the definition version.
 * - `tandem:{…}:lanes`: lane key → expiry (epoch ms) of each lane with a snapshot.
 * - `tandem:{…}:state:{laneKey}`: the lane in feature-core's wire format.
 * And one record per group, `tandem:layout:{group}`: the lane topics' partition counts, so a reader
 * finds a lane's partition without asking Kafka (a topic created earlier may not have today's
 * KAFKA_PARTITIONS).
 */

export type LaneKind = 'user' | 'session';

export interface PartitionKeys {
  readonly fence: string;
  readonly checkpoint: string;
  readonly index: string;
  snapshot(laneKey: string): string;
}

export function partitionKeys(group: string, kind: LaneKind, partition: number): PartitionKeys {
  const prefix = `tandem:{${group}:${kind}:${partition}}`;
  return {
    fence: `${prefix}:fence`,
    checkpoint: `${prefix}:checkpoint`,
    index: `${prefix}:lanes`,
    snapshot: (laneKey) => `${prefix}:state:${laneKey}`,
  };
}

/** What the aggregator publishes about its lane topics when it starts. */
export interface LaneLayout {
  readonly group: string;
  readonly partitions: Readonly<Record<LaneKind, number>>;
  /** feature-core's definition version the aggregator computes with: a reader on another one must not use the lanes. */
  readonly definitionVersion: string;
}

export function layoutKey(group: string): string {
  return `tandem:layout:${group}`;
}

/** The layout record as stored; null when it is not one. */
export function parseLaneLayout(text: string | null): LaneLayout | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<LaneLayout>;
    const user = value.partitions?.user;
    const session = value.partitions?.session;
    const valid = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
    if (typeof value.group !== 'string' || typeof value.definitionVersion !== 'string') return null;
    if (!valid(user) || !valid(session)) return null;
    return {
      group: value.group,
      partitions: { user: user as number, session: session as number },
      definitionVersion: value.definitionVersion,
    };
  } catch {
    return null;
  }
}

/** Kafka's murmur2 (the Java client's, and kafkajs's default partitioner's), as a signed 32-bit int. */
export function murmur2(key: string): number {
  const data = new TextEncoder().encode(key);
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes, highest first (the Java original falls through a switch).
  const tail = data.length & 3;
  if (tail === 3) h ^= (data[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (data[whole + 1] as number) << 8;
  if (tail >= 1) h = Math.imul(h ^ (data[whole] as number), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a message with this key. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Where the snapshot of one lane is, given the group's layout. */
export function laneSnapshotKey(layout: LaneLayout, kind: LaneKind, laneKey: string): string {
  return partitionKeys(layout.group, kind, keyPartition(laneKey, layout.partitions[kind])).snapshot(laneKey);
}
