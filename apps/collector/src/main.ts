/**
 * The collector process: `node --conditions=tandem-source --import tsx apps/collector/src/main.ts`
 * (npm start runs it). Reads its settings from the environment, listens on COLLECTOR_URL and writes
 * enriched TSV to ENRICHED_TOPIC and bad rows to BAD_TOPIC on KAFKA_BROKERS. SIGINT/SIGTERM stop it
 * gracefully: no new requests, pending Kafka sends flushed.
 */
import { fileURLToPath } from 'node:url';
import { COLLECTOR_DEFAULTS } from './config.js';
import { loadGeoLookup } from './enrich/geo.js';
import { createCollectorServer } from './http/server.js';
import { createSchemaRegistry } from './iglu/registry.js';
import { createPipeline } from './pipeline.js';
import { createKafkaSink } from './sink/kafka-sink.js';

const VERSION = '0.1.0';
const DEMO_GEO_TABLE = fileURLToPath(new URL('../geo/demo-ranges.csv', import.meta.url));

const USAGE = `Usage: node --conditions=tandem-source --import tsx apps/collector/src/main.ts [--help]

A Snowplow-compatible collector + enrich. Environment (defaults in brackets):
  COLLECTOR_URL            where to listen [http://127.0.0.1:9090]
  KAFKA_BROKERS            [127.0.0.1:9092]
  ENRICHED_TOPIC, BAD_TOPIC [snowplow-enriched-good, snowplow-enriched-bad]
  GEO_DATABASE             a MaxMind .mmdb or an IP-range .csv [the demo table, outside production]
  TRUSTED_PROXIES          comma-separated IPs/CIDRs whose X-Forwarded-For is believed, for the client
                           address of enrichment and of the rate limit [none; npm start: 127.0.0.1,
                           the store's /t proxy]
  IP_ANONYMIZATION_OCTETS  0..3 trailing IPv4 octets replaced by x [0]
  COLLECTOR_MAX_BODY_BYTES [1000000]; larger bodies become size_violation bad rows
  COLLECTOR_RATE_LIMIT     requests per second per client, bursts of twice that [200]; over it: 429
                           with Retry-After, no Kafka write; counted on GET /metrics
  COLLECTOR_ALLOWED_ORIGINS comma-separated, production only [none]`;

function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const value = Number(env(name, String(fallback)));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${process.env[name]}`);
  }
  return value;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const production = process.env.NODE_ENV === 'production';
  const listen = new URL(
    env('COLLECTOR_URL', `http://${COLLECTOR_DEFAULTS.COLLECTOR_HOST}:${COLLECTOR_DEFAULTS.COLLECTOR_PORT}`),
  );
  const maxBodyBytes = intEnv('COLLECTOR_MAX_BODY_BYTES', 1_000_000, 1_000, 100_000_000);
  const rate = intEnv('COLLECTOR_RATE_LIMIT', 200, 1, 1_000_000);
  const geoPath = process.env.GEO_DATABASE || (production ? undefined : DEMO_GEO_TABLE);
  const geo = geoPath === undefined ? null : await loadGeoLookup(geoPath);
  const sink = createKafkaSink({
    brokers: env('KAFKA_BROKERS', COLLECTOR_DEFAULTS.KAFKA_BROKERS).split(','),
    goodTopic: env('ENRICHED_TOPIC', COLLECTOR_DEFAULTS.ENRICHED_TOPIC),
    badTopic: env('BAD_TOPIC', COLLECTOR_DEFAULTS.BAD_TOPIC),
    clientId: 'tandem-collector',
    log: (line) => console.log(line),
  });
  const pipeline = createPipeline({
    registry: createSchemaRegistry(),
    sink,
    geo,
    ipAnonymizationOctets: intEnv('IP_ANONYMIZATION_OCTETS', 0, 0, 3) as 0 | 1 | 2 | 3,
    maxBodyBytes,
    version: VERSION,
  });
  const allowedOrigins = env('COLLECTOR_ALLOWED_ORIGINS', '').split(',').filter(Boolean);
  const trustedProxies = env('TRUSTED_PROXIES', '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const server = await createCollectorServer({
    host: listen.hostname,
    port: Number(listen.port || 80),
    process: pipeline.process,
    maxBodyBytes,
    maxEventsPerPayload: 500,
    rateLimit: { perClientPerSecond: rate, burst: rate * 2 },
    trustedProxies,
    production,
    ...(production ? { allowedOrigins } : {}),
    onError: (error) => console.error(`unexpected error: ${(error as Error)?.stack ?? String(error)}`),
    log: (line) => console.log(line),
  });
  console.log(
    `listening on ${server.url} (geo: ${geoPath ?? 'none'}; trusted proxies: ${trustedProxies.join(', ') || 'none'})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing (${JSON.stringify({ ...pipeline.stats(), rateLimit: server.rateLimitStats() })})`);
    await server.close();
    await sink.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
