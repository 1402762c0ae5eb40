/**
 * The aggregator's Redis protocol: fenced, chunked writes of feature values and lane snapshots, and
 * the per-partition records that make restarts exact (ARCHITECTURE.md "Delivery: effectively once").
 * The key names are shared with the store, which reads lane snapshots: @tandem/infra/lane-state.
 *
 * Per lane partition (the user lanes of partition 3 of the by-user topic, say) of a consumer group
 * (`tandem-features`), Redis holds, under keys sharing one hash tag so a Redis Cluster keeps them in
 * one slot:
 * - `tandem:{tandem-features:user:3}:fence`: the owner's epoch. A new owner increments it when it takes the
 *   partition; every write checks it, so a previous owner that has not noticed a rebalance yet is
 *   refused ("FENCED"). A missing fence means Redis lost its data ("WIPED"): the owner rebuilds.
 * - `tandem:{…}:checkpoint`: the topic offset the snapshots cover, and the definition version.
 * - `tandem:{…}:lanes`: lane key → expiry (epoch ms) of each lane with a snapshot.
 * - `tandem:{…}:state:{laneKey}`: the lane in feature-core's wire format.
 */
import { type LaneLayout, layoutKey, type PartitionKeys } from '@tandem/infra/lane-state';
import type { RedisOp } from '../write-plan.js';
import { luaScript, type RedisTransport } from './transport.js';

export type WriteOutcome = 'OK' | 'FENCED' | 'WIPED';

export interface Checkpoint {
  /** Next offset to read from the lane topic's partition. */
  readonly offset: string;
  readonly definitionVersion: string;
  /** The last offset whose writes a previous owner may have made (a lane first met up to it is written in full). */
  readonly writtenOffset: number | null;
}

/** Applies the operations in ARGV from ARGV[2] on, each `code, key index, argument count, arguments...`. */
const APPLY_OPS = `
local i = 2
local n = #ARGV
while i <= n do
  local code = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  local argc = tonumber(ARGV[i + 2])
  local first = i + 3
  if code == 's' then
    redis.call('SET', key, ARGV[first], 'PXAT', ARGV[first + 1])
  elseif code == 'd' then
    redis.call('DEL', key)
  elseif code == 'h' then
    redis.call('HSET', key, unpack(ARGV, first, first + argc - 1))
  elseif code == 'r' then
    redis.call('HDEL', key, unpack(ARGV, first, first + argc - 1))
  elseif code == 'e' then
    redis.call('PEXPIREAT', key, ARGV[first])
  end
  i = first + argc
end
`;

/**
 * KEYS[1] is the fence; ARGV[1] the writer's epoch; then the operations. All or nothing: Redis runs a
 * script atomically.
 */
const WRITE_SCRIPT = luaScript(`
local fence = redis.call('GET', KEYS[1])
if not fence then return 'WIPED' end
if fence ~= ARGV[1] then return 'FENCED' end
${APPLY_OPS}
return 'OK'
`);

/** Takes a partition: a new epoch (fencing the previous owner) and the checkpoint to resume from. */
const CLAIM_SCRIPT = luaScript(`
local epoch = redis.call('INCR', KEYS[1])
return {epoch, redis.call('HGETALL', KEYS[2])}
`);

/** Keeps a script call well below request limits (Upstash: 1 MB per request on small plans). */
const MAX_ARGS_PER_CALL = 4_000;
const MAX_BYTES_PER_CALL = 400_000;

export interface FeatureStore {
  readonly transport: RedisTransport;
  /**
   * Takes the partition: a new epoch, the checkpoint to resume from, and the last offset any owner
   * recorded writing (null when nothing was ever written here: a new group, or a wiped Redis).
   */
  claim(keys: PartitionKeys): Promise<{ epoch: string; checkpoint: Checkpoint | null; writtenOffset: number | null }>;
  /**
   * Applies operations in order, fenced by `epoch`, in as few script calls as the size limits allow.
   * Each call is atomic; a sequence of calls is not, which is safe because every value is absolute
   * and the checkpoint op, when present, must come last.
   */
  write(keys: PartitionKeys, epoch: string, ops: readonly RedisOp[]): Promise<WriteOutcome>;
  /** Whether the partition is still ours and Redis still holds its data (a write of nothing). */
  probe(keys: PartitionKeys, epoch: string): Promise<WriteOutcome>;
  readIndex(keys: PartitionKeys): Promise<Map<string, number>>;
  readSnapshots(keys: PartitionKeys, laneKeys: readonly string[]): Promise<Map<string, string>>;
  /** Records the lane topics' partition counts, so readers can find a lane's snapshot. */
  publishLayout(layout: LaneLayout): Promise<void>;
  close(): Promise<void>;
}

const SET_SCRIPT = luaScript(`redis.call('SET', KEYS[1], ARGV[1]) return 'OK'`);

function encode(op: RedisOp, keyIndex: number, out: string[]): void {
  switch (op.kind) {
    case 'set':
      out.push('s', String(keyIndex), '2', op.value, String(op.expiresAtMs));
      return;
    case 'del':
      out.push('d', String(keyIndex), '0');
      return;
    case 'hset': {
      const entries = Object.entries(op.fields);
      out.push('h', String(keyIndex), String(entries.length * 2));
      for (const [field, value] of entries) out.push(field, value);
      return;
    }
    case 'hdel':
      out.push('r', String(keyIndex), String(op.fields.length), ...op.fields);
      return;
    case 'expireAt':
      out.push('e', String(keyIndex), '1', String(op.atMs));
      return;
  }
}

/** Splits ops into script calls: KEYS and ARGV for each. */
export function encodeWriteCalls(
  fence: string,
  epoch: string,
  ops: readonly RedisOp[],
): { keys: string[]; args: string[] }[] {
  const calls: { keys: string[]; args: string[] }[] = [];
  let keys: string[] = [];
  let keyIndex = new Map<string, number>();
  let args: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (args.length > 1) calls.push({ keys, args });
    keys = [fence];
    keyIndex = new Map([[fence, 1]]);
    args = [epoch];
    bytes = 0;
  };
  flush();
  const scratch: string[] = [];
  for (const op of ops) {
    scratch.length = 0;
    let index = keyIndex.get(op.key);
    const newKey = index === undefined;
    encode(op, newKey ? keys.length + 1 : (index as number), scratch);
    let size = op.key.length;
    for (const arg of scratch) size += arg.length;
    if (args.length > 1 && (args.length + scratch.length > MAX_ARGS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)) {
      flush();
      index = undefined;
      scratch.length = 0;
      encode(op, keys.length + 1, scratch);
    }
    if (index === undefined) {
      keys.push(op.key);
      keyIndex.set(op.key, keys.length);
    }
    for (const arg of scratch) args.push(arg);
    bytes += size;
  }
  flush();
  return calls;
}

/**
 * The replay's script: WRITE_SCRIPT's operations without the fence check. KEYS[1] and ARGV[1] are
 * placeholders, so `encodeWriteCalls` chunks for both scripts alike.
 */
const UNFENCED_SCRIPT = luaScript(`
${APPLY_OPS}
return 'OK'
`);

/** Declared as KEYS[1] of every unfenced call and never read or written. */
const UNFENCED_PLACEHOLDER_KEY = 'tandem:unfenced';

/**
 * Applies operations in order with no fence check, in as few script calls as the size limits allow
 * (each call atomic, the sequence not). For writers that own no partition (the replay command): it
 * overwrites whatever a partition owner wrote, so never point it at a Redis a running aggregator
 * writes. Returns the number of script calls made.
 */
export async function writeUnfenced(transport: RedisTransport, ops: readonly RedisOp[]): Promise<number> {
  const calls = encodeWriteCalls(UNFENCED_PLACEHOLDER_KEY, '-', ops);
  for (const call of calls) {
    const outcome = String(await transport.evalScript(UNFENCED_SCRIPT, call.keys, call.args));
    if (outcome !== 'OK') throw new Error(`unfenced write answered '${outcome}'`);
  }
  return calls.length;
}

export function createFeatureStore(transport: RedisTransport): FeatureStore {
  return {
    transport,
    async claim(keys) {
      const reply = (await transport.evalScript(CLAIM_SCRIPT, [keys.fence, keys.checkpoint], [])) as [
        number | string,
        string[],
      ];
      const fields: Record<string, string> = {};
      const flat = reply[1] ?? [];
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
      const checkpoint =
        fields.offset !== undefined && fields.version !== undefined
          ? {
              offset: fields.offset,
              definitionVersion: fields.version,
              writtenOffset: fields.written === undefined ? null : Number(fields.written),
            }
          : null;
      return {
        epoch: String(reply[0]),
        checkpoint,
        writtenOffset: fields.written === undefined ? null : Number(fields.written),
      };
    },
    async publishLayout(layout) {
      await transport.evalScript(SET_SCRIPT, [layoutKey(layout.group)], [JSON.stringify(layout)]);
    },
    async write(keys, epoch, ops) {
      for (const call of encodeWriteCalls(keys.fence, epoch, ops)) {
        const outcome = String(await transport.evalScript(WRITE_SCRIPT, call.keys, call.args));
        if (outcome !== 'OK') return outcome === 'FENCED' ? 'FENCED' : 'WIPED';
      }
      return 'OK';
    },
    async probe(keys, epoch) {
      const outcome = String(await transport.evalScript(WRITE_SCRIPT, [keys.fence], [epoch]));
      return outcome === 'OK' ? 'OK' : outcome === 'FENCED' ? 'FENCED' : 'WIPED';
    },
    async readIndex(keys) {
      const out = new Map<string, number>();
      for (const [laneKey, expiresAt] of Object.entries(await transport.hgetall(keys.index))) {
        out.set(laneKey, Number(expiresAt));
      }
      return out;
    },
    async readSnapshots(keys, laneKeys) {
      const out = new Map<string, string>();
      for (let i = 0; i < laneKeys.length; i += 500) {
        const chunk = laneKeys.slice(i, i + 500);
        const values = await transport.mget(chunk.map((laneKey) => keys.snapshot(laneKey)));
        chunk.forEach((laneKey, n) => {
          const value = values[n];
          if (typeof value === 'string') out.set(laneKey, value);
        });
      }
      return out;
    },
    close: () => transport.close(),
  };
}
