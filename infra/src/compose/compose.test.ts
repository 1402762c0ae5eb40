/**
 * docker-compose.yaml cannot run here (no Docker engine), so it is validated: always by a parse check
 * against the contracts (validate-compose.ts), and by the real Compose CLI's `config -q` when the
 * machine has one. The "catches" cases break one thing in a copy each and expect the problem that
 * names it, so a check that silently stopped checking fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTITIONS, TOPIC_DEFAULTS } from '../topics.js';
import { HoconError, hoconGet, parseHocon } from './hocon.js';
import {
  CONTRACTS,
  cliEnvironment,
  findComposeCli,
  loadCompose,
  REPO_ROOT,
  runComposeConfig,
  validateCompose,
} from './validate-compose.js';

type Dict = Record<string, unknown>;

/** A fresh copy of the parsed compose file and one of its services, for a test to break. */
function composeWith(serviceName: string, change: (service: Dict, compose: Dict) => void): Dict {
  const compose = structuredClone(loadCompose()) as Dict;
  const services = compose.services as Record<string, Dict>;
  const service = services[serviceName];
  if (service === undefined) throw new Error(`no service ${serviceName} in docker-compose.yaml`);
  change(service, compose);
  return compose;
}

function environment(service: Dict): Record<string, unknown> {
  return service.environment as Record<string, unknown>;
}

function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

describe('docker-compose.yaml', () => {
  it('matches the contracts: ports, topics, environment, mounted files (parse check, always runs)', () => {
    expect(validateCompose()).toEqual([]);
  });

  it('uses the topic names and partition count infra/ creates without Docker', () => {
    // One contracts table per check is fine as long as the two never disagree.
    expect(CONTRACTS.topics).toEqual(TOPIC_DEFAULTS);
    expect(CONTRACTS.partitions).toBe(DEFAULT_PARTITIONS);
  });

  it('is accepted by the Compose CLI when the machine has one (docker compose, else docker-compose v1)', () => {
    const cli = findComposeCli();
    if (cli === undefined) {
      // Reported, not skipped: the parse check above is what ran on this machine.
      console.warn(
        'compose.test: no `docker compose` plugin and no `docker-compose` on PATH: only the parse check ran',
      );
      return;
    }
    console.info(`compose.test: validating with ${cli.label} ${cli.version}`);
    const accepted = runComposeConfig(cli, cliEnvironment('compose-config-check'));
    expect(accepted.output, `${cli.label} config -q`).toBe('');
    expect(accepted.status, accepted.output).toBe(0);

    // The REST token has no default in the file: without it the CLI must refuse, naming the variable.
    const refused = runComposeConfig(cli, cliEnvironment(undefined));
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('UPSTASH_REDIS_REST_TOKEN');
  });

  describe('the parse check catches', () => {
    it('a contracted service publishing another host port', () => {
      const compose = composeWith('redis', (redis) => {
        redis.ports = ['127.0.0.1:6380:6379'];
      });
      expect(validateCompose({ compose })).toEqual(
        expect.arrayContaining([
          'service "redis": publishes host port 6380; the contract says 6379',
          'service "redis": does not publish its contracted host port 6379',
        ]),
      );
    });

    it('a host port bound to every interface, in short and long syntax', () => {
      const short = composeWith('kafka', (kafka) => {
        kafka.ports = ['9092:9092'];
      });
      expect(validateCompose({ compose: short })).toContain(
        'service "kafka": host port 9092 binds to every interface; bind it to 127.0.0.1',
      );
      const long = composeWith('grafana', (grafana) => {
        grafana.ports = [{ target: 3000, published: '3001', host_ip: '0.0.0.0' }];
      });
      expect(validateCompose({ compose: long })).toContain(
        'service "grafana": host port 3001 binds to 0.0.0.0; bind it to 127.0.0.1',
      );
    });

    it('two services sharing a host port, and a service with no contracted port publishing one', () => {
      const compose = composeWith('enrich', (enrich) => {
        enrich.ports = ['127.0.0.1:3001:8000'];
      });
      expect(validateCompose({ compose })).toEqual(
        expect.arrayContaining([
          'docker-compose.yaml: host port 3001 is published by more than one service: enrich, grafana',
          'service "enrich": publishes host port 3001, but no host port is contracted for this service',
        ]),
      );
    });

    it('an `include:`, which docker-compose v1 does not know', () => {
      const compose = composeWith('redis', (_redis, file) => {
        file.include = ['infra/compose/kafka.yaml'];
      });
      expect(validateCompose({ compose })).toContain(
        'docker-compose.yaml: `include:` is not allowed (Debian’s docker-compose v1 does not know it)',
      );
    });

    it('a topic the init service does not create, or creates under another name', () => {
      const compose = composeWith('kafka-init', (init) => {
        environment(init).TOPICS =
          'snowplow-raw snowplow-enriched snowplow-enriched-bad tandem-dead-letter tandem-drift';
        environment(init).PARTITIONS = '3';
      });
      expect(validateCompose({ compose })).toEqual(
        expect.arrayContaining([
          'service "kafka-init": TOPICS does not create "snowplow-enriched-good"',
          'service "kafka-init": TOPICS creates "snowplow-enriched", which is not a contracted topic',
          'service "kafka-init": PARTITIONS must be 6, found 3',
        ]),
      );
    });

    it('a Snowplow config writing to a topic other than the contracted one', () => {
      const path = 'infra/compose/snowplow/enrich.hocon';
      const broken = readRepoFile(path).replace('topicName = "snowplow-enriched-good"', 'topicName = "enriched"');
      expect(validateCompose({ files: { [path]: broken } })).toEqual(
        expect.arrayContaining([
          `${path}: output.good.topicName is "enriched"; the contract says "snowplow-enriched-good"`,
          `${path}: output.good.topicName "enriched" is not created by kafka-init (auto-creation is off)`,
        ]),
      );
    });

    it('a Snowplow config dialing the broker on its host listener', () => {
      const path = 'infra/compose/snowplow/collector.hocon';
      const broken = readRepoFile(path).replace('brokers = "kafka:19092"', 'brokers = "localhost:9092"');
      expect(validateCompose({ files: { [path]: broken } })).toContain(
        `${path}: collector.streams.good.brokers "localhost:9092" is not the broker's listener for containers (kafka:19092)`,
      );
    });

    it('an app given a variable name outside the contract, or a wrong topic or group', () => {
      const compose = composeWith('edge-aggregator', (aggregator) => {
        const env = environment(aggregator);
        env.KAFKA_BOOTSTRAP_SERVERS = env.KAFKA_BROKERS;
        delete env.KAFKA_BROKERS;
        env.ENRICHED_TOPIC = 'enriched';
        env.CONSUMER_GROUP = 'features';
      });
      const problems = validateCompose({ compose });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^service "edge-aggregator": environment variable KAFKA_BOOTSTRAP_SERVERS is not a contracted name/,
          ),
          'service "edge-aggregator": missing contracted environment variable KAFKA_BROKERS',
          'service "edge-aggregator": ENRICHED_TOPIC is "enriched"; the contract says "snowplow-enriched-good"',
          'service "edge-aggregator": CONSUMER_GROUP is "features"; the contract says "tandem-features"',
        ]),
      );
    });

    it('an app pointed at a service that does not exist or does not listen on that port', () => {
      const compose = composeWith('store', (store) => {
        environment(store).UPSTASH_REDIS_REST_URL = 'http://redis-rest:8079';
        environment(store).COLLECTOR_URL = 'http://snowplow:9090';
      });
      expect(validateCompose({ compose })).toEqual(
        expect.arrayContaining([
          'service "store": UPSTASH_REDIS_REST_URL "http://redis-rest:8079": service "redis-rest" does not listen on 8079 (ports/expose)',
          'service "store": COLLECTOR_URL "http://snowplow:9090" names "snowplow", which is not a service in this file',
        ]),
      );
    });

    it('a REST token written into the file', () => {
      const compose = composeWith('redis-rest', (proxy) => {
        environment(proxy).SRH_TOKEN = 'example_token';
      });
      expect(validateCompose({ compose })).toContain(
        `service "redis-rest": SRH_TOKEN must be \${UPSTASH_REDIS_REST_TOKEN:?message}, the token the apps use`,
      );
    });

    it('a mounted config file that does not exist', () => {
      const compose = composeWith('collector', (collector) => {
        collector.volumes = ['./infra/compose/snowplow/collector.conf:/snowplow/collector.hocon:ro'];
      });
      expect(validateCompose({ compose })).toEqual(
        expect.arrayContaining([
          'service "collector": mounts ./infra/compose/snowplow/collector.conf, which does not exist',
          'service "collector": collector config infra/compose/snowplow/collector.conf does not exist',
        ]),
      );
    });

    it('a dashboard query on a metric the aggregator does not document', () => {
      const path = 'infra/compose/grafana/dashboards/edge-aggregator.json';
      const broken = readRepoFile(path).replaceAll('tandem_consumer_lag', 'tandem_kafka_lag');
      expect(validateCompose({ files: { [path]: broken } })).toEqual(
        expect.arrayContaining([
          `${path}: query uses tandem_kafka_lag, which is not a documented aggregator metric`,
          'infra/compose/grafana: no dashboard panel shows tandem_consumer_lag',
        ]),
      );
    });
  });
});

describe('the HOCON reader the check uses', () => {
  it('reads nested, dotted and quoted keys, merges repeated objects, and skips comments', () => {
    const conf = parseHocon(`
      # comment
      a.b { c = "x" } // trailing comment
      a { b { d: 60 minutes }, "e.f" = [1, "two"] }
    `);
    expect(hoconGet(conf, ['a', 'b', 'c'])).toBe('x');
    expect(hoconGet(conf, ['a', 'b', 'd'])).toBe('60 minutes');
    expect(hoconGet(conf, ['a', 'e.f'])).toEqual(['1', 'two']);
  });

  it('rejects what it cannot read instead of misreading it', () => {
    expect(() => parseHocon(`a = \${?X}`)).toThrow(HoconError);
    expect(() => parseHocon('a = kafka:9092')).toThrow(/line 1: ':' in an unquoted value/);
    expect(() => parseHocon('a {\n b = "x"\n')).toThrow(/missing '}'/);
  });
});
