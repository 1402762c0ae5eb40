/**
 * Pipeline health for the drift dashboard, from the edge-aggregator's Prometheus endpoint (metric
 * names: apps/edge-aggregator/src/metrics.ts): freshness p50/p99, throughput, consumer lag and
 * digests compared. Throughput is a rate between two reads, so the reader keeps its previous sample in
 * process memory (one per store process; a restart starts without a rate until the next read).
 */
import {
  hasMetric,
  histogramBuckets,
  histogramQuantile,
  type PromSample,
  parsePrometheusText,
  sumByLabel,
  sumMetric,
} from './drift-prometheus';

/** What the dashboard shows of the pipeline; `available: false` when the endpoint did not answer. */
export type PipelineHealth =
  | {
      readonly available: true;
      readonly metricsUrl: string;
      readonly readAtMs: number;
      /** Kafka append to Redis acknowledgement, seconds; null before the first event. */
      readonly freshness: {
        readonly p50Seconds: number | null;
        readonly p99Seconds: number | null;
        readonly events: number;
      };
      /** Enriched events read per second between this read and an earlier one; null on the first read. */
      readonly eventsPerSecond: number | null;
      readonly eventsInTotal: number;
      /** Sum of `tandem_consumer_lag` over the aggregator's partitions (messages). */
      readonly consumerLag: number;
      /** `tandem_digests_total` by outcome (agree, drift, skipped, stale, bad, no_server_state, erased), and their sum. */
      readonly digests: { readonly total: number; readonly byOutcome: Readonly<Record<string, number>> };
      /** Digests waiting to settle (`tandem_reconcile_pending`); null when the reconciler is off. */
      readonly reconcilePending: number | null;
    }
  | { readonly available: false; readonly metricsUrl: string; readonly reason: string };

/** A read of the events-in counter, for the rate. */
export interface CounterSample {
  readonly atMs: number;
  readonly value: number;
}

/** The rate between two counter reads, per second; null without a usable earlier read (or after a reset). */
export function counterRate(previous: CounterSample | null, current: CounterSample): number | null {
  if (previous === null) return null;
  const seconds = (current.atMs - previous.atMs) / 1000;
  if (seconds <= 0 || current.value < previous.value) return null;
  return (current.value - previous.value) / seconds;
}

/** Health from one page of samples (pure); `eventsPerSecond` is supplied by the caller's memory. */
export function pipelineHealthFromSamples(
  samples: readonly PromSample[],
  metricsUrl: string,
  readAtMs: number,
  eventsPerSecond: number | null,
): PipelineHealth {
  const buckets = histogramBuckets(samples, 'tandem_freshness_seconds');
  const byOutcome = sumByLabel(samples, 'tandem_digests_total', 'outcome');
  return {
    available: true,
    metricsUrl,
    readAtMs,
    freshness: {
      p50Seconds: histogramQuantile(0.5, buckets),
      p99Seconds: histogramQuantile(0.99, buckets),
      events: sumMetric(samples, 'tandem_freshness_seconds_count'),
    },
    eventsPerSecond,
    eventsInTotal: sumMetric(samples, 'tandem_events_in_total'),
    consumerLag: sumMetric(samples, 'tandem_consumer_lag'),
    digests: { total: Object.values(byOutcome).reduce((a, b) => a + b, 0), byOutcome },
    reconcilePending: hasMetric(samples, 'tandem_reconcile_pending')
      ? sumMetric(samples, 'tandem_reconcile_pending')
      : null,
  };
}

export interface PipelineHealthReaderOptions {
  /** The aggregator's metrics endpoint base (AGGREGATOR_METRICS_URL); `/metrics` is appended. */
  readonly baseUrl: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** How long a read may take before it counts as unavailable. Default 1,500 ms (the page polls every 2 s). */
  readonly timeoutMs?: number;
  /** The rate is taken against a read at least this old (several tabs polling at once). Default 1,000 ms. */
  readonly minRateIntervalMs?: number;
}

export interface PipelineHealthReader {
  read(): Promise<PipelineHealth>;
}

/** The metrics URL from a base that may or may not already end in `/metrics`. */
export function metricsUrlOf(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/metrics') ? trimmed : `${trimmed}/metrics`;
}

export function createPipelineHealthReader(options: PipelineHealthReaderOptions): PipelineHealthReader {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const url = metricsUrlOf(options.baseUrl);
  const minInterval = options.minRateIntervalMs ?? 1_000;
  let base: CounterSample | null = null;
  let lastRate: number | null = null;

  return {
    async read() {
      let text: string;
      try {
        const response = await doFetch(url, {
          signal: AbortSignal.timeout(options.timeoutMs ?? 1_500),
          cache: 'no-store',
        });
        if (!response.ok) return { available: false, metricsUrl: url, reason: `${url} answered ${response.status}` };
        text = await response.text();
      } catch (error) {
        const detail =
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
        return {
          available: false,
          metricsUrl: url,
          reason: `${url} did not answer${detail ? ` (${detail})` : ''}: is the edge-aggregator running?`,
        };
      }
      const samples = parsePrometheusText(text);
      if (!hasMetric(samples, 'tandem_events_in_total'))
        return {
          available: false,
          metricsUrl: url,
          reason: `${url} has no tandem_events_in_total: not the aggregator?`,
        };
      const current: CounterSample = { atMs: now(), value: sumMetric(samples, 'tandem_events_in_total') };
      if (base === null || current.value < base.value) {
        // First read, or the aggregator restarted (counter reset): no rate until the next read.
        base = current;
        lastRate = null;
      } else if (current.atMs - base.atMs >= minInterval) {
        lastRate = counterRate(base, current);
        base = current;
      }
      return pipelineHealthFromSamples(samples, url, current.atMs, lastRate);
    },
  };
}
