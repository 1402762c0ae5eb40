/**
 * The two ways to reach Redis, behind one small interface: `@upstash/redis` over HTTP (the REST
 * endpoint locally, Upstash cloud when configured) and ioredis over TCP (self-hosted Redis). The only
 * module that imports either library. The aggregator needs few commands: its writes are Lua scripts.
 */
import { createHash } from 'node:crypto';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IoRedis } from 'ioredis';

export type TransportName = 'rest' | 'tcp';

export interface RedisTransport {
  readonly name: TransportName;
  /** Runs a script by its SHA-1, loading it first when the server does not know it (NOSCRIPT). */
  evalScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  close(): Promise<void>;
}

export interface LuaScript {
  readonly source: string;
  /** SHA-1 of the source, as EVALSHA wants it. */
  readonly sha: string;
}

/** A script with its SHA-1, ready for `evalScript`. */
export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}

/** `@upstash/redis` with raw strings: no JSON parsing of results, feature values are canonical text. */
export function restTransport(url: string, token: string): RedisTransport {
  const redis = new UpstashRedis({ url, token, automaticDeserialization: false, retry: { retries: 3 } });
  return {
    name: 'rest',
    async evalScript(script, keys, args) {
      try {
        return await redis.evalsha(script.sha, [...keys], [...args]);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await redis.eval(script.source, [...keys], [...args]);
      }
    },
    async hgetall(key) {
      // Without automatic deserialization the client hands back Redis's flat [field, value, ...]
      // reply (RESP2), not an object: pair it up here.
      const reply = (await redis.hgetall(key)) as unknown;
      if (reply === null || reply === undefined) return {};
      if (!Array.isArray(reply)) return reply as Record<string, string>;
      const out: Record<string, string> = {};
      for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
      return out;
    },
    async mget(keys) {
      if (keys.length === 0) return [];
      return (await redis.mget(...keys)) as (string | null)[];
    },
    async close() {},
  };
}

/** ioredis with auto-pipelining: concurrent partitions' scripts share round trips. */
export function tcpTransport(url: string): RedisTransport {
  const redis = new IoRedis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 3, lazyConnect: false });
  // Connection errors surface on the commands that fail; ioredis reconnects by itself.
  redis.on('error', () => {});
  return {
    name: 'tcp',
    async evalScript(script, keys, args) {
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await redis.eval(script.source, keys.length, ...keys, ...args);
      }
    },
    async hgetall(key) {
      return await redis.hgetall(key);
    },
    async mget(keys) {
      if (keys.length === 0) return [];
      return await redis.mget(...keys);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
