/**
 * Adapter from a Snowplow tracker payload (one event object of `payload_data` 1-0-4, as the browser
 * tracker sends it and as its `afterTrack` hook sees it) to a `ShopperEvent`.
 */
import { isPlausibleEpochMs, isRecord } from '../acceptance.js';
import { decodeBase64Text, parseJson } from '../encoding.js';
import type { ShopperEvent } from '../event.js';
import { type Result, reject } from '../result.js';
import {
  buildEventBody,
  type EventKind,
  marketingFromUrl,
  parseContextsEnvelope,
  parseUnstructEnvelope,
  type SelfDescribing,
} from '../snowplow.js';
import { assembleEvent, nonEmpty } from './common.js';

/** One event of a tracker payload: every value is a string (SNOWPLOW.md §1). */
export type TrackerPayload = Readonly<Record<string, string | undefined>>;

const EVENT_KINDS: Readonly<Record<string, EventKind>> = {
  pv: 'page_view',
  pp: 'page_ping',
  ue: 'self_describing',
  se: 'other',
  tr: 'other',
  ti: 'other',
};

/** Reads a JSON field that comes either plain (`plain`) or as URL-safe base64 (`encoded`). */
function jsonField(payload: TrackerPayload, plain: string, encoded: string): Result<unknown> | null {
  const text = nonEmpty(payload[plain]);
  if (text !== null) {
    const value = parseJson(text);
    return value === undefined ? reject('bad_json', `${plain} is not JSON`) : { ok: true, value };
  }
  const base64 = nonEmpty(payload[encoded]);
  if (base64 === null) return null;
  const decoded = decodeBase64Text(base64);
  if (decoded === null) return reject('bad_base64', `${encoded} is not base64 of UTF-8 text`);
  const value = parseJson(decoded);
  return value === undefined ? reject('bad_json', `${encoded} does not hold JSON`) : { ok: true, value };
}

function epochMs(payload: TrackerPayload, name: string): Result<number> | null {
  const text = nonEmpty(payload[name]);
  if (text === null) return null;
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!isPlausibleEpochMs(value)) return reject('invalid_field', `${name} is not epoch milliseconds: ${text}`);
  return { ok: true, value };
}

/**
 * Converts one tracker payload event to a `ShopperEvent`. The event time is the true timestamp
 * (`ttm`) when present, else the device created time (`dtm`); there is no collector time yet, so no
 * skew bound applies here (the server applies it). Never throws: bad input gives `{ ok: false, reason }`.
 */
export function fromTrackerPayload(payload: unknown): Result<ShopperEvent> {
  if (!isRecord(payload)) return reject('bad_json', 'a tracker payload event must be an object');
  // On the wire every value is a string; the payload a tracker plugin's `afterTrack` sees may still
  // hold numbers (e.g. `cd`, the colour depth) and booleans, which are sent as their string form.
  const p: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') p[name] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
      p[name] = String(value);
    else return reject('invalid_field', `${name}: tracker payload values are strings, numbers or booleans`);
  }
  const e = nonEmpty(p.e);
  if (e === null) return reject('missing_field', 'e (event type) is missing');
  const kind = EVENT_KINDS[e];
  if (kind === undefined) return reject('unknown_event', `unknown event type e=${e}`);

  let unstruct: SelfDescribing | null = null;
  if (kind === 'self_describing') {
    const raw = jsonField(p, 'ue_pr', 'ue_px');
    if (raw === null) return reject('missing_field', 'ue_pr / ue_px is missing');
    if (!raw.ok) return raw;
    const parsed = parseUnstructEnvelope(raw.value);
    if (!parsed.ok) return parsed;
    unstruct = parsed.value;
  }
  let entities: readonly SelfDescribing[] = [];
  const rawContexts = jsonField(p, 'co', 'cx');
  if (rawContexts !== null) {
    if (!rawContexts.ok) return rawContexts;
    const parsed = parseContextsEnvelope(rawContexts.value);
    if (!parsed.ok) return parsed;
    entities = parsed.value;
  }
  const body = buildEventBody(kind, unstruct, entities);
  if (!body.ok) return body;

  const trueTime = epochMs(p, 'ttm');
  if (trueTime !== null && !trueTime.ok) return trueTime;
  const deviceTime = epochMs(p, 'dtm');
  if (deviceTime !== null && !deviceTime.ok) return deviceTime;
  const pageUrl = nonEmpty(p.url);
  const userAgent = nonEmpty(p.ua);
  return assembleEvent(
    {
      eventId: nonEmpty(p.eid),
      eventTimeMs: trueTime?.value ?? deviceTime?.value ?? null,
      collectorTimeMs: null,
      userId: nonEmpty(p.uid),
      domainUserId: nonEmpty(p.duid),
      domainSessionId: nonEmpty(p.sid),
      pageUrl,
      marketing: marketingFromUrl(pageUrl),
      platform: nonEmpty(p.p),
      userAgent,
      // Device class and geo come from server-side enrichment; the browser leaves them out.
      deviceClass: null,
      geo: null,
    },
    body.value,
  );
}
