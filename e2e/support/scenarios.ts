/**
 * What the shopping scenarios (e2e/scenarios-return-tabs-offline.spec.ts) read behind the page: the
 * feature worker through the store's diagnostics hook (`globalThis.tandem.features`), the entities of
 * the tracker's events (client session, tab), the tracker's unsent queue in local storage, the
 * collector requests that were delivered, when the aggregator's keys expire in Redis, and the
 * aggregator's counters.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { FEATURE_DEFINITIONS, rollingField } from '@tandem/feature-core';
import { Redis } from 'ioredis';
import type { E2eStack } from './stack.js';

/** One tracker event as sent: every value a string. */
export type Payload = Readonly<Record<string, string>>;

/** The worker's state as a tab sees it. */
export interface WorkerView {
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  readonly values: Record<string, string>;
  readonly eventCount: number;
  readonly lastEventId: string | null;
  /** Rule ids of the offers showing (fired this session, not dismissed). */
  readonly offers: string[];
  /** Tabs connected to the worker. */
  readonly ports: number;
  /** The shopper's events the worker applied, oldest first. */
  readonly events: Payload[];
}

/** The worker's state now, through the diagnostics hook; null until the page started it. */
export function readWorker(page: Page): Promise<WorkerView | null> {
  return page.evaluate(async () => {
    interface Client {
      snapshot(): Promise<{
        userKey: string | null;
        sessionKey: string | null;
        values: Record<string, string>;
        eventCount: number;
        lastEventId: string | null;
        offers: readonly { ruleId: string }[];
      }>;
      recentEvents(): Promise<readonly Record<string, string>[]>;
      portCount(): Promise<number>;
    }
    const tandem = (globalThis as { tandem?: { features: Client } }).tandem;
    if (tandem === undefined) return null;
    const [snapshot, recent, ports] = await Promise.all([
      tandem.features.snapshot(),
      tandem.features.recentEvents(),
      tandem.features.portCount(),
    ]);
    return {
      userKey: snapshot.userKey,
      sessionKey: snapshot.sessionKey,
      values: { ...snapshot.values },
      eventCount: snapshot.eventCount,
      lastEventId: snapshot.lastEventId,
      offers: snapshot.offers.map((offer) => offer.ruleId),
      ports,
      events: recent.map((payload) => ({ ...payload })),
    };
  });
}

/** The worker's state, once the page started it. */
export async function worker(page: Page): Promise<WorkerView> {
  const view = await readWorker(page);
  if (view === null) throw new Error('no feature worker on this page (globalThis.tandem): is tracking on?');
  return view;
}

interface Entity {
  readonly schema: string;
  readonly data: Record<string, unknown>;
}

/** A payload's JSON field, plain (`plain`) or base64url (`encoded`), the tracker's two encodings. */
function jsonOf(payload: Payload, plain: string, encoded: string): unknown {
  const text = payload[plain] ?? (payload[encoded] === undefined ? undefined : decode(payload[encoded]));
  return text === undefined ? undefined : JSON.parse(text);
}

function decode(base64url: string): string {
  return Buffer.from(base64url.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

/** The entities (contexts) a tracker event carries. */
export function entitiesOf(payload: Payload): Entity[] {
  const envelope = jsonOf(payload, 'co', 'cx') as { data?: Entity[] } | undefined;
  return envelope?.data ?? [];
}

/** The `client_session` entity of an event: the tracker's own session bookkeeping. */
export interface ClientSession {
  readonly sessionId: string;
  readonly previousSessionId: string | null;
  readonly sessionIndex: number;
  readonly eventIndex: number;
}

export function clientSessionOf(payload: Payload): ClientSession | null {
  const entity = entitiesOf(payload).find((e) => e.schema.includes('/client_session/'));
  return entity === undefined ? null : (entity.data as unknown as ClientSession);
}

/** The tab id of the browser entity: one per browser tab. */
export function tabIdOf(payload: Payload): string | null {
  const entity = entitiesOf(payload).find((e) => e.schema.includes('/browser_context/'));
  const tabId = entity?.data.tabId;
  return typeof tabId === 'string' ? tabId : null;
}

/** Whether an event is the page's feature digest (its own self-describing event). */
export function isDigest(payload: Payload): boolean {
  if (payload.e !== 'ue') return false;
  return JSON.stringify(jsonOf(payload, 'ue_pr', 'ue_px') ?? '').includes('com.tandem/feature_digest/');
}

/** The event time both sides window on: the true timestamp the store's tracker plugin sets. */
export function eventTimeOf(payload: Payload): number {
  return Number(payload.ttm ?? payload.dtm);
}

/**
 * The tracker's unsent events: its out queue in local storage (`snowplowOutQueue_<tracker>`), which a
 * failed request leaves in place for the next attempt (the next event, or the next page load).
 */
export function trackerQueue(page: Page): Promise<Payload[]> {
  return page.evaluate(() => {
    const out: Record<string, string>[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key === null || !key.startsWith('snowplowOutQueue_')) continue;
      const stored = JSON.parse(localStorage.getItem(key) ?? '[]') as { payload: Record<string, unknown> }[];
      for (const item of stored) {
        const payload: Record<string, string> = {};
        for (const [name, value] of Object.entries(item.payload)) if (value != null) payload[name] = String(value);
        out.push(payload);
      }
    }
    return out;
  });
}

/** The collector path the tracker posts to (through the store's first-party proxy /t). */
export const COLLECTOR_POST = /\/t\/com\.snowplowanalytics\.snowplow\/tp2/;

/**
 * Collector requests of every page of `context`: the events the collector accepted (answered 200),
 * in order, and how many requests failed (blocked or lost).
 */
export function watchCollector(context: BrowserContext): { delivered(): Payload[]; failed(): number } {
  const delivered: Payload[] = [];
  let failed = 0;
  context.on('response', (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || !COLLECTOR_POST.test(request.url()) || response.status() !== 200) return;
    const body = request.postDataJSON() as { data?: Payload[] } | null;
    delivered.push(...(body?.data ?? []));
  });
  context.on('requestfailed', (request) => {
    if (request.method() === 'POST' && COLLECTOR_POST.test(request.url())) failed++;
  });
  return { delivered: () => [...delivered], failed: () => failed };
}

/**
 * When the aggregator's keys expire, epoch ms (PEXPIRETIME: -1 without expiry, -2 when the key does
 * not exist). Their values are read through scenarioKeys() (./scenario-redis.ts), which keeps the
 * scenarios' key registry true.
 */
export function keyExpiry(stack: E2eStack): { atMs(key: string): Promise<number>; close(): void } {
  const redis = new Redis(stack.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  return {
    atMs: async (key) => Number(await redis.call('PEXPIRETIME', key)),
    close: () => redis.disconnect(),
  };
}

/** A counter's value on the aggregator's /metrics (summed over its labels; 0 before it counted). */
export async function counterValue(stack: E2eStack, name: string): Promise<number> {
  const text = await (await fetch(`${stack.aggregatorMetricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

/** Fields browser and server compute alike (`compared`), split by the hash that holds them. */
export const COMPARED = {
  user: FEATURE_DEFINITIONS.flatMap((def) =>
    !def.compared
      ? []
      : def.lane === 'user'
        ? def.windows.map((window) => rollingField(def.name, window))
        : def.lane === 'user-unwindowed'
          ? [def.name]
          : [],
  ),
  session: FEATURE_DEFINITIONS.flatMap((def) => (def.compared && def.lane === 'session' ? [def.name] : [])),
};

/** `values` restricted to `fields`, absent ones left out. */
export function pick(values: Readonly<Record<string, string>>, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) if (values[field] !== undefined) out[field] = values[field];
  return out;
}
