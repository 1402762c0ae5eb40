/**
 * The edge-aggregator process: `npm run start -w @tandem/edge-aggregator` (and part of `npm start`).
 * Reads its configuration from the environment (and the repository's .env.local), serves /healthz and
 * /metrics, and stops gracefully on SIGTERM or Ctrl-C: finish the batch, checkpoint, commit, leave.
 */
import { loadEnvLocalIntoProcess } from '@tandem/infra/env-local';
import { startAggregator } from './aggregator.js';
import { AGGREGATOR_ENV_DEFAULTS, ConfigError, describeConfig, loadConfig } from './config.js';
import { createLog } from './log.js';
import { createMetrics, createReconcileMetrics, serveMetrics } from './metrics.js';
import { createDriftStore } from './reconcile/drift-store.js';
import { type Reconciler, startReconciler } from './reconcile/reconciler.js';
import { loadReconcileSettings, RECONCILE_ENV_DEFAULTS } from './reconcile/settings.js';
import { createFeatureStore } from './redis/feature-store.js';
import { restTransport, tcpTransport } from './redis/transport.js';

const USAGE = `Usage: node --conditions=tandem-source --import tsx apps/edge-aggregator/src/main.ts [--help]

The authoritative feature writer: consumes enriched Snowplow events from Kafka, computes every feature
with feature-core, and writes them to Redis. Settings (environment variables, defaults in brackets):
${Object.entries({ ...AGGREGATOR_ENV_DEFAULTS, ...RECONCILE_ENV_DEFAULTS })
  .map(([name, value]) => `  ${name.padEnd(26)} [${name.includes('TOKEN') ? 'from .env.local' : value}]`)
  .join('\n')}
With RECONCILE=on (the default) the process also runs the reconciler, which compares the browsers'
feature digests with these values and records drift (Redis, DRIFT_TOPIC); alone: npm run reconcile.
Endpoints: GET /healthz (200 when ready) and GET /metrics (Prometheus) on METRICS_HOST:METRICS_PORT.
Rebuild every feature from the topic: npm run replay -w @tandem/edge-aggregator -- --help`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  loadEnvLocalIntoProcess();
  let config: ReturnType<typeof loadConfig>;
  let reconcile: ReturnType<typeof loadReconcileSettings>;
  try {
    config = loadConfig();
    reconcile = loadReconcileSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`edge-aggregator: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLog('edge-aggregator', config.logLevel);
  log.info('starting', describeConfig(config));
  const transport =
    config.featureStore === 'rest' ? restTransport(config.restUrl, config.restToken) : tcpTransport(config.redisUrl);
  const store = createFeatureStore(transport);
  const metrics = createMetrics();
  let aggregator: Awaited<ReturnType<typeof startAggregator>> | null = null;
  const server = await serveMetrics(metrics, config.metricsHost, config.metricsPort, () =>
    aggregator === null ? { ready: false, detail: { phase: 'connecting' } } : aggregator.health(),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.metricsPort;

  // Signals are handled from here on, also while Kafka is still being joined: a SIGTERM during
  // start-up waits for the feature writer's step in hand, then stops what has started.
  let stopping = false;
  let startup: Promise<void> = Promise.resolve();
  /** The reconciler once started (null when off or failed); its start is never waited for by a stop. */
  let reconcilerStart: Promise<Reconciler | null> = Promise.resolve(null);
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const timer = setTimeout(() => {
      log.error('graceful stop took over 30 s; exiting');
      process.exit(1);
    }, 30_000);
    await startup.catch(() => {});
    // The reconciler keeps nothing a restart does not recover (its offsets stay below pending
    // digests). Joining or leaving its group can block for a whole session timeout (kafkajs's run()
    // resolves only once joined, and a kill -9 leaves a dead member behind): it gets 5 s, in
    // parallel; the feature writer's stop never waits for it.
    const reconcilerStopped = withinMs(
      reconcilerStart.then((reconciler) => reconciler?.stop()),
      5_000,
    );
    await aggregator?.stop();
    if (!(await reconcilerStopped.then(() => true).catch(() => false)))
      log.warn('the reconciler did not stop in 5 s; leaving it');
    await store.close();
    server.close();
    clearTimeout(timer);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  startup = (async () => {
    aggregator = await startAggregator({
      config,
      store,
      metrics,
      log,
      // A consumer kafkajs will not restart is a process that does nothing: exit, so a supervisor
      // (npm start, systemd, Kubernetes) starts a fresh one, which restores from its checkpoints.
      onFatal: (error) => {
        log.error('exiting: the Kafka consumer stopped for good', { error: String(error) });
        process.exit(1);
      },
    });
    log.info(`listening on http://${config.metricsHost}:${port} (/healthz, /metrics)`);
  })();
  await startup;
  if (stopping) return;
  // The reconciler shares the process (one thing to run) but not the consumer group, so it can
  // never hold up the feature writer's partitions; its failures are logged, not fatal.
  const reconcileLog = createLog('reconciler', config.logLevel);
  if (reconcile.enabled && config.inputFormat !== 'tsv') {
    reconcileLog.warn('reconciler off: it reads digests from enriched TSV only', { input: config.inputFormat });
  } else if (reconcile.enabled) {
    reconcilerStart = startReconciler({
      config,
      settings: reconcile,
      store: createDriftStore(transport, { group: config.consumerGroup, engine: config.engine }),
      metrics: createReconcileMetrics(metrics.registry),
      log: reconcileLog,
      onFatal: (error) =>
        reconcileLog.error('the reconciler stopped; features are unaffected', { error: String(error) }),
    }).catch((error: unknown) => {
      reconcileLog.error('the reconciler did not start; features are unaffected', { error: String(error) });
      return null;
    });
  }
}

/** Resolves when `work` does within `ms`; rejects when it fails or takes longer. */
function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not done in ${ms} ms`)), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

main().catch((error: unknown) => {
  console.error(`edge-aggregator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
