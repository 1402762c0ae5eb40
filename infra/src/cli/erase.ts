/**
 * `npm run erase -- <userKey> [<userKey>...] [--session <sessionKey>...]`: erases a shopper from
 * Redis (see `--help` and docs/decisions/0008-erasure.md). The store's `POST /api/ops/erasure` does
 * the same over its REST client.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadEnvLocalIntoProcess } from '../env-local.js';
import { parseErasureRequest } from '../erasure.js';
import { describeErasure, ERASURE_SETTLE_MS, type ErasureRedis, eraseShopper } from '../erasure-run.js';

const USAGE = `Usage: npm run erase -- <userKey> [<userKey>...] [--session <sessionKey>]... [--settle-ms <ms>] [--json]

Deletes everything Redis holds about a shopper (REDIS_URL, default redis://127.0.0.1:6379):
  1. registers the user keys (and sessions) in the erasure registry (tandem:erasures, hashed keys):
     the edge-aggregator drops their lanes within a second and never applies their events dated up to
     now again, not on a late event, not on a restart, not in \`npm run replay\`;
  2. finds the shopper's sessions (the aggregator's tandem:user-sessions:* records, drift records);
  3. deletes user:<u>:* and session:<s>:* keys, features:user|session:* hashes, lane snapshots and
     their index entries, drift records and list entries, offer codes issued to the browser, session
     records; after --settle-ms it deletes again (what a running aggregator wrote before it noticed).
The browser's IndexedDB is cleared on the shopper's next visit (the feature worker learns the erasure
from /api/features/state). Kafka keeps the raw events until retention deletes them (docs/privacy.md).

A signed-in shopper has two user keys: the user id and the browser's domain_userid. Name both.

Options:
  --session <key>   a session key to erase as well (repeatable)
  --settle-ms <ms>  wait before the second pass [${ERASURE_SETTLE_MS}]
  --json            print the report as one line of JSON
  -h, --help        this text`;

/** ioredis as the few commands an erasure needs. */
export function ioredisErasureClient(redis: Redis): ErasureRedis {
  return {
    scan: async (cursor, pattern, count) => await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count),
    get: (key) => redis.get(key),
    del: async (keys) => (keys.length === 0 ? 0 : await redis.del(...keys)),
    hgetall: (key) => redis.hgetall(key),
    hset: async (key, fields) => {
      await redis.hset(key, fields);
    },
    hdel: async (key, fields) => (fields.length === 0 ? 0 : await redis.hdel(key, ...fields)),
    incr: async (key) => {
      await redis.incr(key);
    },
    zrem: async (key, members) => (members.length === 0 ? 0 : await redis.zrem(key, ...members)),
    lrange: (key, start, stop) => redis.lrange(key, start, stop),
    lrem: (key, count, value) => redis.lrem(key, count, value),
  };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        session: { type: 'string', multiple: true },
        'settle-ms': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    console.error(`erase: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const request = parseErasureRequest({ userKeys: parsed.positionals, sessionKeys: parsed.values.session ?? [] });
  if (!request.ok) {
    console.error(`erase: ${request.detail}\n\n${USAGE}`);
    return 2;
  }
  const settleText = parsed.values['settle-ms'] ?? String(ERASURE_SETTLE_MS);
  const settleMs = Number(settleText);
  if (!Number.isSafeInteger(settleMs) || settleMs < 0) {
    console.error(`erase: --settle-ms must be a whole number of milliseconds, got '${settleText}'`);
    return 2;
  }
  loadEnvLocalIntoProcess();
  const url = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    const report = await eraseShopper(ioredisErasureClient(redis), request.request, { settleMs });
    if (parsed.values.json) console.log(JSON.stringify(report));
    else for (const line of describeErasure(report)) console.log(line);
    return 0;
  } finally {
    redis.disconnect();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`erase: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
