/**
 * Collector ingest benchmark (not a test): realistic tracker payloads over HTTP into the real
 * pipeline and a real Kafka broker. The load comes from separate processes (load-generator.ts, forked
 * with tsx), so it does not share the collector's event loop; this process holds only the collector
 * (HTTP server, pipeline, kafkajs sink) and the broker runs in its own JVM.
 *
 * Each round runs, in this process's server: the collector; the same-run baseline (the same HTTP
 * server with a pipeline that does nothing); and the collector again while a second generator process
 * floods it with bad payloads. Reported as medians over the rounds: events/s acknowledged by Kafka (a
 * 200 is sent only after the ack), receive → Kafka ack latency measured in the server (p50/p99),
 * latency seen by the clients (p50/p99), and this process's CPU time per event (`process.cpuUsage`).
 *
 *   npx tsx --conditions=tandem-source apps/collector/bench/ingest.ts [--quick] [--help]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKafka } from '@tandem/infra/kafka';
import { createRangeTableLookup } from '../src/enrich/geo.js';
import { type CollectorRequest, createCollectorServer } from '../src/http/server.js';
import { createSchemaRegistry } from '../src/iglu/registry.js';
import { createPipeline } from '../src/pipeline.js';
import { createKafkaSink } from '../src/sink/kafka-sink.js';
import type { FloodReport, GeneratorCommand, GeneratorMessage, RunReport } from './load-generator.js';
import { type BenchEventType, EVENT_TYPES } from './payloads.js';

const USAGE = `usage: npx tsx --conditions=tandem-source apps/collector/bench/ingest.ts [options]
       npm run bench -w @tandem/collector [-- options]

  --quick              3 rounds of 1,000 requests, no results file (default: 5 rounds of 5,000)
  --rounds N           rounds (each: collector, baseline, collector beside a bad flood)
  --requests N         requests per run (each holds 10 events)
  --concurrency N      concurrent clients of the good load (default 64, or BENCH_CONCURRENCY)
  --shoppers N         distinct shoppers in the traffic (default 20,000)
  --help               this text

Ends with one line of JSON; a full run writes docs/benchmarks/collector-ingest.json.`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    requests: { type: 'string' },
    concurrency: { type: 'string' },
    shoppers: { type: 'string' },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const QUICK = args.quick;
const positive = (value: string | undefined, fallback: number, name: string) => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = positive(args.rounds, QUICK ? 3 : 5, '--rounds');
const REQUESTS = positive(args.requests, QUICK ? 1_000 : 5_000, '--requests');
const CONCURRENCY = positive(args.concurrency ?? process.env.BENCH_CONCURRENCY, 64, '--concurrency');
const SHOPPERS = positive(args.shoppers, 20_000, '--shoppers');
const EVENTS_PER_REQUEST = 10;
const FLOOD_CLIENTS = 8;
const WARMUP_REQUESTS = 300;
/** A run that writes the results file: the defaults, not a quick or hand-tuned one. */
const CANONICAL = !QUICK && args.rounds === undefined && args.requests === undefined;

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
};
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** A load generator process, with a request/answer helper over IPC. */
function startGenerator(): {
  child: ChildProcess;
  ask: <T extends GeneratorMessage>(command: GeneratorCommand) => Promise<T>;
} {
  const child = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending: { resolve: (m: GeneratorMessage) => void; reject: (e: Error) => void } | null = null;
  child.on('message', (message: GeneratorMessage) => {
    const waiting = pending;
    pending = null;
    if (message.type === 'error') waiting?.reject(new Error(`load generator: ${message.message}`));
    else waiting?.resolve(message);
  });
  child.on('exit', (code) => pending?.reject(new Error(`load generator exited with ${code}`)));
  return {
    child,
    ask: <T extends GeneratorMessage>(command: GeneratorCommand) =>
      new Promise<T>((resolve, reject) => {
        pending = { resolve: resolve as (m: GeneratorMessage) => void, reject };
        child.send(command);
      }),
  };
}

/** The broker JVM's CPU time in µs (utime + stime from /proc; null where there is no /proc). */
function brokerCpuMicros(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks (100 Hz on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return null;
  }
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
/** Receive → Kafka ack of each request, measured in the server (ms; `collectorTimeMs` is epoch ms). */
const serverLatenciesMs: number[] = [];
const timed = async (request: CollectorRequest) => {
  await pipeline.process(request);
  serverLatenciesMs.push(Date.now() - request.collectorTimeMs);
};
const collector = await createCollectorServer({ host: '127.0.0.1', port: 0, process: timed, rateLimit: null });
const baseline = await createCollectorServer({
  host: '127.0.0.1',
  port: 0,
  process: async (request) => {
    serverLatenciesMs.push(Date.now() - request.collectorTimeMs);
  },
  rateLimit: null,
});

const good = startGenerator();
const flooder = startGenerator();
await good.ask({ cmd: 'setup', shoppers: SHOPPERS, eventsPerRequest: EVENTS_PER_REQUEST, seed: 1 });

interface Run {
  eventsPerSec: number;
  serverMsP50: number;
  serverMsP99: number;
  clientMsP50: number;
  clientMsP99: number;
  /** This process's CPU time (user + system) per event acknowledged. */
  serverCpuUsPerEvent: number;
  /** The load generator's CPU time per event sent. */
  generatorCpuUsPerEvent: number;
  /** The broker JVM's CPU time per event (null without /proc). */
  brokerCpuUsPerEvent: number | null;
  /** Share of the run this process's event loop was busy. */
  eventLoopUtilization: number;
  counts: Record<BenchEventType, number>;
}

/** One timed run of `requests` good requests against `url`. */
async function measure(url: string, requests: number): Promise<Run> {
  serverLatenciesMs.length = 0;
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const brokerCpu = brokerCpuMicros(broker.pid);
  const report = await good.ask<RunReport>({ cmd: 'run', url, requests, concurrency: CONCURRENCY });
  const used = process.cpuUsage(cpu);
  const brokerUsed = brokerCpu === null ? null : (brokerCpuMicros(broker.pid) ?? brokerCpu) - brokerCpu;
  const events = requests * EVENTS_PER_REQUEST;
  return {
    eventsPerSec: events / (report.elapsedMs / 1000),
    serverMsP50: percentile(serverLatenciesMs, 0.5),
    serverMsP99: percentile(serverLatenciesMs, 0.99),
    clientMsP50: percentile(report.latenciesMs, 0.5),
    clientMsP99: percentile(report.latenciesMs, 0.99),
    serverCpuUsPerEvent: (used.user + used.system) / events,
    generatorCpuUsPerEvent: report.cpuMicros / events,
    brokerCpuUsPerEvent: brokerUsed === null ? null : brokerUsed / events,
    eventLoopUtilization: performance.eventLoopUtilization(elu).utilization,
    counts: report.counts,
  };
}

// Warm up both servers, the producer's connection and the JIT of all three processes.
await measure(collector.url, WARMUP_REQUESTS);
await measure(baseline.url, WARMUP_REQUESTS);
await flooder.ask({ cmd: 'flood', url: collector.url, concurrency: FLOOD_CLIENTS });
await new Promise((resolve) => setTimeout(resolve, 500));
await flooder.ask<FloodReport>({ cmd: 'stop' });

const rounds: { collector: Run; baseline: Run; flooded: Run; floodRequests: number }[] = [];
const counts = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<BenchEventType, number>;
for (let i = 0; i < ROUNDS; i++) {
  // Alternate the order, so a machine that speeds up or slows down within a round favours neither.
  let quiet: Run;
  let base: Run;
  const before = pipeline.stats();
  if (i % 2 === 0) {
    quiet = await measure(collector.url, REQUESTS);
    base = await measure(baseline.url, REQUESTS);
  } else {
    base = await measure(baseline.url, REQUESTS);
    quiet = await measure(collector.url, REQUESTS);
  }
  const after = pipeline.stats();
  const badRows =
    Object.values(after.bad).reduce((a, b) => a + b, 0) - Object.values(before.bad).reduce((a, b) => a + b, 0);
  if (after.good - before.good !== REQUESTS * EVENTS_PER_REQUEST || badRows !== 0) {
    throw new Error(
      `the good traffic was not all good: ${after.good - before.good} good events of ${REQUESTS * EVENTS_PER_REQUEST}, bad rows ${JSON.stringify(after.bad)}`,
    );
  }
  for (const type of EVENT_TYPES) counts[type] += quiet.counts[type];

  await flooder.ask({ cmd: 'flood', url: collector.url, concurrency: FLOOD_CLIENTS });
  const flooded = await measure(collector.url, REQUESTS);
  const flood = await flooder.ask<FloodReport>({ cmd: 'stop' });
  rounds.push({ collector: quiet, baseline: base, flooded, floodRequests: flood.requests });
  console.log(
    `round ${i + 1}/${ROUNDS}: collector ${Math.round(quiet.eventsPerSec)} events/s, baseline ${Math.round(base.eventsPerSec)}, beside the flood ${Math.round(flooded.eventsPerSec)} (${flood.requests} bad requests)`,
  );
}
const stats = pipeline.stats();
good.child.send({ cmd: 'exit' } satisfies GeneratorCommand);
flooder.child.send({ cmd: 'exit' } satisfies GeneratorCommand);
await Promise.all([collector.close(), baseline.close()]);
await sink.close();
await broker.stop();

const med = (pick: (r: (typeof rounds)[number]) => number | null, digits = 0) => {
  const values = rounds.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : round(median(values), digits);
};
const totalEvents = Object.values(counts).reduce((a, b) => a + b, 0);
const figures = {
  eventsPerSec: med((r) => r.collector.eventsPerSec),
  baselineEventsPerSec: med((r) => r.baseline.eventsPerSec),
  ratioToBaseline: med((r) => r.collector.eventsPerSec / r.baseline.eventsPerSec, 3),
  receiveToAckMsP50: med((r) => r.collector.serverMsP50),
  receiveToAckMsP99: med((r) => r.collector.serverMsP99),
  clientMsP50: med((r) => r.collector.clientMsP50, 1),
  clientMsP99: med((r) => r.collector.clientMsP99, 1),
  serverCpuUsPerEvent: med((r) => r.collector.serverCpuUsPerEvent, 1),
  eventLoopUtilization: med((r) => r.collector.eventLoopUtilization, 2),
  brokerCpuUsPerEvent: med((r) => r.collector.brokerCpuUsPerEvent, 1),
  generatorCpuUsPerEvent: med((r) => r.collector.generatorCpuUsPerEvent, 1),
  baselineClientMsP50: med((r) => r.baseline.clientMsP50, 1),
  baselineClientMsP99: med((r) => r.baseline.clientMsP99, 1),
  baselineServerCpuUsPerEvent: med((r) => r.baseline.serverCpuUsPerEvent, 1),
  withFloodEventsPerSec: med((r) => r.flooded.eventsPerSec),
  withFloodReceiveToAckMsP50: med((r) => r.flooded.serverMsP50),
  withFloodReceiveToAckMsP99: med((r) => r.flooded.serverMsP99),
  withFloodClientMsP50: med((r) => r.flooded.clientMsP50, 1),
  withFloodClientMsP99: med((r) => r.flooded.clientMsP99, 1),
  withFloodServerCpuUsPerGoodEvent: med((r) => r.flooded.serverCpuUsPerEvent, 1),
  floodRequests: med((r) => r.floodRequests),
  runs: {
    eventsPerSec: rounds.map((r) => Math.round(r.collector.eventsPerSec)),
    baselineEventsPerSec: rounds.map((r) => Math.round(r.baseline.eventsPerSec)),
    withFloodEventsPerSec: rounds.map((r) => Math.round(r.flooded.eventsPerSec)),
  },
  eventMix: Object.fromEntries(EVENT_TYPES.map((t) => [t, round(counts[t] / totalEvents, 3)])),
  rounds: ROUNDS,
  requests: REQUESTS,
  eventsPerRequest: EVENTS_PER_REQUEST,
  concurrency: CONCURRENCY,
  floodClients: FLOOD_CLIENTS,
  shoppers: SHOPPERS,
  loadGenerator: 'separate processes (load-generator.ts, node:http keep-alive)',
  good: stats.good,
  bad: stats.bad,
  quick: QUICK,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
};
const n = (value: number | null) => (value === null ? 'n/a' : value.toLocaleString('en-US'));
console.log(
  `ingest: ${n(figures.eventsPerSec)} events/s acknowledged by Kafka, median of ${ROUNDS} rounds (${REQUESTS} requests x ${EVENTS_PER_REQUEST} events, ${CONCURRENCY} clients in another process, ${SHOPPERS} shoppers)`,
);
console.log(
  `  baseline, same HTTP server with a no-op pipeline: ${n(figures.baselineEventsPerSec)} events/s (collector/baseline ${figures.ratioToBaseline})`,
);
console.log(
  `  receive -> Kafka ack (server): p50 ${figures.receiveToAckMsP50} ms, p99 ${figures.receiveToAckMsP99} ms; client-observed: p50 ${figures.clientMsP50} ms, p99 ${figures.clientMsP99} ms`,
);
console.log(
  `  CPU per event: collector process ${figures.serverCpuUsPerEvent} µs (baseline ${figures.baselineServerCpuUsPerEvent} µs), broker ${n(figures.brokerCpuUsPerEvent)} µs, load generator ${figures.generatorCpuUsPerEvent} µs; collector event loop busy ${figures.eventLoopUtilization}`,
);
console.log(
  `  beside a flood of ${n(figures.floodRequests)} bad requests (${FLOOD_CLIENTS} clients in another process: garbage, unknown schemas, 2 MB bodies): ${n(figures.withFloodEventsPerSec)} good events/s, server p50 ${figures.withFloodReceiveToAckMsP50} ms / p99 ${figures.withFloodReceiveToAckMsP99} ms, client p50 ${figures.withFloodClientMsP50} ms / p99 ${figures.withFloodClientMsP99} ms`,
);
console.log(`  event mix: ${JSON.stringify(figures.eventMix)}`);
if (CANONICAL) {
  writeFileSync(
    fileURLToPath(new URL('../../../docs/benchmarks/collector-ingest.json', import.meta.url)),
    // Short arrays of numbers on one line, as Biome formats JSON.
    `${JSON.stringify(figures, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, items: string) => `[${items.split(/,\s+/).join(', ')}]`)}\n`,
  );
}
console.log(JSON.stringify(figures));
