/**
 * The Kafka topics of the contracts (ARCHITECTURE.md): each is named by an environment variable with
 * a default. Every Tandem topic uses broker append time, so freshness is measured on the broker's clock.
 */

export const TOPIC_DEFAULTS = {
  ENRICHED_TOPIC: 'snowplow-enriched-good',
  BAD_TOPIC: 'snowplow-enriched-bad',
  DEAD_LETTER_TOPIC: 'tandem-dead-letter',
  DRIFT_TOPIC: 'tandem-drift',
} as const;

export type TopicEnvName = keyof typeof TOPIC_DEFAULTS;

/** Partitions per topic unless configured (`KAFKA_PARTITIONS`). */
export const DEFAULT_PARTITIONS = 6;

/** Topic-level settings of every Tandem topic. */
export const TOPIC_CONFIG: Readonly<Record<string, string>> = { 'message.timestamp.type': 'LogAppendTime' };

/** The topic names in effect: each from its environment variable, else its default. */
export function topicNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return (Object.keys(TOPIC_DEFAULTS) as TopicEnvName[]).map((name) => env[name] || TOPIC_DEFAULTS[name]);
}
