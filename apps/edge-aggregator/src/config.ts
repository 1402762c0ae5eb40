/**
 * The edge-aggregator's configuration: every setting from an environment variable of the same name,
 * with the documented defaults (docs/architecture.md, "Components and their contracts"), validated at
 * start and printed as a summary. A managed Kafka, Upstash cloud or a real Snowplow pipeline needs no
 * code change, only these variables.
 */
import type { EngineConfig } from '@tandem/feature-core';
import { INPUT_FORMATS, type InputFormat } from './input-decoder.js';
import type { TransportName } from './redis/transport.js';

export const AGGREGATOR_ENV_DEFAULTS = {
  /** Comma-separated `host:port` bootstrap brokers. */
  KAFKA_BROKERS: '127.0.0.1:9092',
  /** Consumer group shared by every aggregator instance. */
  CONSUMER_GROUP: 'tandem-features',
  /** Input: enriched events, one per message, keyed by `domain_userid`. */
  ENRICHED_TOPIC: 'snowplow-enriched-good',
  /** `tsv` (Snowplow Enrich's enriched TSV) or `snowbridge-json` (the accelerator's Snowbridge output). */
  INPUT_FORMAT: 'tsv',
  /** Events the aggregator could not apply, with the reason and the source offset. */
  DEAD_LETTER_TOPIC: 'tandem-dead-letter',
  /** Partitions of the internal topics when they are created. */
  KAFKA_PARTITIONS: '6',
  /**
   * `tcp` (ioredis to REDIS_URL, self-hosted Redis) or `rest` (@upstash/redis: Upstash cloud, or the
   * local REST endpoint). TCP is the default: measured twice the throughput at 28% less CPU per event
   * (docs/benchmarks.md). Upstash cloud serves both: REST (FEATURE_STORE=rest) or TCP over TLS (a rediss:// REDIS_URL).
   */
  FEATURE_STORE: 'tcp',
  REDIS_URL: 'redis://127.0.0.1:6379',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  /** Required for `rest`; generated into .env.local by the first `npm start`. */
  UPSTASH_REDIS_REST_TOKEN: '',
  /** Health and Prometheus metrics endpoint. */
  METRICS_HOST: '127.0.0.1',
  METRICS_PORT: '9464',
  /** How often changed lanes are snapshotted to Redis and the Kafka offsets committed. */
  CHECKPOINT_INTERVAL_MS: '5000',
  /** Kafka group session timeout: a killed instance's partitions move after this long. */
  SESSION_TIMEOUT_MS: '6000',
  /** `info` or `debug`. */
  LOG_LEVEL: 'info',
  /**
   * ISO 4217 currency of every money feature. Part of the definition version: the store's browser
   * features must use the same (the demo shop counts in EUR; `npm start` sets it).
   */
  BASE_CURRENCY: 'USD',
  /** Rates to the base currency, e.g. `EUR=1.08,GBP=1.27`; money in a currency with none is left out. */
  FX_RATES: '',
} as const satisfies Record<string, string>;

export type AggregatorEnvName = keyof typeof AGGREGATOR_ENV_DEFAULTS;

export interface AggregatorConfig {
  readonly brokers: string[];
  readonly consumerGroup: string;
  readonly enrichedTopic: string;
  readonly inputFormat: InputFormat;
  readonly deadLetterTopic: string;
  readonly userTopic: string;
  readonly sessionTopic: string;
  readonly partitions: number;
  readonly featureStore: TransportName;
  readonly redisUrl: string;
  readonly restUrl: string;
  readonly restToken: string;
  readonly engine: EngineConfig;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly checkpointIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly logLevel: 'info' | 'debug';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(name: AggregatorEnvName, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

function oneOf<T extends string>(name: AggregatorEnvName, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${text}'`);
  }
  return text as T;
}

/** Reads and validates the configuration; throws ConfigError naming the variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AggregatorConfig {
  const get = (name: AggregatorEnvName): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? AGGREGATOR_ENV_DEFAULTS[name] : value.trim();
  };
  const brokers = get('KAFKA_BROKERS')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d+$/.test(broker)) throw new ConfigError(`KAFKA_BROKERS: '${broker}' is not host:port`);
  }
  const featureStore = oneOf<TransportName>('FEATURE_STORE', get('FEATURE_STORE'), ['rest', 'tcp']);
  const restToken = get('UPSTASH_REDIS_REST_TOKEN');
  if (featureStore === 'rest' && restToken === '') {
    throw new ConfigError(
      'UPSTASH_REDIS_REST_TOKEN is empty: run `npm start` once to generate .env.local, or set FEATURE_STORE=tcp',
    );
  }
  const consumerGroup = get('CONSUMER_GROUP');
  return {
    brokers,
    consumerGroup,
    enrichedTopic: get('ENRICHED_TOPIC'),
    inputFormat: oneOf('INPUT_FORMAT', get('INPUT_FORMAT'), INPUT_FORMATS),
    deadLetterTopic: get('DEAD_LETTER_TOPIC'),
    // Internal topics and Redis state belong to one consumer group (as Kafka Streams names them after
    // its application id): two deployments with different groups never read each other's.
    userTopic: `${consumerGroup}-user-events`,
    sessionTopic: `${consumerGroup}-session-events`,
    partitions: integer('KAFKA_PARTITIONS', get('KAFKA_PARTITIONS'), 1, 1024),
    featureStore,
    redisUrl: get('REDIS_URL'),
    restUrl: get('UPSTASH_REDIS_REST_URL'),
    restToken,
    metricsHost: get('METRICS_HOST'),
    metricsPort: integer('METRICS_PORT', get('METRICS_PORT'), 0, 65_535),
    checkpointIntervalMs: integer('CHECKPOINT_INTERVAL_MS', get('CHECKPOINT_INTERVAL_MS'), 100, 600_000),
    sessionTimeoutMs: integer('SESSION_TIMEOUT_MS', get('SESSION_TIMEOUT_MS'), 6_000, 300_000),
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL'), ['info', 'debug']),
    engine: engineConfig(get('BASE_CURRENCY'), get('FX_RATES')),
  };
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

/** BASE_CURRENCY and FX_RATES as feature-core's engine settings. */
function engineConfig(baseCurrency: string, fxRates: string): EngineConfig {
  if (!CURRENCY_CODE.test(baseCurrency))
    throw new ConfigError(`BASE_CURRENCY: '${baseCurrency}' is not an ISO 4217 code`);
  const rates: Record<string, number> = {};
  for (const entry of fxRates
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const [code = '', rate = ''] = entry.split('=').map((part) => part.trim());
    const value = Number(rate);
    if (!CURRENCY_CODE.test(code) || !(value > 0) || !Number.isFinite(value))
      throw new ConfigError(`FX_RATES: '${entry}' is not CODE=rate (e.g. EUR=1.08)`);
    rates[code] = value;
  }
  return { baseCurrency, fxRates: rates };
}

/** One line per setting, secrets redacted, for the start-up log. */
export function describeConfig(config: AggregatorConfig): Record<string, string | number> {
  return {
    kafka: config.brokers.join(','),
    group: config.consumerGroup,
    input: `${config.enrichedTopic} (${config.inputFormat})`,
    lanes: `${config.userTopic}, ${config.sessionTopic} (${config.partitions} partitions when created)`,
    deadLetter: config.deadLetterTopic,
    store:
      config.featureStore === 'rest'
        ? `rest ${config.restUrl} (token ${config.restToken.length} chars)`
        : `tcp ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`,
    metrics: `http://${config.metricsHost}:${config.metricsPort}/metrics`,
    checkpointIntervalMs: config.checkpointIntervalMs,
    sessionTimeoutMs: config.sessionTimeoutMs,
    money: `${config.engine.baseCurrency}${
      Object.keys(config.engine.fxRates).length > 0
        ? ` (rates ${Object.entries(config.engine.fxRates)
            .map(([c, r]) => `${c}=${r}`)
            .join(',')})`
        : ''
    }`,
  };
}
