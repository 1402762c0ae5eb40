#!/usr/bin/env node
/**
 * Replays a short shopping journey through feature-core, as the browser worker would see it: real
 * Snowplow tracker payloads → `fromTrackerPayload` → engine → features and offers.
 *
 *   node packages/feature-core/examples/replay.mjs      (after `npm run build -w @tandem/feature-core`)
 */
import {
  createFeatureEngine,
  fromTrackerPayload,
  INITIAL_OFFER_STATE,
  joinFeatureValues,
  stepOffers,
} from '../dist/index.js';

if (process.argv.includes('--help')) {
  console.log(
    'usage: node examples/replay.mjs\nReplays a demo journey and prints the features and offers after each event.',
  );
  process.exit(0);
}

const start = Date.now() - 10 * 60_000;
const duid = 'b7c1e2d4-0a6f-4f5e-9c1d-2e3f4a5b6c7d';
const sid = '5f0c3a8e-7d21-4b9a-8e6f-1a2b3c4d5e6f';
let n = 0;

/** A tracker payload as `@snowplow/browser-tracker` v4 builds it (every value a string). */
function payload(offsetMs, e, unstruct, entities, url) {
  n += 1;
  const t = String(start + offsetMs);
  const contexts = [
    {
      schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
      data: {
        userId: duid,
        sessionId: sid,
        sessionIndex: 1,
        previousSessionId: null,
        storageMechanism: 'LOCAL_STORAGE',
        firstEventId: null,
        firstEventTimestamp: null,
        eventIndex: n,
      },
    },
    ...entities,
  ];
  return {
    e,
    eid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    dtm: t,
    ttm: t,
    p: 'web',
    duid,
    sid,
    url,
    ...(unstruct && {
      ue_pr: JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
        data: unstruct,
      }),
    }),
    co: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: contexts }),
  };
}
const ECOM = 'iglu:com.snowplowanalytics.snowplow.ecommerce';
const action = (type, name) => ({
  schema: `${ECOM}/snowplow_ecommerce_action/jsonschema/1-0-2`,
  data: { type, ...(name && { name }) },
});
const product = (id, category, price) => ({
  schema: `${ECOM}/product/jsonschema/1-0-0`,
  data: { id, category, price, currency: 'USD' },
});
const cart = (total) => ({ schema: `${ECOM}/cart/jsonschema/1-0-0`, data: { total_value: total, currency: 'USD' } });

const journey = [
  ['lands from a newsletter', payload(0, 'pv', null, [], 'https://shop.test/?utm_source=news&utm_campaign=spring')],
  [
    'views a list',
    payload(
      4_000,
      'ue',
      action('list_view', 'Top this week'),
      [product('sku-1', 'Shoes', 42.99)],
      'https://shop.test/',
    ),
  ],
  [
    'views shoes',
    payload(9_000, 'ue', action('product_view'), [product('sku-1', 'Shoes', 42.99)], 'https://shop.test/p/sku-1'),
  ],
  [
    'views boots',
    payload(15_000, 'ue', action('product_view'), [product('sku-2', 'Shoes', 189.99)], 'https://shop.test/p/sku-2'),
  ],
  [
    'views a bag',
    payload(22_000, 'ue', action('product_view'), [product('sku-3', 'Bags', 25)], 'https://shop.test/p/sku-3'),
  ],
  [
    'views a hat',
    payload(30_000, 'ue', action('product_view'), [product('sku-4', 'Hats', 19.99)], 'https://shop.test/p/sku-4'),
  ],
  [
    'adds boots to the cart',
    payload(
      41_000,
      'ue',
      action('add_to_cart'),
      [product('sku-2', 'Shoes', 189.99), cart(189.99)],
      'https://shop.test/p/sku-2',
    ),
  ],
];

const engine = createFeatureEngine();
let offers = INITIAL_OFFER_STATE;
const show = [
  'product_view_count_5m',
  'avg_viewed_price_5m',
  'price_range_viewed_5m',
  'top_category_5m',
  'cart_value_1h',
  'session_page_count',
];
for (const [what, raw] of journey) {
  const decoded = fromTrackerPayload(raw);
  if (!decoded.ok) throw new Error(`${what}: ${decoded.reason} (${decoded.detail})`);
  const event = decoded.value;
  engine.apply(event);
  const at = event.eventTimeMs;
  const values = joinFeatureValues(
    engine.evaluateUser(event.userKey, at).values,
    engine.evaluateSession(sid, at).values,
  );
  const step = stepOffers(offers, sid, values, at);
  offers = step.state;
  console.log(`\n${what}`);
  console.log(`  ${show.map((k) => `${k}=${values.get(k) ?? '-'}`).join('  ')}`);
  for (const fired of step.fired) console.log(`  → offer: ${fired.offer} (rule ${fired.ruleId})`);
}
// Two minutes later the stalled high-value cart fires the live-chat prompt, with no new event.
const later = start + 41_000 + 120_000;
const values = joinFeatureValues(engine.evaluateUser(duid, later).values, engine.evaluateSession(sid, later).values);
for (const fired of stepOffers(offers, sid, values, later).fired)
  console.log(`\n2 minutes idle\n  → offer: ${fired.offer} (rule ${fired.ruleId})`);
console.log('\nRedis keys the server would write now:');
for (const [key, value] of Object.entries(engine.keyValuesAt(later)).sort()) console.log(`  ${key} = ${value}`);
