import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterRate, createPipelineHealthReader, metricsUrlOf } from './drift-health';

let eventsIn = 100;
let server: Server;
let base = '';

const page = () => `# TYPE tandem_events_in_total counter
tandem_events_in_total ${eventsIn}
tandem_consumer_lag{topic="t",partition="0"} 2
tandem_consumer_lag{topic="t",partition="1"} 5
tandem_digests_total{outcome="agree"} 8
tandem_digests_total{outcome="drift"} 1
tandem_reconcile_pending 2
tandem_freshness_seconds_bucket{le="0.05"} 10
tandem_freshness_seconds_bucket{le="0.1"} 20
tandem_freshness_seconds_bucket{le="+Inf"} 20
tandem_freshness_seconds_count 20
`;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('pipeline health', () => {
  it('reads freshness, lag and digests, and the event rate between two reads (none on the first)', async () => {
    let now = 1_000_000;
    const reader = createPipelineHealthReader({ baseUrl: base, now: () => now });
    const first = await reader.read();
    expect(first).toMatchObject({
      available: true,
      metricsUrl: `${base}/metrics`,
      eventsPerSecond: null,
      eventsInTotal: 100,
      consumerLag: 7,
      digests: { total: 9, byOutcome: { agree: 8, drift: 1 } },
      reconcilePending: 2,
      freshness: { events: 20 },
    });
    if (!first.available) throw new Error('unavailable');
    expect(first.freshness.p50Seconds).toBeCloseTo(0.05);
    expect(first.freshness.p99Seconds).toBeCloseTo(0.05 + 0.05 * 0.98);

    eventsIn = 150;
    now += 2_000;
    expect(await reader.read()).toMatchObject({ eventsPerSecond: 25 });
    // A read right after another keeps the last rate (several tabs polling).
    eventsIn = 151;
    now += 100;
    expect(await reader.read()).toMatchObject({ eventsPerSecond: 25 });
    // A counter reset (aggregator restarted): no rate until the next read.
    eventsIn = 3;
    now += 2_000;
    expect(await reader.read()).toMatchObject({ eventsPerSecond: null });
  });

  it('says unavailable, and why, when the endpoint does not answer or is not the aggregator', async () => {
    const down = await createPipelineHealthReader({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }).read();
    expect(down).toMatchObject({ available: false, metricsUrl: 'http://127.0.0.1:1/metrics' });
    if (down.available) throw new Error('available');
    expect(down.reason).toMatch(/did not answer.*is the edge-aggregator running\?/);
    const notFound = await createPipelineHealthReader({ baseUrl: `${base}/other` }).read();
    expect(notFound).toMatchObject({ available: false, reason: `${base}/other/metrics answered 404` });
  });

  it('computes a counter rate only forward in time and without a reset', () => {
    expect(counterRate(null, { atMs: 1, value: 1 })).toBeNull();
    expect(counterRate({ atMs: 0, value: 10 }, { atMs: 4_000, value: 30 })).toBe(5);
    expect(counterRate({ atMs: 0, value: 10 }, { atMs: 0, value: 30 })).toBeNull();
    expect(counterRate({ atMs: 0, value: 10 }, { atMs: 1_000, value: 3 })).toBeNull();
  });

  it('appends /metrics once', () => {
    expect(metricsUrlOf('http://h:9464')).toBe('http://h:9464/metrics');
    expect(metricsUrlOf('http://h:9464/')).toBe('http://h:9464/metrics');
    expect(metricsUrlOf('http://h:9464/metrics')).toBe('http://h:9464/metrics');
  });
});
