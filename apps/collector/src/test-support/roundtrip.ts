/**
 * Shared by the round-trip tests (src/collector.test.ts, src/browser-roundtrip.test.ts): the collector
 * started in-process on a free port against a test broker, the enriched lines read back from Kafka by
 * event id, and the part of a ShopperEvent that the browser and the server must agree on.
 */
import { randomUUID } from 'node:crypto';
import type { ShopperEvent } from '@tandem/feature-core';
import { ENRICHED_FIELD_NAMES } from '@tandem/feature-core/enriched';
import { Kafka, logLevel } from 'kafkajs';
import { createRangeTableLookup } from '../enrich/geo.js';
import { type CollectorServer, createCollectorServer } from '../http/server.js';
import { createSchemaRegistry } from '../iglu/registry.js';
import { createPipeline } from '../pipeline.js';
import { createKafkaSink } from '../sink/kafka-sink.js';

export const GOOD_TOPIC = 'snowplow-enriched-good';
export const BAD_TOPIC = 'snowplow-enriched-bad';
/** Loopback clients are in Amsterdam: every test event gets geo NL/NH. */
export const LOOPBACK_GEO_TABLE = 'network,country,region,city\n127.0.0.0/8,NL,NH,Amsterdam\n';

const EVENT_ID_FIELD = ENRICHED_FIELD_NAMES.indexOf('event_id');

export interface TestCollector {
  readonly server: CollectorServer;
  /** Every event the collector received, as the tracker sent it, in arrival order. */
  readonly received: Record<string, string>[];
  close(): Promise<void>;
}

/** The collector + enrich on 127.0.0.1 (a free port), writing to `brokers` (CORS for any origin, as outside production). */
export async function startTestCollector(brokers: string, clientId = 'collector-test'): Promise<TestCollector> {
  const sink = createKafkaSink({ brokers, goodTopic: GOOD_TOPIC, badTopic: BAD_TOPIC, clientId });
  const pipeline = createPipeline({
    registry: createSchemaRegistry(),
    sink,
    geo: createRangeTableLookup(LOOPBACK_GEO_TABLE),
    maxBodyBytes: 1_000_000,
    version: 'test',
  });
  const received: Record<string, string>[] = [];
  const server = await createCollectorServer({
    host: '127.0.0.1',
    port: 0,
    process: async (request) => {
      received.push(...(request.events ?? []));
      await pipeline.process(request);
    },
  }).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  return {
    server,
    received,
    close: async () => {
      await server.close();
      await sink.close();
    },
  };
}

export interface EnrichedLines {
  /** Every enriched line of each wanted event id (more than one means a duplicate reached Kafka). */
  readonly lines: Map<string, string[]>;
  /** Bad rows that name one of the wanted event ids (the reason a line is missing). */
  readonly badRows: unknown[];
}

/**
 * The enriched lines of `eventIds` on the good topic, read from the beginning until every id has one
 * and the consumer has read up to the end of the topic (so a duplicate written with the last one is
 * seen too), or until `timeoutMs`. Matches on the event_id field: a later event's client_session
 * entity names the first event's id too.
 */
export async function readEnrichedLines(
  brokers: string,
  eventIds: readonly string[],
  timeoutMs = 20_000,
): Promise<EnrichedLines> {
  const wanted = new Set(eventIds);
  const lines = new Map<string, string[]>();
  const badRows: unknown[] = [];
  /** Next offset to read, per partition of the good topic. */
  const consumed = new Map<number, bigint>();
  const kafka = new Kafka({ clientId: 'collector-test', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `collector-test-${randomUUID()}` });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  try {
    await consumer.subscribe({ topics: [GOOD_TOPIC, BAD_TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = String(message.value);
        if (topic === BAD_TOPIC) {
          if (eventIds.some((id) => value.includes(id))) badRows.push(JSON.parse(value));
          return;
        }
        consumed.set(partition, BigInt(message.offset) + 1n);
        const eventId = value.split('\t')[EVENT_ID_FIELD];
        if (eventId === undefined || !wanted.has(eventId)) return;
        lines.set(eventId, [...(lines.get(eventId) ?? []), value]);
      },
    });
    const deadline = Date.now() + timeoutMs;
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));
    while (lines.size < wanted.size && Date.now() < deadline) await sleep();
    if (lines.size === wanted.size) {
      const ends = await admin.fetchTopicOffsets(GOOD_TOPIC);
      const caughtUp = () => ends.every(({ partition, high }) => (consumed.get(partition) ?? 0n) >= BigInt(high));
      while (!caughtUp() && Date.now() < deadline) await sleep();
    }
    return { lines, badRows };
  } finally {
    await Promise.all([consumer.disconnect(), admin.disconnect()]);
  }
}

/** The fields only the server has (collector time, and the enrichment from the request: geo, user agent, device class). */
export type ServerEnrichment = 'collectorTimeMs' | 'deviceClass' | 'geo' | 'userAgent';

/** What both sides window on, which must be identical: the event without the server's enrichment. */
export function withoutServerEnrichment(event: ShopperEvent): Omit<ShopperEvent, ServerEnrichment> {
  const { collectorTimeMs: _c, deviceClass: _d, geo: _g, userAgent: _u, ...shared } = event;
  return shared;
}
