/**
 * The collector's documented defaults (docs/architecture.md, "Components and their contracts"). Each
 * can be overridden by the environment variable of the same name.
 */

/** Where the collector listens: the contract address is http://127.0.0.1:9090. */
export const COLLECTOR_DEFAULTS = {
  COLLECTOR_HOST: '127.0.0.1',
  COLLECTOR_PORT: '9090',
  KAFKA_BROKERS: '127.0.0.1:9092',
  ENRICHED_TOPIC: 'snowplow-enriched-good',
  BAD_TOPIC: 'snowplow-enriched-bad',
} as const;
