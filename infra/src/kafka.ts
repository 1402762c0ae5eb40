/**
 * A real Apache Kafka broker without Docker: the broker's jars from Maven Central (infra/kafka/pom.xml),
 * run with the machine's Java as a single KRaft node (broker + controller) on a given port and data
 * directory. Used by `npm start` and by integration tests, which each get their own broker.
 *
 * kafkajs is used here only to tell when the broker answers and to create topics.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './ports.js';
import { stopChild } from './processes.js';
import { DEFAULT_PARTITIONS, TOPIC_CONFIG, topicNames } from './topics.js';

const INFRA_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(INFRA_DIR, '..');
const POM = join(INFRA_DIR, 'kafka', 'pom.xml');
const LOG_CONFIG = join(INFRA_DIR, 'kafka', 'log4j2.properties');
/** Git-ignored cache of the broker's jars (the first run downloads them, later runs reuse them). */
export const KAFKA_LIBS_DIR = join(REPO_ROOT, '.cache', 'kafka', 'libs');

/** An infrastructure error with a code from a closed set and whether retrying can help. */
export class KafkaLauncherError extends Error {
  override name = 'KafkaLauncherError';
  constructor(
    readonly code: 'jars_unavailable' | 'format_failed' | 'start_failed' | 'start_timeout' | 'topics_failed',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

type Log = (line: string) => void;

/** Runs a command to completion, collecting its output; rejects with the output on failure. */
function runCommand(command: string, args: readonly string[], log: Log): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve(output);
      else {
        log(output.trim());
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      }
    });
  });
}

/**
 * The directory of the broker's jars, downloading them with Maven on the first call (about 45 MB
 * from Maven Central; later calls reuse the cache).
 */
export async function ensureKafkaJars(log: Log = console.log): Promise<string> {
  const hasJars = existsSync(KAFKA_LIBS_DIR) && readdirSync(KAFKA_LIBS_DIR).some((f) => f.startsWith('kafka_2.13-'));
  if (hasJars) return KAFKA_LIBS_DIR;
  log(`downloading the Kafka broker jars from Maven Central into ${KAFKA_LIBS_DIR} (first run only, ~45 MB)`);
  try {
    await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${KAFKA_LIBS_DIR}`,
      ],
      log,
    );
  } catch (error) {
    throw new KafkaLauncherError(
      'jars_unavailable',
      `could not download the Kafka jars with Maven (is \`mvn\` installed and Maven Central reachable?): ${(error as Error).message}`,
      true,
    );
  }
  return KAFKA_LIBS_DIR;
}

export interface KafkaOptions {
  /** Client port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; a free one when absent. */
  controllerPort?: number;
  /** Data directory; a temporary one (removed on stop) when absent. An existing, formatted one is reused. */
  dataDir?: string;
  /** Topics to create (existing ones are kept); default: the contract topics. */
  topics?: readonly string[];
  /** Partitions of each created topic; default 6 (or `KAFKA_PARTITIONS`). */
  partitions?: number;
  /** Receives the broker's output lines and the launcher's progress. */
  log?: Log;
  /** How long to wait for the broker to answer; default 90 s (the first start on a cold JVM is slow). */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 20 s. */
  stopTimeoutMs?: number;
}

export interface RunningKafka {
  /** Bootstrap servers, `127.0.0.1:<port>`. */
  readonly brokers: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Milliseconds from spawning the JVM until the admin API answered and topics existed. */
  readonly startMs: number;
  /** Milliseconds spent formatting KRaft storage first (0 when the data directory was reused). */
  readonly formatMs: number;
  /** SIGTERM (the broker's shutdown hook), SIGKILL after the timeout; removes a temporary data dir. */
  stop(): Promise<void>;
}

function serverProperties(port: number, controllerPort: number, dataDir: string, partitions: number): string {
  return [
    '# Written by infra/src/kafka.ts: one KRaft node acting as broker and controller.',
    'process.roles=broker,controller',
    'node.id=1',
    // A static quorum, so a plain `StorageTool format` is enough.
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    `num.partitions=${partitions}`,
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Freshness is measured from the broker's append time.
    'log.message.timestamp.type=LogAppendTime',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** Creates the topics that do not exist yet, with the Tandem topic settings. */
export async function createTopics(brokers: string, topics: readonly string[], partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'tandem-infra', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: Object.entries(TOPIC_CONFIG).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Polls the admin API until the broker answers (true) or the deadline passes or it exits (false). */
async function waitUntilAnswering(brokers: string, deadline: number, exited: () => boolean): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'tandem-infra-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  while (Date.now() < deadline && !exited()) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  return false;
}

/**
 * Starts a single-node broker, waits until its admin API answers and creates the topics. Formats the
 * KRaft storage first unless the data directory already holds a formatted log.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<RunningKafka> {
  const log = options.log ?? ((line: string) => console.log(`[kafka] ${line}`));
  const libs = await ensureKafkaJars(log);
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const partitions = options.partitions ?? Number(process.env.KAFKA_PARTITIONS ?? DEFAULT_PARTITIONS);
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-kafka-'));
  mkdirSync(dataDir, { recursive: true });
  const propertiesFile = join(dataDir, 'server.properties');
  writeFileSync(propertiesFile, serverProperties(port, controllerPort, dataDir, partitions));
  const classpath = `${libs}/*`;
  const jvm = [
    '-Xms128m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${LOG_CONFIG}`,
    `-Dkafka.logs.dir=${join(dataDir, 'app-logs')}`,
    '-cp',
    classpath,
  ];
  const cleanup = () => {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };

  const formatting = Date.now();
  if (!existsSync(join(dataDir, 'logs', 'meta.properties'))) {
    // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding. One that starts with
    // '-' would be read as an option by StorageTool's argument parser, so draw again.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    try {
      await runCommand(
        'java',
        [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile],
        log,
      );
    } catch (error) {
      cleanup();
      throw new KafkaLauncherError('format_failed', `formatting KRaft storage failed: ${(error as Error).message}`);
    }
  }

  const formatMs = Date.now() - formatting;
  const started = Date.now();
  const child = spawn('java', [...jvm, 'kafka.Kafka', propertiesFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lastLines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > 30) lastLines.shift();
      log(line);
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const brokers = `127.0.0.1:${port}`;

  async function stop(): Promise<void> {
    await stopChild(child, options.stopTimeoutMs ?? 20_000, () =>
      log('broker did not stop within the timeout: SIGKILL'),
    );
    cleanup();
  }

  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const answering = await waitUntilAnswering(brokers, started + timeoutMs, () => exited);
  if (exited) {
    cleanup();
    throw new KafkaLauncherError('start_failed', `the broker exited while starting:\n${lastLines.join('\n')}`);
  }
  if (!answering) {
    await stop();
    throw new KafkaLauncherError('start_timeout', `the broker did not answer within ${timeoutMs} ms`, true);
  }
  try {
    await createTopics(brokers, options.topics ?? topicNames(), partitions);
  } catch (error) {
    await stop();
    throw new KafkaLauncherError('topics_failed', `creating topics failed: ${(error as Error).message}`, true);
  }
  return { brokers, port, pid: child.pid as number, dataDir, startMs: Date.now() - started, formatMs, stop };
}
