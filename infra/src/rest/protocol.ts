/**
 * The Upstash REST protocol, without HTTP or Redis: what a request body may hold, which commands the
 * endpoint refuses, and how Redis replies become JSON. Checked against @upstash/redis 1.39
 * (pkg/http.ts: request bodies, `Upstash-Encoding: base64` decoding; pkg/pipeline.ts: batch bodies).
 */

/** Why a request was refused before reaching Redis; `status` is the HTTP status to answer with. */
export class RestRequestError extends Error {
  override name = 'RestRequestError';
  constructor(
    readonly code:
      | 'unauthorized'
      | 'not_found'
      | 'method_not_allowed'
      | 'body_too_large'
      | 'invalid_body'
      | 'invalid_command'
      | 'command_refused',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A command as sent to Redis: the name, then its arguments, all strings. */
export type RedisCommand = readonly [name: string, ...args: string[]];

/**
 * One command from a request body: a non-empty JSON array whose first element (the command name) is a
 * non-empty string and whose other elements are strings, numbers or booleans. Numbers and booleans
 * become their JSON spelling: @upstash/redis sends them unquoted (its serializer passes them through,
 * e.g. `redis.set("flag", true)`), and Redis only knows strings.
 *
 * @param where names the command in error messages, e.g. `command 3`
 * @throws RestRequestError `invalid_command` (400)
 */
export function parseCommand(value: unknown, where = 'the command'): RedisCommand {
  if (!Array.isArray(value)) {
    throw new RestRequestError('invalid_command', 400, `${where} must be a JSON array like ["SET","key","value"]`);
  }
  if (value.length === 0) throw new RestRequestError('invalid_command', 400, `${where} is an empty array`);
  const [name, ...args] = value as unknown[];
  if (typeof name !== 'string' || name === '') {
    throw new RestRequestError('invalid_command', 400, `${where}: the command name must be a non-empty string`);
  }
  const strings = args.map((arg, index) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new RestRequestError(
      'invalid_command',
      400,
      `${where}: argument ${index + 1} is ${arg === null ? 'null' : typeof arg}; arguments must be strings, numbers or booleans`,
    );
  });
  return [name, ...strings];
}

/** The commands of a `/pipeline` or `/multi-exec` body: a non-empty array of commands. */
export function parseBatch(value: unknown): RedisCommand[] {
  if (!Array.isArray(value)) {
    throw new RestRequestError(
      'invalid_command',
      400,
      'the body must be a JSON array of commands like [["SET","k","v"],["GET","k"]]',
    );
  }
  if (value.length === 0) throw new RestRequestError('invalid_command', 400, 'the body holds no commands');
  return value.map((command, index) => parseCommand(command, `command ${index + 1}`));
}

/**
 * Commands the endpoint refuses. Every request shares one Redis connection, so a command that changes
 * that connection's state (a transaction, a database, a subscription, the protocol) or blocks it would
 * break or stall every other request. Transactions go through `/multi-exec` instead.
 */
const REFUSED = new Set([
  'AUTH',
  'BLMOVE',
  'BLMPOP',
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BZMPOP',
  'BZPOPMAX',
  'BZPOPMIN',
  'DISCARD',
  'EXEC',
  'HELLO',
  'MONITOR',
  'MULTI',
  'PSUBSCRIBE',
  'PSYNC',
  'PUNSUBSCRIBE',
  'QUIT',
  'READONLY',
  'READWRITE',
  'REPLCONF',
  'RESET',
  'SELECT',
  'SSUBSCRIBE',
  'SUBSCRIBE',
  'SUNSUBSCRIBE',
  'SYNC',
  'UNSUBSCRIBE',
  'UNWATCH',
  'WAIT',
  'WAITAOF',
  'WATCH',
]);
const REFUSED_CLIENT_SUBCOMMANDS = new Set(['REPLY', 'TRACKING', 'CACHING']);

/**
 * Why the endpoint refuses `command` (a Redis-style `ERR ...` message), or undefined when it may run.
 */
export function refusalOf(command: RedisCommand): string | undefined {
  const name = command[0].toUpperCase();
  const refused =
    REFUSED.has(name) ||
    (name === 'CLIENT' && REFUSED_CLIENT_SUBCOMMANDS.has(command[1]?.toUpperCase() ?? '')) ||
    ((name === 'XREAD' || name === 'XREADGROUP') && command.some((arg) => arg.toUpperCase() === 'BLOCK'));
  if (!refused) return undefined;
  return `ERR '${command.slice(0, name === 'CLIENT' ? 2 : 1).join(' ')}' is not supported by this REST endpoint: it blocks or changes the state of the Redis connection all requests share${name === 'MULTI' || name === 'EXEC' ? ' (send transactions to /multi-exec)' : ''}`;
}

/**
 * A RESP2 reply as ioredis hands it over with `callBuffer` and `stringNumbers`: bulk and simple strings
 * as Buffers (raw bytes), integers as decimal strings (exact past 2^53), nil as null, arrays nested,
 * and an error inside an array (a Lua script can return one) as an Error.
 */
export type RespReply = Buffer | string | null | Error | readonly RespReply[];

const INTEGER = /^-?\d+$/;

/**
 * The JSON text of a reply, RESP2-shaped as Upstash answers: arrays stay arrays (HGETALL is a flat
 * field/value list), integers are JSON numbers written digit for digit, nil is null. Strings are
 * base64 of their raw bytes when `base64` is set (the `Upstash-Encoding: base64` header; status
 * replies such as OK included), otherwise the bytes read as UTF-8 (invalid bytes become U+FFFD). An
 * error nested in an array becomes its message, encoded like any string.
 */
export function encodeReply(reply: RespReply, base64: boolean): string {
  if (reply === null) return 'null';
  if (typeof reply === 'string') return INTEGER.test(reply) ? reply : JSON.stringify(reply);
  if (Buffer.isBuffer(reply)) return JSON.stringify(base64 ? reply.toString('base64') : reply.toString('utf8'));
  if (reply instanceof Error) {
    return JSON.stringify(base64 ? Buffer.from(reply.message).toString('base64') : reply.message);
  }
  return `[${reply.map((item) => encodeReply(item, base64)).join(',')}]`;
}

/** `{"result":…}` for a reply. */
export function resultJson(reply: RespReply, base64: boolean): string {
  return `{"result":${encodeReply(reply, base64)}}`;
}

/** `{"error":"…"}`; errors are never base64-encoded (the client reads them as they are). */
export function errorJson(message: string): string {
  return JSON.stringify({ error: message });
}
