/**
 * Reconciliation benchmark (not a test): what client digests cost on the wire and what comparing
 * them costs the server, and how much drift the usual faults cause, over the load generator's
 * realistic shoppers (src/load/shoppers.ts). Pure CPU: no Kafka, no Redis (the integration test
 * src/reconcile/reconcile.test.ts covers the real path).
 *
 * Model: each shopper's "browser" is feature-core fed with the tracker payloads of its events (as the
 * store's worker is); it sends a digest after every quiet period of 5 s without an event (the store's
 * default). The "server" is feature-core fed with the enriched lines the collector got; at each
 * digest, its lanes are read back through the wire format (as from lane snapshots) and compared.
 * Scenarios: clean (the server got everything), blocked beacons (1% of events never reach it),
 * server-side orders (every transaction is tracked by the shop's server, not the browser).
 *
 *   npm run bench:reconcile -w @tandem/edge-aggregator [-- --quick]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  clientDigest,
  compareDigest,
  createFeatureEngine,
  type DriftCause,
  definitionVersion,
  deserializeSessionLane,
  deserializeUserLane,
  evaluateSessionLane,
  evaluateUserLane,
  FEATURE_DIGEST_SCHEMA_URI,
  type FeatureDigest,
  fromTrackerPayload,
  type ServerLanesForDigest,
  type ShopperEvent,
  serializeSessionLane,
  serializeUserLane,
  serverSideForDigest,
} from '@tandem/feature-core';
import { fromEnrichedTsv } from '@tandem/feature-core/enriched';
import { trackerPayload } from '@tandem/feature-core/testing';
import { generateEvents } from '../src/load/shoppers.js';
import { median, round } from './measure.js';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
});
if (args.help) {
  console.log('usage: npm run bench:reconcile -w @tandem/edge-aggregator [-- --quick]');
  process.exit(0);
}
const EVENTS = args.quick ? 6_000 : 30_000;
const ROUNDS = args.quick ? 3 : 7;
const QUIET_MS = 5_000;
const VERSION = definitionVersion();
const log = (line: string) => console.log(`[bench:reconcile] ${line}`);

interface Sent {
  readonly browser: ShopperEvent;
  readonly server: ShopperEvent;
  readonly type: string;
}

// Journeys: late and duplicate records off (the browser sends each event once, in order).
const records = generateEvents(EVENTS, { shoppers: Math.round(EVENTS / 15), lateShare: 0, duplicateShare: 0 });
const byShopper = new Map<string, Sent[]>();
for (const record of records) {
  const browser = fromTrackerPayload(trackerPayload(record.spec));
  const server = fromEnrichedTsv(record.value);
  if (!browser.ok || !server.ok) continue;
  const list = byShopper.get(record.key) ?? [];
  list.push({ browser: browser.value, server: server.value, type: record.spec.type });
  byShopper.set(record.key, list);
}
log(`${records.length} events of ${byShopper.size} shoppers`);

/** Base64url of the digest's unstruct envelope: what the tracker puts in `ue_px`. */
function wireBytes(digest: FeatureDigest): number {
  const envelope = {
    schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
    data: { schema: FEATURE_DIGEST_SCHEMA_URI, data: digest },
  };
  return Buffer.from(JSON.stringify(envelope)).toString('base64url').length;
}

interface Moment {
  readonly digest: FeatureDigest;
  readonly lanes: ServerLanesForDigest;
}

type Fault = (sent: Sent, index: number) => { toBrowser: boolean; toServer: boolean };

/** Every digest moment of every shopper under a fault, with the server's lanes read back from the wire. */
function moments(fault: Fault): Moment[] {
  const out: Moment[] = [];
  let index = 0;
  for (const events of byShopper.values()) {
    const browser = createFeatureEngine();
    const server = createFeatureEngine();
    let last: ShopperEvent | null = null;
    for (let i = 0; i < events.length; i++) {
      const sent = events[i] as Sent;
      const { toBrowser, toServer } = fault(sent, index++);
      if (toBrowser) {
        browser.apply(sent.browser);
        last = sent.browser;
      }
      if (toServer) server.apply(sent.server);
      const nextAt = events[i + 1]?.browser.eventTimeMs ?? Number.POSITIVE_INFINITY;
      if (last === null || last.sessionKey === null || nextAt - sent.browser.eventTimeMs < QUIET_MS) continue;
      const atMs = sent.browser.eventTimeMs + QUIET_MS;
      const digest = clientDigest({
        definitionVersion: VERSION,
        userKey: last.userKey,
        sessionKey: last.sessionKey,
        user: browser.userLanes.get(last.userKey),
        session: browser.sessionLanes.get(last.sessionKey),
        atMs,
      });
      if (digest === null) continue;
      const user = server.userLanes.get(digest.u);
      const session = server.sessionLanes.get(digest.s);
      const userBack = user === undefined ? undefined : deserializeUserLane(serializeUserLane(user));
      const sessionBack = session === undefined ? undefined : deserializeSessionLane(serializeSessionLane(session));
      out.push({
        digest,
        lanes: {
          definitionVersion: VERSION,
          user: userBack?.ok ? userBack.value : undefined,
          session: sessionBack?.ok ? sessionBack.value : undefined,
        },
      });
    }
  }
  return out;
}

interface DriftRates {
  readonly digests: number;
  /** Share of digests with any differing field. */
  readonly driftRate: number;
  readonly causes: Partial<Record<DriftCause, number>>;
  /** Share of compared fields that differed. */
  readonly fieldMismatchRate: number;
  /** The fields that drifted most: share of their comparisons that differed. */
  readonly worstFields: Record<string, number>;
}

function driftRates(list: readonly Moment[]): DriftRates {
  let drifted = 0;
  let fields = 0;
  let differing = 0;
  const causes: Partial<Record<DriftCause, number>> = {};
  const perField = new Map<string, { n: number; bad: number }>();
  for (const { digest, lanes } of list) {
    const comparison = compareDigest(digest, serverSideForDigest(digest, lanes).side);
    if (comparison.cause !== null) {
      drifted++;
      causes[comparison.cause] = (causes[comparison.cause] ?? 0) + 1;
    }
    for (const f of comparison.fields) {
      fields++;
      const entry = perField.get(f.field) ?? { n: 0, bad: 0 };
      entry.n++;
      if (f.outcome !== 'match') {
        differing++;
        entry.bad++;
      }
      perField.set(f.field, entry);
    }
  }
  const worst = [...perField].sort((a, b) => b[1].bad / b[1].n - a[1].bad / a[1].n).slice(0, 5);
  return {
    digests: list.length,
    driftRate: round(drifted / Math.max(1, list.length), 4),
    causes,
    fieldMismatchRate: round(differing / Math.max(1, fields), 5),
    worstFields: Object.fromEntries(
      worst.filter(([, c]) => c.bad > 0).map(([field, c]) => [field, round(c.bad / c.n, 4)]),
    ),
  };
}

const clean = moments(() => ({ toBrowser: true, toServer: true }));
// A deterministic 1% of events (every 100th) never reach the collector.
const blocked = moments((_, i) => ({ toBrowser: true, toServer: i % 100 !== 37 }));
const serverOrders = moments((sent) => ({ toBrowser: sent.type !== 'transaction', toServer: true }));

// Wire cost.
const bytes = clean.map((m) => wireBytes(m.digest)).sort((a, b) => a - b);
const jsonBytes = clean.map((m) => JSON.stringify(m.digest).length).sort((a, b) => a - b);
const digestsPerEvent = clean.length / records.length;
const bytesPerEvent = bytes.reduce((a, b) => a + b, 0) / records.length;

// Comparison cost: cut + evaluate + compare per digest, against plain evaluation of the same lanes
// (what the aggregator does for every touched lane anyway), per round; medians of the rounds.
const compareUs: number[] = [];
const evaluateUs: number[] = [];
const readUs: number[] = [];
const texts = clean.map((m) => ({
  user: m.lanes.user === undefined ? null : serializeUserLane(m.lanes.user),
  session: m.lanes.session === undefined ? null : serializeSessionLane(m.lanes.session),
}));
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let t = process.hrtime.bigint();
  for (const { digest, lanes } of clean)
    sink += compareDigest(digest, serverSideForDigest(digest, lanes).side).fields.length;
  compareUs.push(Number(process.hrtime.bigint() - t) / 1e3 / clean.length);
  t = process.hrtime.bigint();
  for (const { digest, lanes } of clean) {
    if (lanes.user) sink += evaluateUserLane(lanes.user, digest.t).values.size;
    if (lanes.session) sink += evaluateSessionLane(lanes.session, digest.t).values.size;
  }
  evaluateUs.push(Number(process.hrtime.bigint() - t) / 1e3 / clean.length);
  t = process.hrtime.bigint();
  for (const text of texts) {
    if (text.user) sink += deserializeUserLane(text.user).ok ? 1 : 0;
    if (text.session) sink += deserializeSessionLane(text.session).ok ? 1 : 0;
  }
  readUs.push(Number(process.hrtime.bigint() - t) / 1e3 / clean.length);
}

const figures = {
  benchmark: 'reconcile',
  date: new Date().toISOString(),
  machine: `${process.arch}, node ${process.version}`,
  events: records.length,
  shoppers: byShopper.size,
  quietMs: QUIET_MS,
  digests: clean.length,
  digestsPerEvent: round(digestsPerEvent, 3),
  digestWireBytes: {
    p50: bytes[Math.floor(bytes.length / 2)],
    p90: bytes[Math.floor(bytes.length * 0.9)],
    max: bytes.at(-1),
  },
  digestJsonBytes: {
    p50: jsonBytes[Math.floor(jsonBytes.length / 2)],
    p90: jsonBytes[Math.floor(jsonBytes.length * 0.9)],
  },
  digestWireBytesPerEvent: round(bytesPerEvent, 1),
  compareUsPerDigest: round(median(compareUs), 1),
  baselineEvaluateUsPerDigest: round(median(evaluateUs), 1),
  compareVsEvaluate: round(median(compareUs) / median(evaluateUs), 2),
  snapshotReadUsPerDigest: round(median(readUs), 1),
  rounds: ROUNDS,
  drift: {
    clean: driftRates(clean),
    blockedBeacons1pct: driftRates(blocked),
    serverSideOrders: driftRates(serverOrders),
  },
};
log(
  `${clean.length} digests (${figures.digestsPerEvent} per event); wire bytes p50 ${figures.digestWireBytes.p50}, p90 ${figures.digestWireBytes.p90}; ${figures.digestWireBytesPerEvent} B per event`,
);
log(
  `compare ${figures.compareUsPerDigest} µs/digest (plain evaluation of the same lanes ${figures.baselineEvaluateUsPerDigest} µs, ratio ${figures.compareVsEvaluate}); snapshot read ${figures.snapshotReadUsPerDigest} µs`,
);
for (const [name, rates] of Object.entries(figures.drift))
  log(
    `drift ${name}: ${rates.driftRate} of digests, ${rates.fieldMismatchRate} of fields, causes ${JSON.stringify(rates.causes)}`,
  );
if (!args.quick) {
  writeFileSync(
    fileURLToPath(new URL('../../../docs/benchmarks/reconcile.json', import.meta.url)),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
}
if (sink < 0) log('unreachable');
console.log(JSON.stringify(figures));
