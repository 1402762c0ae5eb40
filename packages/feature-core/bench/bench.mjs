#!/usr/bin/env node
/**
 * feature-core benchmark (not a test): compute throughput, state size and browser bundle size.
 *
 *   npm run bench -w @tandem/feature-core            full run (about a minute)
 *   npm run bench -w @tandem/feature-core -- --quick  smaller run, for a smoke check
 *
 * Runs on the built package (dist/). Prints medians of several repetitions and a ratio against a
 * baseline measured in the same run (a trivial per-user Map counter over the same events), writes
 * docs/benchmarks/feature-core.json, and ends with one line of JSON holding its figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { fromEnrichedTsv } from '../dist/enriched.js';
import {
  createFeatureEngine,
  evaluateSessionLane,
  evaluateUserLane,
  pruneUserLane,
  serializeSessionLane,
  serializeUserLane,
} from '../dist/index.js';

const args = new Set(process.argv.slice(2));
if (args.has('--help')) {
  console.log('usage: node bench/bench.mjs [--quick]\n  --quick  fewer events and repetitions');
  process.exit(0);
}
const QUICK = args.has('--quick');
const EVENTS = QUICK ? 200_000 : 1_000_000;
const USERS = QUICK ? 5_000 : 20_000;
const REPEATS = Number(process.env.BENCH_REPEATS ?? (QUICK ? 3 : 5));
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

// Deterministic pseudo-random numbers (mulberry32), so every run measures the same workload.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf-like user ranks: p(rank r) ∝ 1 / r^0.9, by inverse CDF over a table. */
function zipfSampler(n, s, random) {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 1; r <= n; r++) {
    total += 1 / r ** s;
    cdf[r - 1] = total;
  }
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const CATEGORIES = ['Shoes', 'Bags', 'Hats', 'Jackets', 'Socks', 'Watches'];
const PRODUCTS = Array.from({ length: 240 }, (_, i) => ({
  id: `p${i}`,
  category: CATEGORIES[i % CATEGORIES.length],
  priceMinor: 999 + ((i * 7919) % 30_000),
}));
const LISTS = ['Top this week', 'New series', ...CATEGORIES];
/** Event mix of a shop: mostly browsing, some cart activity, few orders. */
const MIX = [
  ['page_view', 18],
  ['page_ping', 12],
  ['product_view', 35],
  ['list_view', 12],
  ['list_click', 5],
  ['add_to_cart', 8],
  ['remove_from_cart', 3],
  ['checkout_step', 4],
  ['transaction', 1],
  ['promo_view', 2],
];
const mixTable = MIX.flatMap(([type, weight]) => Array(weight).fill(type));

function uuid(n) {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/**
 * Generated ShopperEvents, one at a time: `count` events of `users` shoppers over two hours, slightly
 * out of order. The same seed gives the same stream, so every run measures the same workload.
 */
function* eventStream(count, users, seed = 42) {
  const random = rng(seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const sampleUser = zipfSampler(users, 0.9, random);
  const start = Date.UTC(2026, 2, 2, 10, 0, 0);
  const span = 2 * 60 * 60_000;
  const lastSeen = new Map();
  const sessionOf = new Map();
  for (let i = 0; i < count; i++) {
    const user = sampleUser();
    const t = start + Math.floor((i / count) * span) - Math.floor(random() * 3_000);
    const last = lastSeen.get(user);
    if (last === undefined || t - last >= 30 * 60_000) sessionOf.set(user, `s${user}-${i}`);
    lastSeen.set(user, t);
    const type = pick(mixTable);
    const product = pick(PRODUCTS);
    const hasProduct = type === 'product_view' || type === 'add_to_cart' || type === 'remove_from_cart';
    yield {
      eventId: uuid(i + 1),
      eventTimeMs: t,
      collectorTimeMs: t + 120,
      clockSkewCorrected: false,
      userKey: `u${user}`,
      userId: null,
      domainUserId: `u${user}`,
      sessionKey: sessionOf.get(user),
      type,
      schema: null,
      products: hasProduct ? [{ ...product, currency: 'USD', name: null, brand: null, quantity: 1 }] : [],
      cart:
        type === 'add_to_cart' || type === 'remove_from_cart'
          ? { totalValueMinor: Math.floor(random() * 50_000), currency: 'USD', cartId: null }
          : null,
      listName: type === 'list_view' || type === 'list_click' ? pick(LISTS) : null,
      checkoutStep: type === 'checkout_step' ? { step: 1, paymentMethod: null, deliveryMethod: null } : null,
      transaction:
        type === 'transaction'
          ? {
              transactionId: `o${user}-${Math.floor(random() * 3)}`,
              revenueMinor: 1000 + Math.floor(random() * 40_000),
              currency: 'USD',
              paymentMethod: 'card',
              totalQuantity: 1,
            }
          : null,
      promotion: type === 'promo_view' ? { id: 'spring', name: null } : null,
      searchTerms: null,
      pageUrl: random() < 0.1 ? 'https://shop.test/search?q=shoes' : 'https://shop.test/p/1',
      marketing:
        random() < 0.05 ? { campaign: 'spring', source: 'news', medium: 'email', term: null, content: null } : null,
      platform: 'web',
      userAgent: null,
      deviceClass: 'Desktop',
      geo: { country: 'NL', region: random() < 0.98 ? 'NH' : 'ZH' },
    };
  }
}

/** Chunks of a generated stream, as arrays. */
function* chunksOf(stream, size) {
  let chunk = [];
  for (const item of stream) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');

function timeIt(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';
const tstamp = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const ECOMMERCE = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
const sd = (schema, data) => ({ schema, data });

/** The enriched TSV line (131 fields) Snowplow Enrich would write for a generated event. */
function toEnrichedTsv(e) {
  const f = new Array(131).fill('');
  const entities = [
    sd('iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2', {
      userId: e.domainUserId,
      sessionId: e.sessionKey,
      sessionIndex: 1,
      previousSessionId: null,
      storageMechanism: 'LOCAL_STORAGE',
      firstEventId: null,
      firstEventTimestamp: null,
      eventIndex: 1,
    }),
  ];
  for (const p of e.products) {
    entities.push(
      sd(`${ECOMMERCE}/product/jsonschema/1-0-0`, {
        id: p.id,
        category: p.category,
        price: p.priceMinor / 100,
        currency: p.currency,
      }),
    );
  }
  if (e.cart)
    entities.push(
      sd(`${ECOMMERCE}/cart/jsonschema/1-0-0`, { total_value: e.cart.totalValueMinor / 100, currency: 'USD' }),
    );
  if (e.checkoutStep) entities.push(sd(`${ECOMMERCE}/checkout_step/jsonschema/1-0-0`, { step: e.checkoutStep.step }));
  if (e.promotion) entities.push(sd(`${ECOMMERCE}/promotion/jsonschema/1-0-0`, { id: e.promotion.id }));
  if (e.transaction) {
    const x = e.transaction;
    entities.push(
      sd(`${ECOMMERCE}/transaction/jsonschema/1-0-0`, {
        transaction_id: x.transactionId,
        revenue: x.revenueMinor / 100,
        currency: 'USD',
        payment_method: x.paymentMethod,
        total_quantity: x.totalQuantity,
      }),
    );
  }
  const isPage = e.type === 'page_view' || e.type === 'page_ping';
  f[0] = 'shop';
  f[1] = e.platform;
  f[2] = tstamp(e.collectorTimeMs + 40);
  f[3] = tstamp(e.collectorTimeMs);
  f[4] = tstamp(e.eventTimeMs);
  f[5] = isPage ? e.type : 'unstruct';
  f[6] = e.eventId;
  f[15] = e.domainUserId;
  f[18] = e.geo.country;
  f[19] = e.geo.region;
  f[29] = e.pageUrl;
  if (e.marketing) [f[47], f[48], f[51]] = [e.marketing.medium, e.marketing.source, e.marketing.campaign];
  f[52] = JSON.stringify(sd('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', entities));
  if (!isPage) {
    const action = { type: e.type, ...(e.listName && { name: e.listName }) };
    f[58] = JSON.stringify(
      sd(
        'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
        sd(`${ECOMMERCE}/snowplow_ecommerce_action/jsonschema/1-0-2`, action),
      ),
    );
  }
  f[77] = USER_AGENT;
  f[123] = e.sessionKey;
  f[124] = tstamp(e.eventTimeMs);
  f[130] = tstamp(e.eventTimeMs);
  return f.join('\t');
}

/**
 * One run over the stream. The engine gets decoded events: each chunk is written as enriched TSV and
 * decoded with `fromEnrichedTsv` (untimed; its own rate is measured below), so the objects are
 * exactly what the aggregator hands the engine, fresh and in cache, and the input is never held whole.
 * Only the work on decoded events is timed: the engine, and the baseline on the same chunk.
 */
const CHUNK = 5_000;
function run(count, users) {
  const counts = new Map();
  const engine = createFeatureEngine();
  let baselineMs = 0;
  let engineMs = 0;
  for (const generated of chunksOf(eventStream(count, users), CHUNK)) {
    const chunk = generated.map((e) => {
      const decoded = fromEnrichedTsv(toEnrichedTsv(e));
      if (!decoded.ok) throw new Error(`benchmark line does not decode: ${decoded.reason} ${decoded.detail}`);
      return decoded.value;
    });
    // Baseline: the cheapest keyed processing of the same events, a per-user counter.
    let start = process.hrtime.bigint();
    for (const e of chunk) counts.set(e.userKey, (counts.get(e.userKey) ?? 0) + 1);
    baselineMs += Number(process.hrtime.bigint() - start) / 1e6;
    // The engine: every event into its user lane and session lane (all lanes, all windows).
    start = process.hrtime.bigint();
    for (const e of chunk) engine.apply(e);
    engineMs += Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { baselineMs, engineMs, lanes: { users: engine.userLanes, sessions: engine.sessionLanes } };
}

console.log(`feature-core benchmark${QUICK ? ' (quick)' : ''}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}`);
console.log(
  `workload: ${fmt(EVENTS)} events decoded from enriched TSV, ${fmt(USERS)} shoppers (Zipf-like), 2 h of event time`,
);

run(50_000, USERS); // warm up the JIT

const engineRates = [];
const baselineRates = [];
let lanes;
for (let r = 0; r < REPEATS; r++) {
  // Start every run from the same heap: drop the previous run's lanes, collect when allowed.
  lanes = undefined;
  globalThis.gc?.();
  const result = run(EVENTS, USERS);
  baselineRates.push(EVENTS / (result.baselineMs / 1000));
  engineRates.push(EVENTS / (result.engineMs / 1000));
  lanes = result.lanes;
  console.log(`  run ${r + 1}: engine ${fmt(engineRates[r])} events/s, baseline ${fmt(baselineRates[r])} events/s`);
}
const eventsPerSec = median(engineRates);
const baselinePerSec = median(baselineRates);

// Evaluation: every user lane and session lane once at the end of the event span.
const atMs = Date.UTC(2026, 2, 2, 12, 0, 0);
const evalRates = [];
for (let r = 0; r < REPEATS; r++) {
  const run = timeIt(() => {
    let n = 0;
    for (const lane of lanes.users.values()) n += evaluateUserLane(lane, atMs).values.size;
    for (const lane of lanes.sessions.values()) n += evaluateSessionLane(lane, atMs).values.size;
    return n;
  });
  evalRates.push((lanes.users.size + lanes.sessions.size) / (run.ms / 1000));
}
const evaluationsPerSec = median(evalRates);

// State size: bytes of the wire format per active shopper (user lane + that shopper's sessions).
for (const lane of lanes.users.values()) pruneUserLane(lane, atMs);
const sessionBytes = new Map();
for (const [key, lane] of lanes.sessions) {
  const user = key.slice(1, key.indexOf('-'));
  sessionBytes.set(user, (sessionBytes.get(user) ?? 0) + serializeSessionLane(lane).length);
}
const eventsPerUser = new Map();
for (const e of eventStream(EVENTS, USERS)) eventsPerUser.set(e.userKey, (eventsPerUser.get(e.userKey) ?? 0) + 1);
const perUser = [];
for (const [key, lane] of lanes.users) {
  perUser.push(serializeUserLane(lane).length + (sessionBytes.get(key.slice(1)) ?? 0));
}
const stateBytesPerUser = median(perUser);
const stateBytesP99 = percentile(perUser, 0.99);
const medianEventsPerUser = median([...eventsPerUser.values()]);

// A heavy shopper: 10,000 events in 24 h, one session (a bot-like worst case), all kept.
const heavyEvents = [...eventStream(10_000, 1)].map((e, i) => ({
  ...e,
  eventTimeMs: Date.UTC(2026, 2, 2, 0, 0, 0) + Math.floor((i / 10_000) * 86_400_000),
  sessionKey: 'heavy',
  products: e.products.length ? [{ ...e.products[0], id: `h${i}` }] : [],
}));
const heavy = createFeatureEngine();
for (const e of heavyEvents) heavy.apply(e);
heavy.prune(heavyEvents[heavyEvents.length - 1].eventTimeMs); // what a writer holds at the end of that day
const heavyBytes = serializeUserLane(heavy.userLanes.get('u0')) + serializeSessionLane(heavy.sessionLanes.get('heavy'));
const heavyStateBytes = heavyBytes.length;

// Decoding: enriched TSV lines per second (the server's input format), for context.
// A product view with its product and session entities, as every other benchmark event is written.
const tsv = toEnrichedTsv([...eventStream(100, 1)].find((e) => e.type === 'product_view'));
if (!fromEnrichedTsv(tsv).ok)
  throw new Error(`benchmark TSV line does not decode: ${JSON.stringify(fromEnrichedTsv(tsv))}`);
const decodeRates = [];
for (let r = 0; r < REPEATS; r++) {
  const n = QUICK ? 50_000 : 200_000;
  const run = timeIt(() => {
    let ok = 0;
    for (let i = 0; i < n; i++) if (fromEnrichedTsv(tsv).ok) ok++;
    return ok;
  });
  decodeRates.push(n / (run.ms / 1000));
}
const tsvDecodesPerSec = median(decodeRates);

// Browser bundle sizes (minified, gzip -9), from what a worker imports by name, so tree shaking
// applies as in a real app build. T7 names engine + definitions + tracker-payload adapter.
async function bundleBytes(imports, entry = 'index.ts') {
  const out = await build({
    stdin: {
      contents:
        imports === '*' ? `export * from './src/${entry}';` : `export { ${imports.join(', ')} } from './src/${entry}';`,
      resolveDir: join(here, '..'),
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  return { raw: code.length, gzip: gzipSync(code, { level: 9 }).length };
}
const workerCoreImports = [
  'createFeatureEngine',
  'fromTrackerPayload',
  'evaluateUserLane',
  'evaluateSessionLane',
  'nextUserChangeAtMs',
  'isSessionClosed',
];
const browser = await bundleBytes(workerCoreImports);
const withRules = await bundleBytes([...workerCoreImports, 'stepOffers', 'OFFER_RULES', 'joinFeatureValues']);
const wholeEntry = await bundleBytes('*');
const server = await bundleBytes('*', 'enriched.ts');

const figures = {
  eventsPerSec: Math.round(eventsPerSec),
  baselineEventsPerSec: Math.round(baselinePerSec),
  engineToBaselineRatio: Number((eventsPerSec / baselinePerSec).toFixed(3)),
  evaluationsPerSec: Math.round(evaluationsPerSec),
  tsvDecodesPerSec: Math.round(tsvDecodesPerSec),
  stateBytesPerUser: Math.round(stateBytesPerUser),
  stateBytesPerUserP99: Math.round(stateBytesP99),
  medianEventsPerUser,
  heavyUserStateBytes: heavyStateBytes,
  bundleBytes: browser.raw,
  bundleGzipBytes: browser.gzip,
  bundleWithRulesGzipBytes: withRules.gzip,
  wholeBrowserEntryGzipBytes: wholeEntry.gzip,
  enrichedAdapterGzipBytes: server.gzip,
  events: EVENTS,
  users: USERS,
  repeats: REPEATS,
  quick: QUICK,
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  date: new Date().toISOString(),
};

console.log('');
console.log(`compute (T1, target >= 500,000):  ${fmt(eventsPerSec)} events/s median, all lanes and windows, one core`);
console.log(
  `  baseline (Map counter):         ${fmt(baselinePerSec)} events/s; engine/baseline = ${figures.engineToBaselineRatio}`,
);
console.log(`evaluation:                       ${fmt(evaluationsPerSec)} lane evaluations/s (every feature of a lane)`);
console.log(`enriched TSV decode:              ${fmt(tsvDecodesPerSec)} lines/s`);
console.log(
  `state (T8, target <= 20,000 B):   ${fmt(stateBytesPerUser)} B median per shopper (${medianEventsPerUser} events), p99 ${fmt(stateBytesP99)} B`,
);
console.log(`  heavy shopper, 10,000 events in 24 h: ${fmt(heavyStateBytes)} B`);
console.log(
  `worker bundle (T7, target <= 10,240 B gzip): ${fmt(browser.gzip)} B gzipped, ${fmt(browser.raw)} B minified`,
);
console.log('  (engine + definitions + tracker-payload adapter)');
console.log(`  + offer rules:                             ${fmt(withRules.gzip)} B gzipped`);
console.log(`  whole browser entry (+ wire format, ...):  ${fmt(wholeEntry.gzip)} B gzipped`);
console.log(`  enriched/Snowbridge adapters (server only): ${fmt(server.gzip)} B gzipped`);

if (!QUICK) {
  const file = join(repoRoot, 'docs', 'benchmarks', 'feature-core.json');
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`results written to ${file}`);
}
console.log(JSON.stringify(figures));
