/**
 * Prometheus metrics (prom-client) and the health endpoint: the only module that imports prom-client
 * or serves HTTP. Names are contracts the docker-compose Prometheus/Grafana set-up relies on
 * (`tandem_events_applied_total`, `tandem_freshness_seconds`, `tandem_consumer_lag`).
 */
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tandem_aggregator_' });
  const registers = [registry];
  return {
    registry,
    eventsIn: new Counter({
      name: 'tandem_events_in_total',
      help: 'Messages read from the enriched topic',
      registers,
    }),
    eventsApplied: new Counter({
      name: 'tandem_events_applied_total',
      help: 'Events applied to lanes, by lane kind and outcome (applied, duplicate, expired, ignored, erased)',
      labelNames: ['lane', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'tandem_dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    anonymousEvents: new Counter({
      name: 'tandem_anonymous_events_total',
      help: 'Events of no shopper (anonymous tracking: no user_id or domain_userid), skipped: no lane can hold them',
      registers,
    }),
    clockSkew: new Counter({
      name: 'tandem_clock_skew_events_total',
      help: 'Events whose time was outside [collector_tstamp - 24 h, collector_tstamp + 5 min] and was replaced by collector_tstamp',
      registers,
    }),
    lateEvents: new Counter({
      name: 'tandem_late_events_total',
      help: 'Events applied more than 10 s after their event time (by the broker clock)',
      registers,
    }),
    batchSize: new Histogram({
      name: 'tandem_batch_size',
      help: 'Messages per processed batch, by topic role',
      labelNames: ['role'] as const,
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
      registers,
    }),
    redisWriteSeconds: new Histogram({
      name: 'tandem_redis_write_seconds',
      help: 'Redis write latency of one batch (all its script calls)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    redisOps: new Counter({
      name: 'tandem_redis_ops_total',
      help: 'Redis operations written (SET, DEL, HSET, HDEL, PEXPIREAT inside scripts)',
      registers,
    }),
    freshness: new Histogram({
      name: 'tandem_freshness_seconds',
      help: 'Kafka append time of an event on the enriched topic to Redis acknowledging its changed features',
      // Fine buckets: the benchmark reads p50/p99/p99.9 from them.
      buckets: [
        0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4,
        0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30,
      ],
      registers,
    }),
    expiryWrites: new Counter({
      name: 'tandem_expiry_writes_total',
      help: 'Lanes rewritten because a tile boundary passed (values changed by time alone)',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'tandem_consumer_lag',
      help: 'Messages behind the high watermark, by topic and partition',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    lanes: new Gauge({
      name: 'tandem_lanes_in_memory',
      help: 'Lanes held in memory, by lane kind',
      labelNames: ['lane'] as const,
      registers,
    }),
    restores: new Counter({
      name: 'tandem_partition_restores_total',
      help: 'Lane partitions restored, by reason (checkpoint, no_checkpoint, definition_changed, unreadable_snapshot)',
      labelNames: ['reason'] as const,
      registers,
    }),
    fenced: new Counter({
      name: 'tandem_fenced_writes_total',
      help: 'Writes refused because another owner took the partition (FENCED) or Redis lost its data (WIPED)',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The reconciler's metrics, on the registry of the process it runs in. */
export function createReconcileMetrics(registry: Registry) {
  const registers = [registry];
  return {
    digests: new Counter({
      name: 'tandem_digests_total',
      help: 'Client digests read, by outcome (agree, drift, skipped: definition skew, stale, bad, no_server_state, erased)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    drift: new Counter({
      name: 'tandem_drift_total',
      help: 'Compared digests with drift, by cause',
      labelNames: ['cause'] as const,
      registers,
    }),
    fieldsCompared: new Counter({
      name: 'tandem_drift_fields_compared_total',
      help: 'Feature fields compared between browser and server, by outcome (match, mismatch, missing, extra)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    compareSeconds: new Histogram({
      name: 'tandem_reconcile_compare_seconds',
      help: 'CPU time of one comparison: cutting the server lanes at the digest, evaluating, comparing (no IO)',
      buckets: [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
      registers,
    }),
    settleSeconds: new Histogram({
      name: 'tandem_reconcile_settle_seconds',
      help: 'From a digest reaching the reconciler to its comparison being recorded',
      buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120],
      registers,
    }),
    pending: new Gauge({
      name: 'tandem_reconcile_pending',
      help: 'Digests waiting to settle',
      registers,
    }),
  };
}

export type ReconcileMetrics = ReturnType<typeof createReconcileMetrics>;

/** `/healthz` (200 once ready, 503 before) and `/metrics` on one small HTTP server. */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
  health: () => { ready: boolean; detail: Record<string, unknown> },
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const state = health();
      response.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: state.ready ? 'ready' : 'starting', ...state.detail }));
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found: try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
