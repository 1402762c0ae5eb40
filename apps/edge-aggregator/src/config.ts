/**
 * The edge-aggregator's documented defaults (docs/architecture.md, "Components and their contracts").
 *
 * Every value can be overridden by the environment variable of the same name, so a managed Kafka,
 * Upstash cloud or a real Snowplow pipeline needs no code change.
 */

/** Health and Prometheus metrics endpoint. */
export const METRICS_HOST = '127.0.0.1';
export const METRICS_PORT = 9464;
export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';

/** Environment variables the aggregator reads, each with the default used when it is unset. */
export const AGGREGATOR_ENV_DEFAULTS = {
  /** Comma-separated `host:port` bootstrap brokers. */
  KAFKA_BROKERS: '127.0.0.1:9092',
  /** Consumer group shared by every aggregator instance. */
  CONSUMER_GROUP: 'tandem-features',
  /** Where authoritative feature values are written. */
  REDIS_URL: 'redis://127.0.0.1:6379',
  /** Input: enriched TSV, one event per message, keyed by `domain_userid`. */
  ENRICHED_TOPIC: 'snowplow-enriched-good',
  /** Snowplow bad rows (self-describing `com.snowplowanalytics.snowplow.badrows/*` JSON). */
  BAD_TOPIC: 'snowplow-enriched-bad',
  /** Events the aggregator could not apply, with the reason and the source offset. */
  DEAD_LETTER_TOPIC: 'tandem-dead-letter',
  /** Reconciliation results (client digest vs server values). */
  DRIFT_TOPIC: 'tandem-drift',
} as const satisfies Record<string, string>;

export type AggregatorEnvName = keyof typeof AGGREGATOR_ENV_DEFAULTS;

/** Prefix of the aggregator's own repartition and changelog topics (`tandem-<purpose>`), created at start. */
export const INTERNAL_TOPIC_PREFIX = 'tandem-';

/**
 * Topic setting shared by every Tandem topic (input ones created by `infra/`, internal ones by the
 * aggregator): broker append time, so freshness figures ("Kafka append time" to Redis
 * acknowledgement) use the broker's clock, not the producer's.
 */
export const TOPIC_CONFIG = { 'message.timestamp.type': 'LogAppendTime' } as const;
