/**
 * The collector's pipeline: one HTTP request (already read by http/server.ts) in, good events and bad
 * rows out to Kafka. For each event: Iglu validation of its self-describing parts (iglu/), then
 * feature-core's acceptance checks (`fromTrackerPayload`: the same rules the browser applies, so the
 * browser never counts what the collector rejects), then enrichment to the 131-field TSV (enrich/).
 * A payload of 10 events with 1 bad gives 9 good events and 1 bad row; nothing is dropped silently.
 */
import { fromTrackerPayload } from '@tandem/feature-core';
import {
  cpformatViolation,
  enrichmentFailures,
  type RawCollectorPayload,
  schemaViolations,
  sizeViolation,
  trackerProtocolViolations,
} from './badrows/badrows.js';
import { type EnrichContext, enrichEvent } from './enrich/enrich.js';
import type { GeoLookup } from './enrich/geo.js';
import type { CollectorRequest } from './http/server.js';
import type { SchemaRegistry } from './iglu/registry.js';
import type { KafkaSink } from './sink/kafka-sink.js';

export interface PipelineOptions {
  registry: SchemaRegistry;
  sink: KafkaSink;
  geo: GeoLookup | null;
  ipAnonymizationOctets?: 0 | 1 | 2 | 3;
  maxBodyBytes: number;
  version: string;
  now?: () => number;
}

/** Counts by outcome, for logs and metrics. */
export interface PipelineStats {
  good: number;
  bad: Record<string, number>;
}

export interface Pipeline {
  process(request: CollectorRequest): Promise<void>;
  stats(): PipelineStats;
}

/** Fields the tracker protocol requires of every event (Snowplow's tracker protocol). */
const REQUIRED_FIELDS = ['e', 'eid', 'p', 'tv'] as const;

/**
 * Longest value of a plain tracker parameter (URLs, titles, user agents, ids). Self-describing JSON
 * (`ue_pr`, `ue_px`, `co`, `cx`) is bounded by the body limit and its schemas instead.
 */
export const MAX_PARAMETER_CHARS = 8_192;
const JSON_PARAMETERS = new Set(['ue_pr', 'ue_px', 'co', 'cx']);

function rawOf(request: CollectorRequest): RawCollectorPayload {
  return {
    path: request.path,
    querystring: request.path === 'i' ? request.rawBody : null,
    body: request.path === 'tp2' ? request.rawBody : null,
    contentType: request.headers.contentType,
    ipAddress: request.ip,
    userAgent: request.headers.userAgent,
    refererUri: request.headers.referer,
    networkUserId: request.networkUserId,
    timestamp: request.collectorTimeMs,
  };
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? Date.now;
  const stats: PipelineStats = { good: 0, bad: {} };
  const countBad = (type: string) => {
    stats.bad[type] = (stats.bad[type] ?? 0) + 1;
  };

  function badRowsForProblem(request: CollectorRequest): object[] {
    const problem = request.problem;
    if (problem === null) return [];
    countBad(problem.type);
    if (problem.type === 'size_violation') {
      return [
        sizeViolation({
          maximumAllowedSizeBytes: options.maxBodyBytes,
          actualSizeBytes: problem.actualSizeBytes ?? request.rawBody.length,
          body: request.rawBody,
        }),
      ];
    }
    // An unreadable payload (not JSON, not payload_data, an empty /i query).
    return [cpformatViolation({ message: `${problem.type}: ${problem.detail}`, raw: rawOf(request) })];
  }

  async function process(request: CollectorRequest): Promise<void> {
    const bad: object[] = badRowsForProblem(request);
    const good: { key: string; value: string }[] = [];
    const raw = rawOf(request);
    for (const rejected of request.rejected) {
      countBad('tracker_protocol_violations');
      bad.push(
        trackerProtocolViolations({
          messages: [
            { field: `data[${rejected.index}]`, value: null, error: rejected.reason, expectation: rejected.detail },
          ],
          event: { entry: rejected.event },
          raw,
        }),
      );
    }
    const context: EnrichContext = {
      collectorTimeMs: request.collectorTimeMs,
      etlTimeMs: now(),
      // Decided once by the HTTP front (trustedProxyClientIp over TRUSTED_PROXIES), as its rate limit is.
      ip: request.ip,
      userAgentHeader: request.headers.userAgent,
      networkUserId: request.networkUserId,
      anonymous: request.anonymous,
      geo: options.geo,
      ipAnonymizationOctets: options.ipAnonymizationOctets ?? 0,
      collectorName: `tandem-collector-${options.version}`,
      etlName: `tandem-enrich-${options.version}`,
    };
    for (const event of request.events ?? []) {
      const missing = REQUIRED_FIELDS.filter((field) => !event[field]);
      if (missing.length > 0) {
        countBad('tracker_protocol_violations');
        bad.push(
          trackerProtocolViolations({
            messages: missing.map((field) => ({
              field,
              value: null,
              error: 'missing',
              expectation: 'required by the tracker protocol',
            })),
            event,
            raw,
          }),
        );
        continue;
      }
      const tooLong = Object.entries(event).filter(
        ([field, value]) => !JSON_PARAMETERS.has(field) && value.length > MAX_PARAMETER_CHARS,
      );
      if (tooLong.length > 0) {
        countBad('tracker_protocol_violations');
        bad.push(
          trackerProtocolViolations({
            messages: tooLong.map(([field, value]) => ({
              field,
              value: value.slice(0, 100),
              error: 'too_long',
              expectation: `at most ${MAX_PARAMETER_CHARS} characters, got ${value.length}`,
            })),
            event,
            raw,
          }),
        );
        continue;
      }
      const schemas = options.registry.validatePayloadEvent(event);
      if (!schemas.ok) {
        countBad('schema_violations');
        bad.push(
          schemaViolations({
            violations: schemas.failures.map((failure) => ({
              schemaKey: failure.schema ?? failure.field,
              error: failure.reason === 'unknown_schema' ? 'ResolutionError' : 'ValidationError',
              messages: failure.messages.map((message) => ({ path: failure.field, message })),
            })),
            event,
            raw,
          }),
        );
        continue;
      }
      const accepted = fromTrackerPayload(event);
      // Anonymous tracking (SP-Anonymous, the shop's "anonymous statistics" consent): an event of no
      // shopper is a good Snowplow event for analytics, not bad input; the aggregator skips it.
      const anonymousEvent = !accepted.ok && accepted.reason === 'no_shopper' && request.anonymous;
      if (!accepted.ok && !anonymousEvent) {
        countBad('enrichment_failures');
        bad.push(enrichmentFailures({ reason: accepted.reason, detail: accepted.detail, event, raw }));
        continue;
      }
      try {
        const enriched = enrichEvent(event, context);
        good.push({ key: enriched.partitionKey, value: enriched.tsv });
      } catch (error) {
        countBad('enrichment_failures');
        bad.push(enrichmentFailures({ reason: 'enrichment_error', detail: (error as Error).message, event, raw }));
      }
    }
    stats.good += good.length;
    // The HTTP answer waits for both: a 200 means Kafka acknowledged every event and bad row.
    await Promise.all([
      good.length > 0 ? options.sink.sendGood(good) : null,
      bad.length > 0 ? options.sink.sendBad(bad) : null,
    ]);
  }

  return { process, stats: () => ({ good: stats.good, bad: { ...stats.bad } }) };
}
