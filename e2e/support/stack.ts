/**
 * What the end-to-end specs need to look behind the page: the addresses of the stack `npm test`'s
 * end-to-end stage started (scripts/test.mjs passes them in the environment), and readers of what
 * the server side made of the shopper's events: Kafka's enriched topic and the aggregator's hashes
 * in Redis.
 *
 * Imports. Playwright loads specs with its own TypeScript transpiler but Node's resolver, which
 * knows nothing of tsconfig's `customConditions`. Workspace packages export their source under the
 * `tandem-source` condition: scripts/test.mjs runs Playwright with NODE_OPTIONS=--conditions=tandem-source,
 * so the specs resolve `@tandem/feature-core` to its `src/*.ts` as tsc, Vitest and the apps do (and
 * Playwright transpiles it, being outside node_modules once the workspace symlink is resolved).
 * Without that flag (a bare `npx playwright test`) `@tandem/feature-core` resolves to its built
 * `dist/` (the store's `prebuild` builds it) and `@tandem/infra`, which exports only source, to
 * `src/*.ts` all the same. Relative imports of another workspace's `src/` are what the lint rules
 * forbid, and the edge-aggregator's test-support is not exported, so this module uses the clients
 * the apps use (kafkajs, ioredis) with the field and key names from feature-core.
 */
import { HASH_META_FIELDS, sessionHashKey, userHashKey } from '@tandem/feature-core';
import { ENRICHED_FIELD_NAMES } from '@tandem/feature-core/enriched';
import { Redis } from 'ioredis';
import { type Consumer, Kafka, logLevel } from 'kafkajs';

/** The end-to-end stack's addresses; see scripts/test.mjs. */
export interface E2eStack {
  readonly storeUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  readonly enrichedTopic: string;
  readonly aggregatorMetricsUrl: string;
}

/** Ports of `npm start` and the machine's Redis: a spec never reads or writes there. */
const DEFAULT_PORTS = new Set([3000, 6379, 8079, 9090, 9092, 9093, 9464]);

/**
 * The stack started by `node scripts/test.mjs --only e2e`, or null when the specs run some other way
 * (a bare `npx playwright test` against `npm start`): specs that look behind the page skip then,
 * rather than read the machine's Redis on 6379.
 */
export function e2eStack(env: NodeJS.ProcessEnv = process.env): E2eStack | null {
  if (env.TANDEM_E2E_STACK !== '1') return null;
  const need = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new Error(`TANDEM_E2E_STACK=1 but ${name} is not set (scripts/test.mjs sets it)`);
    return value;
  };
  const stack: E2eStack = {
    storeUrl: need('STORE_E2E_URL'),
    redisUrl: need('REDIS_URL'),
    kafkaBrokers: need('KAFKA_BROKERS'),
    enrichedTopic: need('ENRICHED_TOPIC'),
    aggregatorMetricsUrl: need('AGGREGATOR_METRICS_URL'),
  };
  for (const address of [stack.redisUrl, stack.kafkaBrokers, stack.storeUrl, stack.aggregatorMetricsUrl]) {
    const port = Number(/:(\d+)(?:\/|$)/.exec(address)?.[1]);
    if (DEFAULT_PORTS.has(port)) throw new Error(`the end-to-end stack must not use a default port: ${address}`);
  }
  return stack;
}

/** One enriched event as it reached Kafka. */
export interface EnrichedEvent {
  readonly eventId: string;
  /** Snowplow's `event` column: page_view, unstruct, ... */
  readonly event: string;
  /** Snowplow's `event_name` column: page_view, product_view, feature_digest, ... */
  readonly eventName: string;
  readonly domainUserId: string;
  readonly partition: number;
  readonly offset: string;
}

const COLUMN = {
  eventId: ENRICHED_FIELD_NAMES.indexOf('event_id'),
  event: ENRICHED_FIELD_NAMES.indexOf('event'),
  eventName: ENRICHED_FIELD_NAMES.indexOf('event_name'),
  domainUserId: ENRICHED_FIELD_NAMES.indexOf('domain_userid'),
};

/**
 * Reads the enriched topic from its beginning, in the background, with a consumer group of its own
 * (the aggregator's offsets are left alone). `events(domainUserId)` is what arrived so far for one
 * browser, in arrival order; `close()` leaves the group.
 */
export async function watchEnrichedTopic(
  stack: E2eStack,
): Promise<{ events(domainUserId: string): EnrichedEvent[]; close(): Promise<void> }> {
  const kafka = new Kafka({
    clientId: 'tandem-e2e',
    brokers: stack.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer: Consumer = kafka.consumer({ groupId: `tandem-e2e-${process.pid}-${Date.now()}` });
  const seen: EnrichedEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: stack.enrichedTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const columns = (message.value?.toString('utf8') ?? '').split('\t');
      seen.push({
        eventId: columns[COLUMN.eventId] ?? '',
        event: columns[COLUMN.event] ?? '',
        eventName: columns[COLUMN.eventName] ?? '',
        domainUserId: columns[COLUMN.domainUserId] ?? '',
        partition,
        offset: message.offset,
      });
    },
  });
  return {
    events: (domainUserId) => seen.filter((event) => event.domainUserId === domainUserId),
    close: () => consumer.disconnect(),
  };
}

/** A feature hash as the aggregator wrote it: feature fields, and its meta fields apart. */
export interface FeatureHash {
  readonly values: Record<string, string>;
  /** `_events`, `_v`, `_at`, `_overflow` when present. */
  readonly meta: Record<string, string>;
}

const META = new Set<string>(Object.values(HASH_META_FIELDS));

function splitHash(fields: Record<string, string>): FeatureHash {
  const values: Record<string, string> = {};
  const meta: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) (META.has(field) ? meta : values)[field] = value;
  return { values, meta };
}

/** Reads the aggregator's `features:user:<key>` and `features:session:<key>` hashes from the stack's Redis. */
export function featureHashes(stack: E2eStack): {
  user(userKey: string): Promise<FeatureHash>;
  session(sessionKey: string): Promise<FeatureHash>;
  close(): void;
} {
  const redis = new Redis(stack.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  return {
    user: async (userKey) => splitHash(await redis.hgetall(userHashKey(userKey))),
    session: async (sessionKey) => splitHash(await redis.hgetall(sessionHashKey(sessionKey))),
    close: () => redis.disconnect(),
  };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}
