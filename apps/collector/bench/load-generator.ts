/**
 * The collector benchmark's load generator, in its own process so it does not share the collector's
 * event loop. It POSTs tracker payloads (see payloads.ts) over keep-alive `node:http` connections with
 * `concurrency` clients, each sending its next request when the previous answer has been read, and
 * reports every request's time (send → answer read, ms).
 *
 * Driven by the benchmark over IPC (`child_process.fork`, see ingest.ts: messages `run`, `flood`, `stop`,
 * `exit`), or by hand, printing one line of JSON:
 *
 *   npx tsx apps/collector/bench/load-generator.ts --url http://127.0.0.1:8080 [--requests 1000]
 *     [--concurrency 64] [--shoppers 20000] [--events-per-request 10] [--seed 1]
 *
 * Only node built-ins are imported: the process starts fast and keeps little beside the traffic.
 */
import { Agent, request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchEventType, createTraffic, FLOOD_BODIES } from './payloads.js';

const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';

export interface RunCommand {
  cmd: 'run';
  url: string;
  requests: number;
  concurrency: number;
}
export interface FloodCommand {
  cmd: 'flood';
  url: string;
  concurrency: number;
}
export interface SetupCommand {
  cmd: 'setup';
  shoppers: number;
  eventsPerRequest: number;
  seed: number;
}
export type GeneratorCommand = SetupCommand | RunCommand | FloodCommand | { cmd: 'stop' } | { cmd: 'exit' };

export interface RunReport {
  type: 'done';
  /** From the first request sent to the last answer read. */
  elapsedMs: number;
  /** Per request, send → answer read, in the order the answers came. */
  latenciesMs: number[];
  /** Event types sent in this run. */
  counts: Record<BenchEventType, number>;
  /** The generator's own CPU time during the run (user + system). */
  cpuMicros: number;
}
export interface FloodReport {
  type: 'flooded';
  requests: number;
  /** Status codes seen, with counts. */
  statuses: Record<string, number>;
}
export type GeneratorMessage =
  | { type: 'ready' }
  | RunReport
  | { type: 'flooding' }
  | FloodReport
  | { type: 'error'; message: string };

interface Answer {
  status: number;
  ms: number;
}

/** One POST on a keep-alive agent; resolves when the answer has been read to the end. */
function post(url: URL, agent: Agent, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      {
        agent,
        method: 'POST',
        host: url.hostname,
        port: url.port,
        path: TP2_PATH,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let traffic = createTraffic({ shoppers: 20_000, eventsPerRequest: 10, seed: 1 });

/** Sends `requests` good payloads with `concurrency` clients; every answer must be 200. */
export async function run(command: Omit<RunCommand, 'cmd'>): Promise<RunReport> {
  const before = { ...traffic.counts };
  // Built before the clock starts: the timed part is sending and reading answers only.
  const requests = Array.from({ length: command.requests }, () => traffic.next());
  const counts = Object.fromEntries(
    Object.entries(traffic.counts).map(([type, n]) => [type, n - before[type as BenchEventType]]),
  ) as Record<BenchEventType, number>;
  const url = new URL(command.url);
  const agent = new Agent({ keepAlive: true, maxSockets: command.concurrency });
  const latenciesMs: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (next < requests.length) {
        const r = requests[next++] as (typeof requests)[number];
        const answer = await post(url, agent, r.body, {
          'Content-Type': 'application/json; charset=UTF-8',
          'User-Agent': r.userAgent,
          Cookie: r.cookie,
          Origin: 'https://shop.test',
          Referer: 'https://shop.test/',
        });
        if (answer.status !== 200) throw new Error(`collector answered ${answer.status}`);
        latenciesMs.push(Math.round(answer.ms * 100) / 100);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  return { type: 'done', elapsedMs, latenciesMs, counts, cpuMicros: used.user + used.system };
}

/** Floods bad payloads with `concurrency` clients until `stopped()` is true. */
export async function flood(command: Omit<FloodCommand, 'cmd'>, stopped: () => boolean): Promise<FloodReport> {
  const url = new URL(command.url);
  const agent = new Agent({ keepAlive: true, maxSockets: command.concurrency });
  const bodies = FLOOD_BODIES.map((body) => Buffer.from(body));
  const statuses: Record<string, number> = {};
  let requests = 0;
  await Promise.all(
    Array.from({ length: command.concurrency }, async (_, i) => {
      while (!stopped()) {
        const answer = await post(url, agent, bodies[(requests + i) % bodies.length] as Buffer, {
          'Content-Type': 'application/json',
        });
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        requests++;
      }
    }),
  );
  agent.destroy();
  return { type: 'flooded', requests, statuses };
}

const send = process.send?.bind(process);
if (send !== undefined) {
  let stopping = false;
  let flooding: Promise<FloodReport> | null = null;
  const fail = (error: unknown) => send({ type: 'error', message: String((error as Error)?.stack ?? error) });
  process.on('message', (message: GeneratorCommand) => {
    switch (message.cmd) {
      case 'setup':
        traffic = createTraffic(message);
        send({ type: 'ready' } satisfies GeneratorMessage);
        break;
      case 'run':
        run(message).then((report) => send(report), fail);
        break;
      case 'flood':
        stopping = false;
        flooding = flood(message, () => stopping);
        send({ type: 'flooding' } satisfies GeneratorMessage);
        break;
      case 'stop':
        stopping = true;
        flooding?.then((report) => send(report), fail);
        flooding = null;
        break;
      case 'exit':
        process.disconnect();
        break;
    }
  });
} else if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      requests: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '64' },
      shoppers: { type: 'string', default: '20000' },
      'events-per-request': { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.url === undefined) {
    console.log(
      'usage: npx tsx apps/collector/bench/load-generator.ts --url http://HOST:PORT [--requests N] [--concurrency N] [--shoppers N] [--events-per-request N] [--seed N]',
    );
    process.exit(values.help ? 0 : 2);
  }
  traffic = createTraffic({
    shoppers: Number(values.shoppers),
    eventsPerRequest: Number(values['events-per-request']),
    seed: Number(values.seed),
  });
  const report = await run({
    url: values.url,
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
  });
  const sorted = [...report.latenciesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(
    JSON.stringify({
      requests: report.latenciesMs.length,
      requestsPerSec: Math.round(report.latenciesMs.length / (report.elapsedMs / 1000)),
      clientMsP50: at(0.5),
      clientMsP99: at(0.99),
      counts: report.counts,
    }),
  );
}
