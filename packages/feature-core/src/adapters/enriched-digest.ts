/**
 * Adapter from one enriched TSV line to a client digest, for the reconciler: it reads the whole
 * enriched stream but needs only the digest events, their ids and timestamps, and the identity of
 * every other event (to notice a sign-in within a session). Server-side only.
 */
import { type FeatureDigest, parseFeatureDigest } from '../digest.js';
import { parseJson } from '../encoding.js';
import { type Result, reject } from '../result.js';
import { parseUnstructEnvelope, VENDOR_TANDEM } from '../snowplow.js';
import { ENRICHED_FIELD_COUNT, ENRICHED_FIELDS, parseEnrichedTimestamp } from './enriched-tsv.js';

/** A digest event as the reconciler needs it. */
export interface EnrichedDigest {
  /** The digest event's own event id. */
  readonly eventId: string;
  readonly collectorMs: number;
  /** The device's clock when it sent the event; null when absent. */
  readonly dvceSentMs: number | null;
  readonly digest: FeatureDigest;
}

/** Who an event is from: the user key (user_id, else domain_userid) and the session key. */
export interface EnrichedIdentity {
  readonly userKey: string | null;
  readonly sessionKey: string | null;
}

export type EnrichedLine =
  | { readonly kind: 'digest'; readonly value: EnrichedDigest }
  | { readonly kind: 'event'; readonly identity: EnrichedIdentity };

const DIGEST_SCHEMA_PREFIX = `iglu:${VENDOR_TANDEM}/feature_digest/jsonschema/1-`;

/**
 * Reads one enriched TSV line: a digest (checked against its schema), or any other event's identity.
 * A malformed digest, or a line of the wrong shape, is a rejection with a reason.
 */
export function readEnrichedLine(line: string): Result<EnrichedLine> {
  const text = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
  const fields = text.split('\t');
  if (fields.length !== ENRICHED_FIELD_COUNT)
    return reject('wrong_field_count', `expected ${ENRICHED_FIELD_COUNT} fields, got ${fields.length}`);
  const field = (name: keyof typeof ENRICHED_FIELDS) => fields[ENRICHED_FIELDS[name]] ?? '';
  const unstruct = field('unstruct_event');
  if (field('event') !== 'unstruct' || !unstruct.includes(DIGEST_SCHEMA_PREFIX)) {
    const userKey = field('user_id') || field('domain_userid') || null;
    return { ok: true, value: { kind: 'event', identity: { userKey, sessionKey: field('domain_sessionid') || null } } };
  }
  const json = parseJson(unstruct);
  if (json === undefined) return reject('bad_json', 'unstruct_event is not JSON');
  const envelope = parseUnstructEnvelope(json);
  if (!envelope.ok) return envelope;
  if (!envelope.value.uri.startsWith(DIGEST_SCHEMA_PREFIX))
    return reject('bad_envelope', `unexpected schema ${envelope.value.uri}`);
  const digest = parseFeatureDigest(envelope.value.data);
  if (!digest.ok) return digest;
  const eventId = field('event_id');
  if (eventId === '') return reject('missing_field', 'event_id is missing');
  const collectorMs = parseEnrichedTimestamp(field('collector_tstamp'));
  if (collectorMs === null) return reject('invalid_field', 'collector_tstamp is not a timestamp');
  const sent = field('dvce_sent_tstamp');
  return {
    ok: true,
    value: {
      kind: 'digest',
      value: {
        eventId,
        collectorMs,
        dvceSentMs: sent === '' ? null : parseEnrichedTimestamp(sent),
        digest: digest.value,
      },
    },
  };
}
