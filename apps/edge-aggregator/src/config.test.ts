/**
 * loadConfig: the documented defaults, trimming, and errors that name the variable at fault.
 */
import { describe, expect, it } from 'vitest';
import { AGGREGATOR_ENV_DEFAULTS, ConfigError, describeConfig, loadConfig } from './config.js';

/** The smallest valid environment: the REST token is the one setting without a usable default. */
const BASE = { UPSTASH_REDIS_REST_TOKEN: 'token-abc' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(BASE)).toEqual({
      brokers: ['127.0.0.1:9092'],
      consumerGroup: 'tandem-features',
      enrichedTopic: 'snowplow-enriched-good',
      inputFormat: 'tsv',
      deadLetterTopic: 'tandem-dead-letter',
      userTopic: 'tandem-features-user-events',
      sessionTopic: 'tandem-features-session-events',
      partitions: 6,
      featureStore: 'tcp',
      redisUrl: 'redis://127.0.0.1:6379',
      restUrl: 'http://127.0.0.1:8079',
      restToken: 'token-abc',
      metricsHost: '127.0.0.1',
      metricsPort: 9464,
      checkpointIntervalMs: 5000,
      sessionTimeoutMs: 6000,
      logLevel: 'info',
      engine: { baseCurrency: 'USD', fxRates: {} },
    });
  });

  it('reads the base currency and rates of money features', () => {
    expect(loadConfig({ ...BASE, BASE_CURRENCY: 'EUR', FX_RATES: ' USD=0.92, GBP=1.17 ' }).engine).toEqual({
      baseCurrency: 'EUR',
      fxRates: { USD: 0.92, GBP: 1.17 },
    });
  });

  it('treats blank values as unset, trims the others, and splits the broker list', () => {
    const config = loadConfig({
      ...BASE,
      CONSUMER_GROUP: '   ',
      KAFKA_BROKERS: ' a:1 , b.example.com:9093,, ',
      FEATURE_STORE: ' tcp ',
      INPUT_FORMAT: 'snowbridge-json',
      KAFKA_PARTITIONS: '12',
    });
    expect(config.consumerGroup).toBe(AGGREGATOR_ENV_DEFAULTS.CONSUMER_GROUP);
    expect(config.brokers).toEqual(['a:1', 'b.example.com:9093']);
    expect(config.userTopic).toBe('tandem-features-user-events');
    expect(config.featureStore).toBe('tcp');
    expect(config.inputFormat).toBe('snowbridge-json');
    expect(config.partitions).toBe(12);
  });

  it('names the internal topics after the consumer group', () => {
    const config = loadConfig({ ...BASE, CONSUMER_GROUP: 'shop-eu' });
    expect([config.userTopic, config.sessionTopic]).toEqual(['shop-eu-user-events', 'shop-eu-session-events']);
  });

  it('needs no REST token for tcp', () => {
    expect(loadConfig({ FEATURE_STORE: 'tcp' }).restToken).toBe('');
  });

  const invalid: [name: string, value: string][] = [
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_BROKERS', 'a:1,b c:2'],
    ['FEATURE_STORE', 'memcached'],
    ['INPUT_FORMAT', 'xml'],
    ['KAFKA_PARTITIONS', '0'],
    ['KAFKA_PARTITIONS', '1.5'],
    ['METRICS_PORT', '65536'],
    ['METRICS_PORT', '-1'],
    ['CHECKPOINT_INTERVAL_MS', '99'],
    ['SESSION_TIMEOUT_MS', 'soon'],
    ['LOG_LEVEL', 'warn'],
    ['BASE_CURRENCY', 'euro'],
    ['FX_RATES', 'EUR'],
    ['FX_RATES', 'EUR=-1'],
  ];
  for (const [name, value] of invalid) {
    it(`names ${name} when it is '${value}'`, () => {
      expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(new RegExp(`^${name}\\b`));
    });
  }

  it('names UPSTASH_REDIS_REST_TOKEN when rest has no token, and says how to get one', () => {
    expect(() => loadConfig({ FEATURE_STORE: 'rest' })).toThrow(
      /^UPSTASH_REDIS_REST_TOKEN is empty.*npm start.*FEATURE_STORE=tcp/,
    );
  });

  it('accepts the edges of each range', () => {
    const config = loadConfig({
      ...BASE,
      KAFKA_PARTITIONS: '1024',
      METRICS_PORT: '0',
      CHECKPOINT_INTERVAL_MS: '100',
      SESSION_TIMEOUT_MS: '300000',
    });
    expect([config.partitions, config.metricsPort, config.checkpointIntervalMs, config.sessionTimeoutMs]).toEqual([
      1024, 0, 100, 300_000,
    ]);
  });
});

describe('describeConfig', () => {
  it('never prints a secret', () => {
    const rest = describeConfig(loadConfig({ FEATURE_STORE: 'rest', UPSTASH_REDIS_REST_TOKEN: 'sekret-token' }));
    expect(JSON.stringify(rest)).not.toContain('sekret');
    expect(rest.store).toBe('rest http://127.0.0.1:8079 (token 12 chars)');
    const tcp = describeConfig(loadConfig({ FEATURE_STORE: 'tcp', REDIS_URL: 'redis://user:sekret@host:6380/2' }));
    expect(tcp.store).toBe('tcp redis://***@host:6380/2');
  });
});
