/**
 * Collector ingest benchmark (not a test): realistic tracker payloads over HTTP into the real
 * pipeline and a real Kafka broker. Reports events/s acknowledged by Kafka (a 200 is sent only after
 * the ack) and the latency from receiving a request to Kafka's acknowledgement (p50/p99). Same-run
 * baseline: the same requests against the same HTTP server with a pipeline that does nothing.
 *
 *   npx tsx --conditions=tandem-source apps/collector/bench/ingest.ts [--quick]
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startKafka } from '@tandem/infra/kafka';
import { createRangeTableLookup } from '../src/enrich/geo.js';
import { type CollectorRequest, createCollectorServer, TP2_PATH } from '../src/http/server.js';
import { createSchemaRegistry } from '../src/iglu/registry.js';
import { createPipeline } from '../src/pipeline.js';
import { createKafkaSink } from '../src/sink/kafka-sink.js';

const QUICK = process.argv.includes('--quick');
if (process.argv.includes('--help')) {
  console.log('usage: npx tsx --conditions=tandem-source apps/collector/bench/ingest.ts [--quick]');
  process.exit(0);
}
const REQUESTS = QUICK ? 1_000 : 5_000;
const EVENTS_PER_REQUEST = 10;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';

/** A shopper's payload of 10 events as the browser tracker batches them: page views, product views, an add. */
function payload(shopper: number): string {
  const duid = `00000000-0000-4000-8000-${String(shopper).padStart(12, '0')}`;
  const sid = randomUUID();
  const now = Date.now();
  const data = Array.from({ length: EVENTS_PER_REQUEST }, (_, n) => {
    const kind = n % 5 === 0 ? 'pv' : 'ue';
    const type = n % 5 === 4 ? 'add_to_cart' : 'product_view';
    const contexts = [
      {
        schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
        data: {
          userId: duid,
          sessionId: sid,
          sessionIndex: 1,
          previousSessionId: null,
          storageMechanism: 'LOCAL_STORAGE',
          firstEventId: null,
          firstEventTimestamp: null,
          eventIndex: n,
        },
      },
      { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: randomUUID() } },
      ...(kind === 'ue'
        ? [
            {
              schema: `${ECOM}/product/jsonschema/1-0-0`,
              data: { id: `sku-${n}`, category: 'Shoes', price: 42.99, currency: 'USD' },
            },
          ]
        : []),
      ...(type === 'add_to_cart' && kind === 'ue'
        ? [{ schema: `${ECOM}/cart/jsonschema/1-0-0`, data: { total_value: 42.99, currency: 'USD' } }]
        : []),
    ];
    return {
      e: kind,
      eid: randomUUID(),
      tv: 'js-4.6.0',
      p: 'web',
      dtm: String(now - 1_000 + n),
      stm: String(now),
      ttm: String(now - 1_000 + n),
      duid,
      sid,
      vid: '1',
      url: `https://shop.test/p/sku-${n}`,
      ...(kind === 'ue' && {
        ue_pr: JSON.stringify({
          schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
          data: { schema: `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`, data: { type } },
        }),
      }),
      co: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: contexts }),
    };
  });
  return JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
};

/** Sends REQUESTS payloads with CONCURRENCY clients; returns elapsed seconds. */
async function load(url: string, bodies: string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const response = await fetch(`${url}${TP2_PATH}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`collector answered ${response.status}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

const broker = await startKafka({ log: () => {} });
const sink = createKafkaSink({
  brokers: broker.brokers,
  goodTopic: 'snowplow-enriched-good',
  badTopic: 'snowplow-enriched-bad',
  clientId: 'bench',
});
const pipeline = createPipeline({
  registry: createSchemaRegistry(),
  sink,
  geo: createRangeTableLookup('network,country,region,city\n127.0.0.0/8,NL,NH,Amsterdam\n'),
  maxBodyBytes: 1_000_000,
  version: 'bench',
});
const latenciesMs: number[] = [];
const timed = async (request: CollectorRequest) => {
  await pipeline.process(request);
  latenciesMs.push(Date.now() - request.collectorTimeMs);
};
const collector = await createCollectorServer({ host: '127.0.0.1', port: 0, process: timed, rateLimit: null });
const baseline = await createCollectorServer({ host: '127.0.0.1', port: 0, process: async () => {}, rateLimit: null });

const bodies = Array.from({ length: REQUESTS }, (_, i) => payload(i % 2_000));
await load(collector.url, bodies.slice(0, 200)); // warm up: JIT, producer connection
latenciesMs.length = 0;
const seconds = await load(collector.url, bodies);
const latenciesQuiet = [...latenciesMs];
const baselineSeconds = await load(baseline.url, bodies);

/**
 * A flood of bad payloads beside the good traffic: 8 clients sending garbage, unknown schemas and
 * 2 MB bodies as fast as they can while the good load runs again. The question: does good traffic
 * slow down noticeably?
 */
const FLOOD_BODIES = [
  'not json at all',
  JSON.stringify({
    schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
    data: [
      { e: 'ue', eid: 'x', p: 'web', tv: 't', ue_pr: '{"schema":"iglu:com.acme/unknown/jsonschema/1-0-0","data":{}}' },
    ],
  }),
  'x'.repeat(2_000_000),
];
let floodRequests = 0;
let flooding = true;
const flood = Promise.all(
  Array.from({ length: 8 }, async (_, i) => {
    while (flooding) {
      const response = await fetch(`${collector.url}${TP2_PATH}`, {
        method: 'POST',
        body: FLOOD_BODIES[(floodRequests + i) % FLOOD_BODIES.length],
      });
      await response.arrayBuffer();
      floodRequests++;
    }
  }),
);
latenciesMs.length = 0;
const floodedSeconds = await load(collector.url, bodies);
flooding = false;
await flood;
const latenciesFlooded = [...latenciesMs];
const stats = pipeline.stats();
await Promise.all([collector.close(), baseline.close()]);
await sink.close();
await broker.stop();

const events = REQUESTS * EVENTS_PER_REQUEST;
const figures = {
  eventsPerSec: Math.round(events / seconds),
  baselineEventsPerSec: Math.round(events / baselineSeconds),
  ratioToBaseline: Number((baselineSeconds / seconds).toFixed(3)),
  receiveToAckMsP50: percentile(latenciesQuiet, 0.5),
  receiveToAckMsP99: percentile(latenciesQuiet, 0.99),
  withFloodEventsPerSec: Math.round((REQUESTS * EVENTS_PER_REQUEST) / floodedSeconds),
  withFloodReceiveToAckMsP50: percentile(latenciesFlooded, 0.5),
  withFloodReceiveToAckMsP99: percentile(latenciesFlooded, 0.99),
  floodRequests,
  requests: REQUESTS,
  eventsPerRequest: EVENTS_PER_REQUEST,
  concurrency: CONCURRENCY,
  good: stats.good,
  bad: stats.bad,
  quick: QUICK,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
};
console.log(
  `ingest: ${figures.eventsPerSec.toLocaleString('en-US')} events/s acknowledged by Kafka (${REQUESTS} requests x ${EVENTS_PER_REQUEST} events, ${CONCURRENCY} clients)`,
);
console.log(
  `  baseline, same HTTP server with a no-op pipeline: ${figures.baselineEventsPerSec.toLocaleString('en-US')} events/s`,
);
console.log(`  receive -> Kafka ack: p50 ${figures.receiveToAckMsP50} ms, p99 ${figures.receiveToAckMsP99} ms`);
console.log(
  `  with a flood of ${floodRequests} bad requests beside it (8 clients: garbage, unknown schemas, 2 MB bodies): ${figures.withFloodEventsPerSec.toLocaleString('en-US')} good events/s, p50 ${figures.withFloodReceiveToAckMsP50} ms, p99 ${figures.withFloodReceiveToAckMsP99} ms`,
);
if (!QUICK) {
  writeFileSync(
    fileURLToPath(new URL('../../../docs/benchmarks/collector-ingest.json', import.meta.url)),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
}
console.log(JSON.stringify(figures));
