/**
 * Broker start time (not a test): starts the local Kafka broker several times on free ports with
 * fresh data directories and reports how long each took from spawning the JVM until the admin API
 * answered and the contract topics existed. Median of the runs; ends with one line of JSON.
 *
 *   npx tsx infra/bench/kafka-start.ts [--runs N]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startKafka } from '../src/kafka.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
if (process.argv.includes('--help') || !(RUNS > 0)) {
  console.log('usage: npx tsx infra/bench/kafka-start.ts [--runs N]   (default 5)');
  process.exit(process.argv.includes('--help') ? 0 : 1);
}

const startMs: number[] = [];
const formatMs: number[] = [];
const stopMs: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  const broker = await startKafka({ log: () => {} });
  startMs.push(broker.startMs);
  formatMs.push(broker.formatMs);
  const stopping = Date.now();
  await broker.stop();
  stopMs.push(Date.now() - stopping);
  console.log(
    `run ${run}: storage formatted in ${broker.formatMs} ms, broker answering ${broker.startMs} ms later, stopped in ${stopMs[run - 1]} ms`,
  );
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const figures = {
  brokerStartMsMedian: median(startMs),
  brokerStartMs: startMs,
  formatMsMedian: median(formatMs),
  brokerStopMsMedian: median(stopMs),
  runs: RUNS,
  kafka: '4.1.2',
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
};
console.log(
  `broker start: ${figures.brokerStartMsMedian} ms median over ${RUNS} runs (+ ${figures.formatMsMedian} ms formatting a fresh data dir); stop: ${figures.brokerStopMsMedian} ms`,
);
writeFileSync(
  fileURLToPath(new URL('../../docs/benchmarks/kafka-start.json', import.meta.url)),
  `${JSON.stringify(figures, null, 2)}\n`,
);
console.log(JSON.stringify(figures));
