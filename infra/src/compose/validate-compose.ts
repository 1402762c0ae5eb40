/**
 * Checks docker-compose.yaml against the project's contracts (docs/architecture.md), for a machine with
 * no Docker engine: the file cannot be run here, so it is read.
 *
 * 1. A parse check, always: the YAML and the config files it mounts (Snowplow HOCON, Prometheus,
 *    Grafana) against the contracts table below: host ports on 127.0.0.1, no shared host port, topic
 *    names, broker addresses, environment variable names, mounted files that exist, no `include:`.
 * 2. The real Compose CLI when the machine has one (`docker compose config -q`, else Debian's
 *    docker-compose v1), which knows the Compose schema the parse check does not re-implement.
 *
 * Run directly for a report: `npx tsx infra/src/compose/validate-compose.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { type HoconObject, type HoconValue, hoconGet, isHoconObject, parseHocon } from './hocon.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const COMPOSE_FILE = 'docker-compose.yaml';
/** Where every file the compose file mounts or builds from must live. */
export const CONFIG_DIR = 'infra/compose';

/**
 * The contracts, written once: ARCHITECTURE.md's tables, and the apps' documented defaults
 * (apps/<app>/src/config.ts, which infra may not import: workspaces do not reach into each other's src/).
 * Service names are the compose file's; this table is what binds them to the contracted components.
 */
/** The contracted topics, by the environment variable that names them. */
const TOPICS = {
  ENRICHED_TOPIC: 'snowplow-enriched-good',
  BAD_TOPIC: 'snowplow-enriched-bad',
  DEAD_LETTER_TOPIC: 'tandem-dead-letter',
  DRIFT_TOPIC: 'tandem-drift',
} as const;

export const CONTRACTS = {
  /** Host port each service publishes, always on 127.0.0.1. A service not listed publishes nothing. */
  hostPorts: {
    store: 3000,
    collector: 9090,
    kafka: 9092,
    redis: 6379,
    'redis-rest': 8079,
    'edge-aggregator': 9464,
    prometheus: 9091,
    grafana: 3001,
  } as Readonly<Record<string, number>>,
  hostIp: '127.0.0.1',
  topics: TOPICS,
  /** The collector → enrich hop, internal to the compose stack (not a contract of the apps). */
  rawTopic: 'snowplow-raw',
  partitions: 6,
  timestampType: 'LogAppendTime',
  consumerGroup: 'tandem-features',
  /** Enrich keys enriched events by this field, as the ENRICHED_TOPIC contract says. */
  enrichedPartitionKey: 'domain_userid',
  /** Every environment variable name the apps read (ARCHITECTURE.md, apps/<app>/src/config.ts). */
  envNames: [
    'KAFKA_BROKERS',
    'REDIS_URL',
    'UPSTASH_REDIS_REST_URL',
    'UPSTASH_REDIS_REST_TOKEN',
    'COLLECTOR_URL',
    'CONSUMER_GROUP',
    'ENRICHED_TOPIC',
    'BAD_TOPIC',
    'DEAD_LETTER_TOPIC',
    'DRIFT_TOPIC',
  ] as readonly string[],
  /** Secrets: given only by interpolation from the environment, never as a literal in the file. */
  secretEnvNames: ['UPSTASH_REDIS_REST_TOKEN'] as readonly string[],
  /**
   * The project's apps: the contracted variables each must get, and the few container-only settings
   * allowed besides them (each with the reason it exists).
   */
  apps: {
    'edge-aggregator': {
      required: [
        'KAFKA_BROKERS',
        'CONSUMER_GROUP',
        'REDIS_URL',
        'ENRICHED_TOPIC',
        'BAD_TOPIC',
        'DEAD_LETTER_TOPIC',
        'DRIFT_TOPIC',
      ],
      // The metrics server binds 127.0.0.1 by default (METRICS_HOST in its config.ts), which Prometheus
      // cannot reach from another container.
      containerOnly: ['METRICS_HOST'],
    },
    store: {
      required: ['COLLECTOR_URL', 'UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN', 'REDIS_URL'],
      containerOnly: [],
    },
  } as Readonly<Record<string, { required: readonly string[]; containerOnly: readonly string[] }>>,
  /** Which service plays which part, for the checks that follow one component through its config. */
  services: {
    kafka: 'kafka',
    kafkaInit: 'kafka-init',
    restProxy: 'redis-rest',
    collector: 'collector',
    enrich: 'enrich',
    aggregator: 'edge-aggregator',
    prometheus: 'prometheus',
    grafana: 'grafana',
  },
  /** Kafka listener the host uses (the contracted 127.0.0.1:9092). */
  kafkaHostListener: '127.0.0.1:9092',
  /** The aggregator's health and metrics endpoint, inside its container as on the host. */
  aggregatorMetrics: { port: 9464, path: '/metrics' },
  /** Where the Prometheus image reads its configuration. */
  prometheusConfigPath: '/etc/prometheus/prometheus.yml',
  /** Where the Grafana image reads provisioning files. */
  grafanaProvisioningPath: '/etc/grafana/provisioning',
  /**
   * The aggregator's Prometheus metrics the dashboard reads (documented in
   * infra/compose/prometheus/prometheus.yml). The dashboard uses each of them and no other tandem_* name.
   */
  metrics: {
    tandem_events_applied_total: 'counter',
    tandem_freshness_seconds: 'histogram',
    tandem_consumer_lag: 'gauge',
  } as Readonly<Record<string, 'counter' | 'gauge' | 'histogram'>>,
} as const;

/** The contracted topic an environment variable names, if it names one. */
function contractTopic(variable: string): string | undefined {
  return Object.hasOwn(TOPICS, variable) ? TOPICS[variable as keyof typeof TOPICS] : undefined;
}

/** Top-level keys a compose file may have; `include:` is not among them (docker-compose v1 rejects it). */
const TOP_LEVEL_KEYS = new Set(['services', 'networks', 'volumes', 'configs', 'secrets']);

export interface ValidateOptions {
  /** Repository root holding docker-compose.yaml and infra/compose/. */
  rootDir?: string;
  /** An already parsed compose document, to check instead of the file (tests mutate copies). */
  compose?: unknown;
  /** File contents by repository-relative path, read instead of the disk (tests break one file). */
  files?: Readonly<Record<string, string>>;
}

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Parses docker-compose.yaml; duplicate keys and YAML errors are thrown, not silently merged. */
export function loadCompose(rootDir = REPO_ROOT): unknown {
  return parseYaml(readFileSync(join(rootDir, COMPOSE_FILE), 'utf8'), COMPOSE_FILE);
}

function parseYaml(text: string, name: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [first] = [...document.errors, ...document.warnings];
  if (first !== undefined) throw new Error(`${name}: ${first.message}`);
  return document.toJS();
}

interface PortMapping {
  hostIp: string | undefined;
  published: number | undefined;
  target: number;
}

/** One `ports:` entry, short (`127.0.0.1:9092:9092`, `9092`, `"8080:80/tcp"`) or long syntax. */
function parsePort(entry: unknown): PortMapping | string {
  if (isDict(entry)) {
    const target = Number(scalar(entry.target));
    const published = entry.published === undefined ? undefined : Number(scalar(entry.published));
    if (!Number.isInteger(target)) return `cannot read port entry ${JSON.stringify(entry)}`;
    if (published !== undefined && !Number.isInteger(published)) {
      return `published port range or value not supported: ${JSON.stringify(entry)}`;
    }
    return { hostIp: scalar(entry.host_ip), published, target };
  }
  const text = scalar(entry);
  if (text === undefined) return `cannot read port entry ${JSON.stringify(entry)}`;
  const withoutProtocol = text.replace(/\/(tcp|udp|sctp)$/, '');
  let hostIp: string | undefined;
  let rest = withoutProtocol;
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (ipv6) {
    hostIp = ipv6[1];
    rest = ipv6[2] ?? '';
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length === 3) hostIp = parts.shift();
  if (parts.some((part) => part.includes('-'))) return `port ranges are not supported: "${text}"`;
  const [first, second] = parts;
  if (parts.length === 1) return { hostIp, published: undefined, target: Number(first) };
  if (parts.length === 2) {
    return { hostIp, published: first === '' ? undefined : Number(first), target: Number(second) };
  }
  return `cannot read port entry "${text}"`;
}

interface BindMount {
  source: string;
  target: string;
}

/** Bind mounts of a service (named volumes are skipped: the stack keeps no state on purpose). */
function bindMounts(service: Dict): (BindMount | string)[] {
  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  return volumes.flatMap((entry): (BindMount | string)[] => {
    if (isDict(entry)) {
      const source = scalar(entry.source);
      const target = scalar(entry.target);
      if (entry.type !== 'bind') return [];
      if (source === undefined || target === undefined) return [`cannot read volume entry ${JSON.stringify(entry)}`];
      return [{ source, target }];
    }
    const text = scalar(entry);
    if (text === undefined) return [`cannot read volume entry ${JSON.stringify(entry)}`];
    const [source, target] = text.split(':');
    if (source === undefined || target === undefined) return [`cannot read volume entry "${text}"`];
    const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return isPath ? [{ source, target }] : [];
  });
}

function environmentOf(service: Dict): Map<string, string | undefined> {
  const environment = new Map<string, string | undefined>();
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const text = scalar(entry) ?? '';
      const equals = text.indexOf('=');
      if (equals === -1) environment.set(text, undefined);
      else environment.set(text.slice(0, equals), text.slice(equals + 1));
    }
  } else if (isDict(service.environment)) {
    for (const [name, value] of Object.entries(service.environment)) environment.set(name, scalar(value));
  }
  return environment;
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((item) => scalar(item) ?? '');
  const text = scalar(value);
  return text === undefined ? [] : text.split(/\s+/).filter(Boolean);
}

type HostPort = { host: string; port: number };

/** `host:port` → parts; undefined when it is not that shape. */
function hostPort(address: string): HostPort | undefined {
  const match = /^([A-Za-z0-9.-]+):(\d+)$/.exec(address);
  if (!match) return undefined;
  return { host: match[1] ?? '', port: Number(match[2]) };
}

/** Host and port of a URL value (`redis://redis:6379`, `http://redis-rest:80`). */
function urlHostPort(value: string): HostPort | undefined {
  try {
    const url = new URL(value);
    const defaultPort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    const port = url.port === '' ? defaultPort : Number(url.port);
    return port === undefined ? undefined : { host: url.hostname, port };
  } catch {
    return undefined;
  }
}

/** Checks the compose file and the files it mounts; returns one readable line per problem (none: valid). */
export function validateCompose(options: ValidateOptions = {}): string[] {
  return new ComposeCheck(options).run();
}

/**
 * One run of the checks. Each `check…` method covers one part of the stack and records problems; the
 * ones that come first collect what later ones need (services, container ports, mounts, the broker's
 * listener for containers, the topics kafka-init creates).
 */
class ComposeCheck {
  private readonly rootDir: string;
  private readonly problems: string[] = [];
  private readonly services = new Map<string, Dict>();
  /** Ports each service listens on inside the network (`ports` targets and `expose`). */
  private readonly containerPorts = new Map<string, Set<number>>();
  /** Bind mounts per service, sources as repository-relative paths. */
  private readonly mounts = new Map<string, BindMount[]>();
  /** The broker address containers must dial (from KAFKA_ADVERTISED_LISTENERS). */
  private internalListener: string | undefined;
  private createdTopics = new Set<string>();

  constructor(private readonly options: ValidateOptions) {
    this.rootDir = options.rootDir ?? REPO_ROOT;
  }

  run(): string[] {
    let compose: unknown;
    try {
      compose = this.options.compose ?? loadCompose(this.rootDir);
    } catch (error) {
      return [`${COMPOSE_FILE}: ${(error as Error).message}`];
    }
    if (!isDict(compose)) return [`${COMPOSE_FILE}: not a mapping`];
    this.checkTopLevel(compose);
    if (!isDict(compose.services)) return [...this.problems, `${COMPOSE_FILE}: no services`];
    for (const [name, service] of Object.entries(compose.services)) {
      if (isDict(service)) this.services.set(name, service);
      else this.problem(`service "${name}"`, 'not a mapping');
    }
    this.checkPorts();
    this.checkDependsOn();
    this.checkFiles();
    this.checkKafka();
    this.checkCollector();
    this.checkEnrich();
    this.checkApps();
    this.checkSecrets();
    this.checkPrometheus();
    this.checkGrafana();
    return this.problems;
  }

  /** One self-contained file that docker-compose v1 can read. */
  private checkTopLevel(compose: Dict): void {
    for (const key of Object.keys(compose)) {
      if (key === 'include') {
        this.problem(COMPOSE_FILE, '`include:` is not allowed (Debian’s docker-compose v1 does not know it)');
      } else if (!TOP_LEVEL_KEYS.has(key) && !key.startsWith('x-')) {
        this.problem(COMPOSE_FILE, `unexpected top-level key "${key}"`);
      }
    }
  }

  /** Contracted host ports, on 127.0.0.1, none shared; records container ports for the address checks. */
  private checkPorts(): void {
    const hostPortOwners = new Map<number, string[]>();
    for (const [name, service] of this.services) {
      const where = `service "${name}"`;
      const targets = new Set<number>();
      for (const exposed of stringList(service.expose)) targets.add(Number(exposed.replace(/\/.*$/, '')));
      const contracted = CONTRACTS.hostPorts[name];
      let publishesContracted = false;
      for (const entry of Array.isArray(service.ports) ? service.ports : []) {
        const mapping = parsePort(entry);
        if (typeof mapping === 'string') {
          this.problem(where, mapping);
          continue;
        }
        targets.add(mapping.target);
        if (mapping.published === undefined) {
          this.problem(
            where,
            `publishes container port ${mapping.target} on a random host port; publish a contracted one`,
          );
          continue;
        }
        hostPortOwners.set(mapping.published, [...(hostPortOwners.get(mapping.published) ?? []), name]);
        if (mapping.hostIp !== CONTRACTS.hostIp) {
          const bound = mapping.hostIp ?? 'every interface';
          this.problem(where, `host port ${mapping.published} binds to ${bound}; bind it to ${CONTRACTS.hostIp}`);
        }
        if (contracted === undefined) {
          this.problem(
            where,
            `publishes host port ${mapping.published}, but no host port is contracted for this service`,
          );
        } else if (mapping.published === contracted) {
          publishesContracted = true;
        } else {
          this.problem(where, `publishes host port ${mapping.published}; the contract says ${contracted}`);
        }
      }
      if (contracted !== undefined && !publishesContracted) {
        this.problem(where, `does not publish its contracted host port ${contracted}`);
      }
      this.containerPorts.set(name, targets);
    }
    for (const [name, port] of Object.entries(CONTRACTS.hostPorts)) {
      if (!this.services.has(name)) {
        this.problem(COMPOSE_FILE, `missing service "${name}" (contracted host port ${port})`);
      }
    }
    for (const [port, owners] of hostPortOwners) {
      if (owners.length > 1) {
        this.problem(COMPOSE_FILE, `host port ${port} is published by more than one service: ${owners.join(', ')}`);
      }
    }
  }

  /** Every service a `depends_on` names exists (the CLI checks more; this holds without one). */
  private checkDependsOn(): void {
    for (const [name, service] of this.services) {
      const dependsOn = isDict(service.depends_on) ? Object.keys(service.depends_on) : stringList(service.depends_on);
      for (const dependency of dependsOn) {
        if (!this.services.has(dependency)) {
          this.problem(`service "${name}"`, `depends_on unknown service "${dependency}"`);
        }
      }
    }
  }

  /** Every bind mount and Dockerfile exists, under infra/compose/; records mounts for the config checks. */
  private checkFiles(): void {
    for (const [name, service] of this.services) {
      const where = `service "${name}"`;
      const list: BindMount[] = [];
      for (const mount of bindMounts(service)) {
        if (typeof mount === 'string') {
          this.problem(where, mount);
          continue;
        }
        const path = relativeToRoot(this.rootDir, mount.source);
        if (path === undefined || !isUnder(path, CONFIG_DIR)) {
          this.problem(where, `mounts ${mount.source}; mounted config files belong under ${CONFIG_DIR}/`);
        } else if (!this.pathExists(path)) {
          this.problem(where, `mounts ${mount.source}, which does not exist`);
        }
        list.push({ source: path ?? mount.source, target: mount.target });
      }
      this.mounts.set(name, list);

      if (service.build === undefined) continue;
      const build = isDict(service.build) ? service.build : { context: service.build };
      const context = relativeToRoot(this.rootDir, scalar(build.context) ?? '.');
      const dockerfile = scalar(build.dockerfile) ?? 'Dockerfile';
      const dockerfilePath =
        context === undefined ? undefined : relativeToRoot(this.rootDir, join(context, dockerfile));
      if (context === undefined || !this.pathExists(context)) {
        this.problem(where, `build context ${String(build.context)} does not exist`);
      }
      if (dockerfilePath === undefined || !isUnder(dockerfilePath, CONFIG_DIR)) {
        this.problem(where, `Dockerfile ${dockerfile} belongs under ${CONFIG_DIR}/`);
      } else if (!this.pathExists(dockerfilePath)) {
        this.problem(where, `Dockerfile ${dockerfilePath} does not exist`);
      }
    }
  }

  /** The broker's listeners and timestamp type, and the topics kafka-init creates. */
  private checkKafka(): void {
    const { kafka, kafkaInit } = CONTRACTS.services;
    const kafkaWhere = `service "${kafka}"`;
    const kafkaEnv = environmentOf(this.services.get(kafka) ?? {});
    const advertised = (kafkaEnv.get('KAFKA_ADVERTISED_LISTENERS') ?? '')
      .split(',')
      .map((listener) => listener.replace(/^[A-Z_]+:\/\//, ''));
    this.internalListener = advertised.find((address) => hostPort(address)?.host === kafka);
    if (this.internalListener === undefined) {
      this.problem(kafkaWhere, `KAFKA_ADVERTISED_LISTENERS has no listener for containers (${kafka}:<port>)`);
    } else {
      this.checkAddress(kafkaWhere, 'advertised listener', hostPort(this.internalListener), this.internalListener);
    }
    if (!advertised.includes(CONTRACTS.kafkaHostListener)) {
      this.problem(kafkaWhere, `KAFKA_ADVERTISED_LISTENERS must advertise ${CONTRACTS.kafkaHostListener} to the host`);
    }
    if (kafkaEnv.get('KAFKA_LOG_MESSAGE_TIMESTAMP_TYPE') !== CONTRACTS.timestampType) {
      this.problem(kafkaWhere, `KAFKA_LOG_MESSAGE_TIMESTAMP_TYPE must be ${CONTRACTS.timestampType}`);
    }

    const init = this.services.get(kafkaInit);
    if (init === undefined) {
      this.problem(COMPOSE_FILE, `missing service "${kafkaInit}", which creates the topics`);
      return;
    }
    const where = `service "${kafkaInit}"`;
    const initEnv = environmentOf(init);
    this.createdTopics = new Set(stringList(initEnv.get('TOPICS')));
    const expectedTopics: readonly string[] = [...Object.values(CONTRACTS.topics), CONTRACTS.rawTopic];
    this.checkBrokers(where, 'BOOTSTRAP', initEnv.get('BOOTSTRAP'));
    for (const topic of expectedTopics) {
      if (!this.createdTopics.has(topic)) this.problem(where, `TOPICS does not create "${topic}"`);
    }
    for (const topic of this.createdTopics) {
      if (!expectedTopics.includes(topic)) {
        this.problem(where, `TOPICS creates "${topic}", which is not a contracted topic`);
      }
    }
    const partitions = initEnv.get('PARTITIONS');
    if (partitions !== String(CONTRACTS.partitions)) {
      this.problem(where, `PARTITIONS must be ${CONTRACTS.partitions}, found ${partitions ?? 'nothing'}`);
    }
    const scriptInContainer = stringList(init.entrypoint).find((part) => part.endsWith('.sh'));
    const script = this.mountedFile(kafkaInit, scriptInContainer, 'topic script');
    const setting = `message.timestamp.type=${CONTRACTS.timestampType}`;
    if (script !== undefined && !script.text.includes(setting)) {
      this.problem(where, `${script.path} does not set ${setting}`);
    }
  }

  /** Collector: raw payloads to the raw topic, its own bad rows to the contracted bad-row topic. */
  private checkCollector(): void {
    const { collector: name } = CONTRACTS.services;
    const collector = this.readHocon(name, 'collector config');
    if (collector === undefined) return;
    const { path: where, conf } = collector;
    const streams = ['collector', 'streams'];
    const good = hoconGet(conf, [...streams, 'good', 'name']);
    const bad = hoconGet(conf, [...streams, 'bad', 'name']);
    this.checkTopic(where, 'collector.streams.good.name', good, CONTRACTS.rawTopic);
    this.checkTopic(where, 'collector.streams.bad.name', bad, CONTRACTS.topics.BAD_TOPIC);
    for (const stream of ['good', 'bad']) {
      const brokers = hoconString(conf, [...streams, stream, 'brokers']);
      this.checkBrokers(where, `collector.streams.${stream}.brokers`, brokers);
    }
    const port = Number(hoconGet(conf, ['collector', 'port']));
    if (!this.containerPorts.get(name)?.has(port)) {
      this.problem(where, `collector.port ${port} is not the container port the "${name}" service publishes`);
    }
  }

  /** Enrich: raw in; enriched TSV keyed by domain_userid, and bad rows, to the contracted topics. */
  private checkEnrich(): void {
    const { enrich: name, kafkaInit } = CONTRACTS.services;
    const enrich = this.readHocon(name, 'enrich config');
    if (enrich === undefined) return;
    const { path: where, conf } = enrich;
    const good = hoconGet(conf, ['output', 'good', 'topicName']);
    const bad = hoconGet(conf, ['output', 'bad', 'topicName']);
    this.checkTopic(where, 'input.topicName', hoconGet(conf, ['input', 'topicName']), CONTRACTS.rawTopic);
    this.checkTopic(where, 'output.good.topicName', good, CONTRACTS.topics.ENRICHED_TOPIC);
    this.checkTopic(where, 'output.bad.topicName', bad, CONTRACTS.topics.BAD_TOPIC);
    this.checkBrokers(where, 'input.bootstrapServers', hoconString(conf, ['input', 'bootstrapServers']));
    // Every output enrich has (good, bad, and any other such as failed): its topic exists, its broker is ours.
    const outputs = hoconGet(conf, ['output']);
    for (const output of Object.keys(isHoconObject(outputs) ? outputs : {})) {
      const topic = hoconString(conf, ['output', output, 'topicName']);
      if (topic !== undefined && !this.createdTopics.has(topic)) {
        this.problem(where, `output.${output}.topicName "${topic}" is not created by ${kafkaInit}`);
      }
      const brokers = hoconString(conf, ['output', output, 'bootstrapServers']);
      this.checkBrokers(where, `output.${output}.bootstrapServers`, brokers);
    }
    if (hoconGet(conf, ['output', 'good', 'partitionKey']) !== CONTRACTS.enrichedPartitionKey) {
      this.problem(
        where,
        `output.good.partitionKey must be "${CONTRACTS.enrichedPartitionKey}" (the topic is keyed by it)`,
      );
    }
    for (const [flag, what] of [
      ['--iglu-config', 'Iglu resolver config'],
      ['--enrichments', 'enrichments folder'],
    ] as const) {
      const containerPath = this.commandFlag(name, flag);
      const path = containerPath === undefined ? undefined : this.hostPathFor(name, containerPath);
      if (path === undefined || !this.pathExists(path)) {
        const given = `${flag} ${containerPath ?? 'missing'}`;
        this.problem(`service "${name}"`, `${what} (${given}) is not mounted from ${CONFIG_DIR}/`);
      }
    }
  }

  /** The apps get contracted variable names only (plus their container-only settings), with contracted values. */
  private checkApps(): void {
    for (const [name, app] of Object.entries(CONTRACTS.apps)) {
      const service = this.services.get(name);
      const where = `service "${name}"`;
      if (service === undefined) {
        this.problem(COMPOSE_FILE, `missing app service "${name}"`);
        continue;
      }
      const environment = environmentOf(service);
      for (const variable of environment.keys()) {
        if (!CONTRACTS.envNames.includes(variable) && !app.containerOnly.includes(variable)) {
          const names = CONTRACTS.envNames.join(', ');
          this.problem(where, `environment variable ${variable} is not a contracted name (${names})`);
        }
      }
      for (const variable of app.required) {
        if (!environment.has(variable)) this.problem(where, `missing contracted environment variable ${variable}`);
      }
      for (const [variable, value = ''] of environment) {
        const topic = contractTopic(variable);
        if (topic !== undefined && value !== topic) {
          this.problem(where, `${variable} is "${value}"; the contract says "${topic}"`);
        }
        if (variable === 'CONSUMER_GROUP' && value !== CONTRACTS.consumerGroup) {
          this.problem(where, `CONSUMER_GROUP is "${value}"; the contract says "${CONTRACTS.consumerGroup}"`);
        }
        if (variable === 'KAFKA_BROKERS') this.checkBrokers(where, variable, value);
        if (variable.endsWith('_URL')) this.checkAddress(where, variable, urlHostPort(value), value);
      }
    }
  }

  /** Secrets come only from the environment (`${NAME:?…}`), and the REST proxy shares the apps' token. */
  private checkSecrets(): void {
    for (const [name, service] of this.services) {
      for (const [variable, value = ''] of environmentOf(service)) {
        for (const secret of CONTRACTS.secretEnvNames) {
          const givesSecret = variable === secret || value.includes(secret);
          if (givesSecret && !requiredFromEnvironment(secret).test(value)) {
            const form = `\${${secret}:?message}`;
            this.problem(`service "${name}"`, `${variable} must come from the environment as ${form}, not a literal`);
          }
        }
      }
    }
    const { restProxy } = CONTRACTS.services;
    const proxyToken = environmentOf(this.services.get(restProxy) ?? {}).get('SRH_TOKEN') ?? '';
    if (!requiredFromEnvironment('UPSTASH_REDIS_REST_TOKEN').test(proxyToken)) {
      const form = `\${UPSTASH_REDIS_REST_TOKEN:?message}`;
      this.problem(`service "${restProxy}"`, `SRH_TOKEN must be ${form}, the token the apps use`);
    }
  }

  /** Prometheus scrapes the aggregator's metrics endpoint over the compose network. */
  private checkPrometheus(): void {
    const { prometheus, aggregator } = CONTRACTS.services;
    const path = this.hostPathFor(prometheus, CONTRACTS.prometheusConfigPath);
    const text = path === undefined ? undefined : this.readText(path);
    if (path === undefined || text === undefined) {
      const message = `${CONTRACTS.prometheusConfigPath} is not mounted from an existing file under ${CONFIG_DIR}/`;
      this.problem(`service "${prometheus}"`, message);
      return;
    }
    const target = `${aggregator}:${CONTRACTS.aggregatorMetrics.port}`;
    const config = this.readYaml(path, text);
    const job = dictList(isDict(config) ? config.scrape_configs : undefined).find((candidate) =>
      dictList(candidate.static_configs).some((staticConfig) => stringList(staticConfig.targets).includes(target)),
    );
    if (job === undefined) {
      this.problem(path, `no scrape job targets ${target}`);
    } else if ((scalar(job.metrics_path) ?? '/metrics') !== CONTRACTS.aggregatorMetrics.path) {
      this.problem(path, `the ${target} job must scrape ${CONTRACTS.aggregatorMetrics.path}`);
    }
    this.checkAddress(path, 'scrape target', hostPort(target), target);
  }

  /** Grafana's datasource is this Prometheus, and its dashboards read only (and all) documented metrics. */
  private checkGrafana(): void {
    const { grafana } = CONTRACTS.services;
    const provisioning = this.hostPathFor(grafana, CONTRACTS.grafanaProvisioningPath);
    if (provisioning === undefined || !this.pathExists(provisioning)) {
      this.problem(`service "${grafana}"`, `${CONTRACTS.grafanaProvisioningPath} is not mounted from ${CONFIG_DIR}/`);
      return;
    }
    const datasourceUids = new Set<string>();
    for (const file of this.listFiles(join(provisioning, 'datasources'))) {
      const config = this.readYaml(file, this.readText(file) ?? '');
      for (const datasource of dictList(isDict(config) ? config.datasources : undefined)) {
        const url = scalar(datasource.url) ?? '';
        this.checkAddress(file, 'datasource url', urlHostPort(url), url);
        const uid = scalar(datasource.uid);
        if (uid !== undefined) datasourceUids.add(uid);
      }
    }
    if (datasourceUids.size === 0) {
      this.problem(join(provisioning, 'datasources'), 'no provisioned datasource with a uid');
    }

    const dashboardFolders: string[] = [];
    for (const file of this.listFiles(join(provisioning, 'dashboards'))) {
      const config = this.readYaml(file, this.readText(file) ?? '');
      for (const provider of dictList(isDict(config) ? config.providers : undefined)) {
        const containerPath = isDict(provider.options) ? scalar(provider.options.path) : undefined;
        const folder = containerPath === undefined ? undefined : this.hostPathFor(grafana, containerPath);
        if (folder === undefined || !this.pathExists(folder)) {
          this.problem(file, `dashboard provider path ${containerPath ?? '(none)'} is not mounted from ${CONFIG_DIR}/`);
        } else {
          dashboardFolders.push(folder);
        }
      }
    }

    const usedMetrics = new Set<string>();
    const dashboards = dashboardFolders.flatMap((folder) => this.listFiles(folder)).filter((f) => f.endsWith('.json'));
    for (const file of dashboards) {
      let dashboard: unknown;
      try {
        dashboard = JSON.parse(this.readText(file) ?? '');
      } catch (error) {
        this.problem(file, (error as Error).message);
        continue;
      }
      for (const { expr, datasourceUid } of dashboardQueries(dashboard)) {
        if (datasourceUid !== undefined && !datasourceUids.has(datasourceUid)) {
          this.problem(file, `a panel uses datasource uid "${datasourceUid}", which is not provisioned`);
        }
        for (const metric of expr.match(/\btandem_[a-z0-9_]+/g) ?? []) {
          const documented = documentedMetric(metric);
          if (documented === undefined) {
            this.problem(file, `query uses ${metric}, which is not a documented aggregator metric`);
          } else {
            usedMetrics.add(documented);
          }
        }
      }
    }
    for (const metric of Object.keys(CONTRACTS.metrics)) {
      if (!usedMetrics.has(metric)) this.problem(`${CONFIG_DIR}/grafana`, `no dashboard panel shows ${metric}`);
    }
  }

  // --- Helpers shared by the checks.

  private problem(where: string, message: string): void {
    this.problems.push(`${where}: ${message}`);
  }

  private readText(path: string): string | undefined {
    const override = this.options.files?.[path];
    if (override !== undefined) return override;
    const absolute = join(this.rootDir, path);
    return existsSync(absolute) && statSync(absolute).isFile() ? readFileSync(absolute, 'utf8') : undefined;
  }

  private pathExists(path: string): boolean {
    return this.options.files?.[path] !== undefined || existsSync(join(this.rootDir, path));
  }

  /** Files directly in a repository folder, overridden ones included (paths relative to the root). */
  private listFiles(folder: string): string[] {
    const absolute = join(this.rootDir, folder);
    const onDisk = existsSync(absolute)
      ? readdirSync(absolute, { withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(folder, entry.name))
      : [];
    const overridden = Object.keys(this.options.files ?? {}).filter((path) => dirname(path) === folder);
    return [...new Set([...onDisk, ...overridden])].sort();
  }

  private readYaml(path: string, text: string): unknown {
    try {
      return parseYaml(text, path);
    } catch (error) {
      this.problem(path, (error as Error).message);
      return undefined;
    }
  }

  /** A `host:port` a container dials must name a service here and a port that service listens on. */
  private checkAddress(where: string, label: string, address: HostPort | undefined, raw: string): void {
    if (address === undefined) {
      this.problem(where, `${label} "${raw}" is not a host:port address`);
      return;
    }
    const ports = this.containerPorts.get(address.host);
    if (ports === undefined) {
      this.problem(where, `${label} "${raw}" names "${address.host}", which is not a service in this file`);
    } else if (!ports.has(address.port)) {
      this.problem(
        where,
        `${label} "${raw}": service "${address.host}" does not listen on ${address.port} (ports/expose)`,
      );
    }
  }

  /** Broker lists inside the network must use the broker's listener for containers. */
  private checkBrokers(where: string, label: string, value: string | undefined): void {
    if (value === undefined) {
      this.problem(where, `${label} is not set`);
      return;
    }
    for (const broker of value.split(',').map((part) => part.trim())) {
      if (this.internalListener !== undefined && broker !== this.internalListener) {
        this.problem(
          where,
          `${label} "${broker}" is not the broker's listener for containers (${this.internalListener})`,
        );
      }
    }
  }

  /** A topic a Snowplow config names: the contracted one, and created up front (auto-creation is off). */
  private checkTopic(where: string, label: string, actual: HoconValue | undefined, expected: string): void {
    if (actual !== expected) {
      this.problem(where, `${label} is ${JSON.stringify(actual)}; the contract says "${expected}"`);
    }
    if (typeof actual === 'string' && !this.createdTopics.has(actual)) {
      const creator = CONTRACTS.services.kafkaInit;
      this.problem(where, `${label} "${actual}" is not created by ${creator} (auto-creation is off)`);
    }
  }

  /** The repository path of the file or folder a service sees at `containerPath`, via its bind mounts. */
  private hostPathFor(serviceName: string, containerPath: string): string | undefined {
    for (const mount of this.mounts.get(serviceName) ?? []) {
      if (containerPath === mount.target) return mount.source;
      if (containerPath.startsWith(`${mount.target}/`)) {
        return join(mount.source, containerPath.slice(mount.target.length + 1));
      }
    }
    return undefined;
  }

  /** The value after `--flag` in a service's command. */
  private commandFlag(serviceName: string, flag: string): string | undefined {
    const command = stringList(this.services.get(serviceName)?.command);
    const index = command.indexOf(flag);
    return index === -1 ? undefined : command[index + 1];
  }

  /** Reads a file a service is told to use, through its mounts. */
  private mountedFile(
    serviceName: string,
    containerPath: string | undefined,
    what: string,
  ): { path: string; text: string } | undefined {
    const where = `service "${serviceName}"`;
    if (containerPath === undefined) {
      this.problem(where, `no ${what} given in its command`);
      return undefined;
    }
    const path = this.hostPathFor(serviceName, containerPath);
    if (path === undefined) {
      this.problem(where, `${what} ${containerPath} is not mounted from ${CONFIG_DIR}/`);
      return undefined;
    }
    const text = this.readText(path);
    if (text === undefined) {
      this.problem(where, `${what} ${path} does not exist`);
      return undefined;
    }
    return { path, text };
  }

  /** The HOCON file a Snowplow service is given with `--config`. */
  private readHocon(serviceName: string, what: string): { path: string; conf: HoconObject } | undefined {
    const file = this.mountedFile(serviceName, this.commandFlag(serviceName, '--config'), what);
    if (file === undefined) return undefined;
    try {
      return { path: file.path, conf: parseHocon(file.text) };
    } catch (error) {
      this.problem(`service "${serviceName}"`, `${file.path}: ${(error as Error).message}`);
      return undefined;
    }
  }
}

/** Matches `${NAME:?message}`: a variable the CLI refuses to run without. */
function requiredFromEnvironment(name: string): RegExp {
  return new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);
}

function hoconString(conf: HoconObject, path: readonly string[]): string | undefined {
  const value = hoconGet(conf, path);
  return typeof value === 'string' ? value : undefined;
}

function dictList(value: unknown): Dict[] {
  return Array.isArray(value) ? value.filter(isDict) : [];
}

/** The documented metric a query name refers to (a histogram's `_bucket`, `_sum` and `_count` included). */
function documentedMetric(name: string): string | undefined {
  if (CONTRACTS.metrics[name] !== undefined) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return CONTRACTS.metrics[base] === 'histogram' ? base : undefined;
}

/** Panel queries of a Grafana dashboard, with the datasource each names (target's, else the panel's). */
function dashboardQueries(dashboard: unknown): { expr: string; datasourceUid: string | undefined }[] {
  const queries: { expr: string; datasourceUid: string | undefined }[] = [];
  const uidOf = (value: unknown) => (isDict(value) ? scalar(value.uid) : undefined);
  const visitPanels = (panels: unknown) => {
    for (const panel of dictList(panels)) {
      for (const target of dictList(panel.targets)) {
        const expr = scalar(target.expr);
        if (expr !== undefined) {
          queries.push({ expr, datasourceUid: uidOf(target.datasource) ?? uidOf(panel.datasource) });
        }
      }
      // Rows nest their panels.
      visitPanels(panel.panels);
    }
  };
  if (isDict(dashboard)) visitPanels(dashboard.panels);
  return queries;
}

/** A compose path (relative to the compose file, i.e. the root) as a repository-relative path. */
function relativeToRoot(rootDir: string, path: string): string | undefined {
  const absolute = isAbsolute(path) ? path : resolve(rootDir, path);
  const inside = relative(rootDir, absolute);
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return inside === '' ? '.' : inside;
}

function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

// --- The real CLI -------------------------------------------------------------------------------

export interface ComposeCli {
  /** How the report names it. */
  label: string;
  command: string;
  /** Arguments before the compose subcommand (`compose` for the Docker CLI plugin). */
  prefix: string[];
  version: string;
}

/**
 * The Compose CLI this machine has: the Docker CLI's `compose` plugin, else Debian's docker-compose v1,
 * else none. Neither needs a running Docker engine for `config`.
 */
export function findComposeCli(env: NodeJS.ProcessEnv = process.env): ComposeCli | undefined {
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 30_000, env });
  if (plugin.error === undefined && plugin.status === 0) {
    return {
      label: 'docker compose (Docker CLI plugin)',
      command: 'docker',
      prefix: ['compose'],
      version: plugin.stdout.trim(),
    };
  }
  const v1 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8', timeout: 30_000, env });
  if (v1.error === undefined && v1.status === 0) {
    return { label: 'docker-compose (v1)', command: 'docker-compose', prefix: [], version: v1.stdout.trim() };
  }
  return undefined;
}

/** `config -q` on the compose file: exit status 0 means the CLI accepts it. */
export function runComposeConfig(
  cli: ComposeCli,
  env: NodeJS.ProcessEnv,
  rootDir = REPO_ROOT,
): { status: number | null; output: string } {
  const result = spawnSync(cli.command, [...cli.prefix, '-f', join(rootDir, COMPOSE_FILE), 'config', '-q'], {
    cwd: rootDir,
    encoding: 'utf8',
    timeout: 120_000,
    env,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim();
  return { status: result.status, output };
}

/** The environment the CLI runs with: the caller's, with the secret set to `token` or removed. */
export function cliEnvironment(token: string | undefined, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of CONTRACTS.secretEnvNames) delete env[name];
  if (token !== undefined) for (const name of CONTRACTS.secretEnvNames) env[name] = token;
  return env;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const problems = validateCompose();
  for (const line of problems) console.error(`✗ ${line}`);
  console.log(
    problems.length === 0 ? `✓ ${COMPOSE_FILE} matches the contracts (parse check)` : `${problems.length} problem(s)`,
  );
  const cli = findComposeCli();
  if (cli === undefined) {
    console.log('no Compose CLI here (docker compose / docker-compose): only the parse check ran');
  } else {
    const result = runComposeConfig(cli, cliEnvironment('compose-config-check'));
    console.log(
      `${cli.label} ${cli.version}: config -q ${result.status === 0 ? 'passed' : `failed\n${result.output}`}`,
    );
    if (result.status !== 0) process.exitCode = 1;
  }
  if (problems.length > 0) process.exitCode = 1;
}
