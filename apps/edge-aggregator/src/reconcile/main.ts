/**
 * The reconciler alone: `npm run reconcile -w @tandem/edge-aggregator`, for running it apart from
 * the aggregator (set RECONCILE=off there). Same settings as the aggregator's, plus the reconciler's;
 * /healthz and /metrics on RECONCILE_METRICS_PORT (default 9465).
 */
import { loadEnvLocalIntoProcess } from '@tandem/infra/env-local';
import { AGGREGATOR_ENV_DEFAULTS, ConfigError, loadConfig } from '../config.js';
import { createLog } from '../log.js';
import { createMetrics, createReconcileMetrics, serveMetrics } from '../metrics.js';
import { restTransport, tcpTransport } from '../redis/transport.js';
import { createDriftStore } from './drift-store.js';
import { type Reconciler, startReconciler } from './reconciler.js';
import { loadReconcileSettings, RECONCILE_ENV_DEFAULTS } from './settings.js';

const USAGE = `Usage: npm run reconcile -w @tandem/edge-aggregator [-- --help]

Compares the browsers' feature digests (on the enriched topic) with the aggregator's values over the
same events and records drift in Redis and on DRIFT_TOPIC. Settings (environment, defaults in brackets):
${Object.entries({ ...AGGREGATOR_ENV_DEFAULTS, ...RECONCILE_ENV_DEFAULTS, RECONCILE_METRICS_PORT: '9465' })
  .filter(([name]) => !['CHECKPOINT_INTERVAL_MS', 'METRICS_PORT', 'DEAD_LETTER_TOPIC', 'RECONCILE'].includes(name))
  .map(([name, value]) => `  ${name.padEnd(26)} [${name.includes('TOKEN') ? 'from .env.local' : value}]`)
  .join('\n')}`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  loadEnvLocalIntoProcess();
  let config: ReturnType<typeof loadConfig>;
  let settings: ReturnType<typeof loadReconcileSettings>;
  try {
    config = loadConfig({ ...process.env, METRICS_PORT: process.env.RECONCILE_METRICS_PORT || '9465' });
    settings = loadReconcileSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`reconciler: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLog('reconciler', config.logLevel);
  const transport =
    config.featureStore === 'rest' ? restTransport(config.restUrl, config.restToken) : tcpTransport(config.redisUrl);
  const metrics = createMetrics();
  let reconciler: Reconciler | null = null;
  const server = await serveMetrics(metrics, config.metricsHost, config.metricsPort, () =>
    reconciler === null ? { ready: false, detail: { phase: 'connecting' } } : reconciler.health(),
  );
  reconciler = await startReconciler({
    config,
    settings,
    store: createDriftStore(transport, { group: config.consumerGroup, engine: config.engine }),
    metrics: createReconcileMetrics(metrics.registry),
    log,
    onFatal: (error) => {
      log.error('exiting: the Kafka consumer stopped for good', { error: String(error) });
      process.exit(1);
    },
  });
  log.info(`listening on http://${config.metricsHost}:${config.metricsPort} (/healthz, /metrics)`);
  const stop = async (signal: string) => {
    log.info('stopping', { signal });
    const timer = setTimeout(() => process.exit(1), 15_000);
    await reconciler?.stop();
    await transport.close();
    server.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`reconciler: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
