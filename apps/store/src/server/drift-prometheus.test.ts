import { describe, expect, it } from 'vitest';
import { histogramBuckets, histogramQuantile, parsePrometheusText, sumByLabel, sumMetric } from './drift-prometheus';

const PAGE = `# HELP tandem_events_in_total Messages read from the enriched topic
# TYPE tandem_events_in_total counter
tandem_events_in_total 1234
tandem_consumer_lag{topic="snowplow-enriched-good",partition="0"} 3
tandem_consumer_lag{topic="snowplow-enriched-good",partition="1"} 4
tandem_digests_total{outcome="agree"} 10
tandem_digests_total{outcome="drift"} 2
tandem_digests_total{outcome="agree"} 1
weird_label{path="a \\"quoted\\" \\\\ value\\n",x="1"} 5 1700000000000
tandem_freshness_seconds_bucket{le="0.01"} 0
tandem_freshness_seconds_bucket{le="0.1"} 50
tandem_freshness_seconds_bucket{le="1"} 90
tandem_freshness_seconds_bucket{le="+Inf"} 100
tandem_freshness_seconds_sum 31.5
tandem_freshness_seconds_count 100
nan_gauge NaN
broken{le="1" 3
  
not a sample line
`;

describe('parsePrometheusText', () => {
  const samples = parsePrometheusText(PAGE);

  it('reads names, labels (with escapes), values and skips comments and malformed lines', () => {
    expect(samples.find((s) => s.name === 'tandem_events_in_total')).toEqual({
      name: 'tandem_events_in_total',
      labels: {},
      value: 1234,
    });
    expect(samples.find((s) => s.name === 'weird_label')).toEqual({
      name: 'weird_label',
      labels: { path: 'a "quoted" \\ value\n', x: '1' },
      value: 5,
    });
    expect(samples.find((s) => s.name === 'nan_gauge')?.value).toBeNaN();
    expect(samples.some((s) => s.name === 'broken' || s.name === 'not')).toBe(false);
    expect(samples.find((s) => s.labels.le === '+Inf')?.value).toBe(100);
  });

  it('sums series, optionally matching labels, and groups by a label', () => {
    expect(sumMetric(samples, 'tandem_consumer_lag')).toBe(7);
    expect(sumMetric(samples, 'tandem_consumer_lag', { partition: '1' })).toBe(4);
    expect(sumMetric(samples, 'absent_metric')).toBe(0);
    expect(sumMetric(samples, 'nan_gauge')).toBe(0);
    expect(sumByLabel(samples, 'tandem_digests_total', 'outcome')).toEqual({ agree: 11, drift: 2 });
  });

  it('reads the quantiles of a histogram as PromQL histogram_quantile does', () => {
    const buckets = histogramBuckets(samples, 'tandem_freshness_seconds');
    expect(buckets.map((b) => b.le)).toEqual([0.01, 0.1, 1, Number.POSITIVE_INFINITY]);
    // Rank 50 is the last of the (0.01, 0.1] bucket; rank 99 falls in +Inf: the highest finite bound.
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.01 + 0.09 * 0.5);
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(1);
    expect(histogramQuantile(0.99, buckets)).toBe(1);
  });

  it('has no quantile without observations or without a +Inf bucket', () => {
    expect(histogramQuantile(0.5, [])).toBeNull();
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
    expect(histogramQuantile(0.5, [{ le: 1, count: 5 }])).toBeNull();
    // The first bucket interpolates from 0.
    expect(
      histogramQuantile(0.5, [
        { le: 2, count: 4 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ]),
    ).toBe(1);
  });

  it('sums a histogram over its other labels', () => {
    const two = parsePrometheusText(
      'h_bucket{lane="a",le="1"} 1\nh_bucket{lane="b",le="1"} 2\nh_bucket{lane="a",le="+Inf"} 2\nh_bucket{lane="b",le="+Inf"} 2\n',
    );
    expect(histogramBuckets(two, 'h')).toEqual([
      { le: 1, count: 3 },
      { le: Number.POSITIVE_INFINITY, count: 4 },
    ]);
  });
});
