/**
 * The shopper's feature state as the worker holds it: a feature-core engine fed with tracker payloads,
 * the shopper's current user and session lanes evaluated at "now", and the offer state stepped on
 * every event and every tick. Pure: no DOM, no worker, no storage; the clock is passed in.
 */
import {
  BOT_FEATURES,
  type BotReason,
  botReason,
  clientDigest,
  createFeatureEngine,
  definitionVersion,
  deserializeSessionLane,
  deserializeUserLane,
  type EngineConfig,
  evaluateSessionLane,
  evaluateUserLane,
  type FeatureDigest,
  type FeatureEngine,
  fromTrackerPayload,
  INITIAL_OFFER_STATE,
  joinFeatureValues,
  latestUserLaneEvent,
  OFFER_RULES,
  type OfferRule,
  type OfferState,
  type RejectReason,
  ruleFeatures,
  serializeSessionLane,
  serializeUserLane,
  stepOffers,
} from '@tandem/feature-core';
import type { SentPayload } from '../tracking/feed-plugin.js';
import { STORE_ENGINE_CONFIG } from './engine-config.js';

/** An offer that fired in the current session and was not dismissed. */
export interface ActiveOffer {
  readonly ruleId: string;
  readonly offer: OfferRule['offer'];
  readonly description: string;
  readonly sessionKey: string;
  /** When the rule turned true (epoch ms): an event's time, or a tick's for time-based rules. */
  readonly firedAtMs: number;
  /**
   * The shopper's latest user-lane event when it fired: the "rule R fired at event E" of a redemption
   * claim (redeemable rules read only user-lane features, so the state right after E is what they saw).
   */
  readonly eventId: string | null;
}

/** What a tab sees: plain, structured-clonable data. */
export interface FeatureSnapshot {
  readonly definitionVersion: string;
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  /** Field (`product_view_count_5m`, `session_page_count`) → canonical value; empty values absent. */
  readonly values: Readonly<Record<string, string>>;
  readonly offerState: OfferState;
  /** Fired in this session, not dismissed, in firing order. */
  readonly offers: readonly ActiveOffer[];
  readonly dismissed: readonly string[];
  /** Events applied (duplicates not counted) since the state was created or restored from scratch. */
  readonly eventCount: number;
  readonly lastEventId: string | null;
  readonly evaluatedAtMs: number;
  /** When the state last rebased on the server's snapshot (epoch ms); null if never. */
  readonly rebasedAtMs: number | null;
  /** Why the shopper counts as a bot (feature-core `botReason`): then no offer is shown; null otherwise. */
  readonly bot?: BotReason | null;
}

/** The server's authoritative state of this shopper (`GET /api/features/state`). */
export interface ServerLanes {
  readonly definitionVersion: string | null;
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  /** Lanes in feature-core's wire format; null when the server has none. */
  readonly user: string | null;
  readonly session: string | null;
  /** When the server erased this shopper (epoch ms); null or absent when never. */
  readonly erasedAtMs?: number | null;
}

export type RebaseOutcome =
  | { readonly rebased: true; readonly reapplied: number }
  | { readonly rebased: false; readonly reason: string };

export type IngestResult =
  | { readonly ok: true; readonly applied: boolean; readonly fired: readonly ActiveOffer[] }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Persisted schema of `PersistedFeatures` itself (the lanes carry feature-core's wire version). */
export const PERSISTED_SCHEMA_VERSION = 1;

/** The state in storage: lanes in feature-core's wire format, offers, and the shopper's recent events. */
export interface PersistedFeatures {
  readonly schema: number;
  readonly definitionVersion: string;
  readonly savedAtMs: number;
  readonly userLanes: readonly string[];
  readonly sessionLanes: readonly string[];
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  readonly latestEventTimeMs: number;
  readonly offerState: OfferState;
  readonly offers: readonly ActiveOffer[];
  readonly dismissed: readonly string[];
  readonly eventCount: number;
  readonly lastEventId: string | null;
  /** Newest last; kept for the rebase on the server's snapshot (re-applied after its position). */
  readonly recentEvents: readonly SentPayload[];
  /** When this state was started (epoch ms): an erasure after it means the state must go. Absent in older records. */
  readonly startedAtMs?: number;
}

export interface FeatureStateOptions {
  readonly now: () => number;
  /** How many recent payloads to keep for the rebase. */
  readonly maxRecentEvents?: number;
  readonly rules?: readonly OfferRule[];
  /** Engine settings (base currency); default the shop's, STORE_ENGINE_CONFIG. */
  readonly config?: EngineConfig;
  /** The browser's user agent, for bot filtering; default `navigator.userAgent` where there is one. */
  readonly userAgent?: string | null;
}

export interface FeatureState {
  /** Decodes and applies one tracker payload, then evaluates and steps the offers at now. */
  ingest(payload: SentPayload): IngestResult;
  /** Re-evaluates at now (windows shrink, idle times grow); true when values or offers changed. */
  tick(): boolean;
  /** Hides an offer for the rest of the session; true when it changed anything. */
  dismiss(ruleId: string): boolean;
  /**
   * The user agent of the tab that talks to this state (a shared worker's own `navigator.userAgent`
   * is the browser's default, not an agent a tab or automation set): re-evaluates the bot decision;
   * true when the snapshot changed.
   */
  setUserAgent(agent: string | null): boolean;
  snapshot(): FeatureSnapshot;
  recentEvents(): readonly SentPayload[];
  toPersisted(): PersistedFeatures;
  /**
   * The digest of the current user and session lanes at now, for reconciliation (feature-core
   * `clientDigest`: the events they cover, from their seen-event logs, and the compared values); null
   * without lanes, or when it would repeat the last digest taken (same events, same values).
   */
  takeDigest(): FeatureDigest | null;
  /** Replaces the state with a persisted one of the current definition version. Throws on bad lanes. */
  restore(persisted: PersistedFeatures): void;
  /** Frees tiles and lanes no evaluation at or after now needs. */
  prune(): void;
  /**
   * Rebases on the server's lanes: they replace the browser's lanes of the same keys, then the
   * browser's recent events are applied again (those the server has are duplicates, applied once),
   * the way a game client reconciles with its server. Other lanes stay as they are.
   */
  rebase(server: ServerLanes): RebaseOutcome;
  /**
   * Erasure (docs/decisions/0008-erasure.md): when the state was started at or before `erasedAtMs`,
   * forgets everything (lanes, offers, recent events) and starts empty, as of after the erasure;
   * true when it did. A state started after the erasure holds only the shopper's new visit.
   */
  forgetIfErased(erasedAtMs: number): boolean;
}

export function createFeatureState(options: FeatureStateOptions): FeatureState {
  const { now } = options;
  const rules = options.rules ?? OFFER_RULES;
  const maxRecent = options.maxRecentEvents ?? 1_000;
  // The bot decision reads its fields on every event too: a bot must never see an offer fire.
  const ruleFields = new Set([...ruleFeatures(rules), ...BOT_FEATURES]);
  let userAgent =
    options.userAgent !== undefined
      ? options.userAgent
      : ((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? null);
  let bot: BotReason | null = null;
  const config = options.config ?? STORE_ENGINE_CONFIG;
  const version = definitionVersion(config);
  let engine: FeatureEngine = createFeatureEngine(config);
  let userKey: string | null = null;
  let sessionKey: string | null = null;
  let latestEventTimeMs = Number.NEGATIVE_INFINITY;
  let offerState: OfferState = INITIAL_OFFER_STATE;
  let offers: ActiveOffer[] = [];
  let dismissed: string[] = [];
  let eventCount = 0;
  let lastEventId: string | null = null;
  let recent: SentPayload[] = [];
  /** Every value at `evaluatedAtMs`; null when only the rules' fields were evaluated since (see `evaluate`). */
  let values: Record<string, string> | null = {};
  /** What `tick` compares against; computed lazily so the per-event path does not pay for it. */
  let valuesSignature: string | null = '';
  let evaluatedAtMs = 0;
  let rebasedAtMs: number | null = null;
  /** Events and values of the last digest taken, so an unchanged state is not reported twice. */
  let lastDigest = '';
  let startedAtMs = now();

  /** The current lanes' values at `atMs`: every field, or only those in `only`. */
  function laneValues(atMs: number, only?: ReadonlySet<string>): Map<string, string> {
    const userLane = userKey === null ? undefined : engine.userLanes.get(userKey);
    const sessionLane = sessionKey === null ? undefined : engine.sessionLanes.get(sessionKey);
    return joinFeatureValues(
      userLane === undefined ? new Map() : evaluateUserLane(userLane, atMs, only).values,
      sessionLane === undefined ? new Map() : evaluateSessionLane(sessionLane, atMs, only).values,
    );
  }

  /** Every value at `evaluatedAtMs`, built on first need after an event (once per snapshot, not per event). */
  function currentValues(): Record<string, string> {
    values ??= Object.fromEntries(laneValues(evaluatedAtMs));
    return values;
  }

  /**
   * Evaluates the current lanes and steps the offers; returns the offers that fired. Per event only
   * the fields the rules read are evaluated (`full` false): the offer decision cannot wait, the rest
   * of the values are built when a snapshot is taken.
   */
  function evaluate(atMs: number, full = true): ActiveOffer[] {
    const joined = full ? laneValues(atMs) : laneValues(atMs, ruleFields);
    values = full ? Object.fromEntries(joined) : null;
    evaluatedAtMs = atMs;
    if (sessionKey === null) return [];
    if (offerState.sessionKey !== sessionKey) {
      offers = [];
      dismissed = [];
    }
    // Bots get no offers (feature-core bots.ts, the same decision the server's redemption takes).
    bot = botReason(joined, userAgent);
    if (bot !== null) {
      offers = [];
      return [];
    }
    const step = stepOffers(offerState, sessionKey, joined, atMs, rules);
    offerState = step.state;
    const claimed = userKey === null ? undefined : engine.userLanes.get(userKey);
    const claimEvent = claimed === undefined ? null : latestUserLaneEvent(claimed);
    const fired = step.fired.map(
      (firing): ActiveOffer => ({
        ruleId: firing.ruleId,
        offer: firing.offer,
        description: rules.find((rule) => rule.id === firing.ruleId)?.description ?? '',
        sessionKey: firing.sessionKey,
        firedAtMs: firing.atMs,
        eventId: claimEvent?.eventId ?? null,
      }),
    );
    offers.push(...fired);
    return fired;
  }

  function signature(): string {
    return `${JSON.stringify(currentValues())}|${offerState.holding.join(',')}|${offers.length}`;
  }

  return {
    ingest(payload) {
      const decoded = fromTrackerPayload(payload);
      if (!decoded.ok) return { ok: false, reason: decoded.reason, detail: decoded.detail };
      const event = decoded.value;
      // The page's own digest (fed back by the tracker's sink) says nothing about the shopper: no lane
      // applies it, and it must not become the snapshot's latest event either.
      if (event.type === 'feature_digest') return { ok: true, applied: false, fired: [] };
      const outcome = engine.apply(event);
      const applied = outcome.user === 'applied' || outcome.session === 'applied';
      if (applied) {
        eventCount++;
        recent.push(payload);
        if (recent.length > maxRecent) recent = recent.slice(-maxRecent);
      }
      // The shopper's current identity is that of their latest event (sign-in moves the user key).
      if (event.eventTimeMs >= latestEventTimeMs) {
        latestEventTimeMs = event.eventTimeMs;
        userKey = event.userKey;
        if (event.sessionKey !== null) sessionKey = event.sessionKey;
        lastEventId = event.eventId;
      }
      const fired = evaluate(Math.max(now(), event.eventTimeMs), false);
      valuesSignature = null;
      return { ok: true, applied, fired };
    },
    tick() {
      valuesSignature ??= signature();
      const fired = evaluate(Math.max(now(), evaluatedAtMs));
      const next = signature();
      const changed = fired.length > 0 || next !== valuesSignature;
      valuesSignature = next;
      return changed;
    },
    setUserAgent(agent) {
      if (agent === userAgent) return false;
      userAgent = agent;
      const before = { bot, offers };
      evaluate(Math.max(now(), evaluatedAtMs));
      return bot !== before.bot || offers !== before.offers;
    },
    dismiss(ruleId) {
      if (dismissed.includes(ruleId) || !offers.some((offer) => offer.ruleId === ruleId)) return false;
      dismissed = [...dismissed, ruleId];
      return true;
    },
    snapshot() {
      return {
        definitionVersion: version,
        userKey,
        sessionKey,
        values: currentValues(),
        offerState,
        offers: offers.filter((offer) => !dismissed.includes(offer.ruleId)),
        dismissed,
        eventCount,
        lastEventId,
        evaluatedAtMs,
        rebasedAtMs,
        bot,
      };
    },
    recentEvents: () => recent,
    takeDigest() {
      if (userKey === null || sessionKey === null) return null;
      const digest = clientDigest({
        definitionVersion: version,
        userKey,
        sessionKey,
        user: engine.userLanes.get(userKey),
        session: engine.sessionLanes.get(sessionKey),
        atMs: now(),
      });
      if (digest === null) return null;
      const signature = `${digest.e} ${digest.n} ${digest.h} ${digest.x}`;
      if (signature === lastDigest) return null;
      lastDigest = signature;
      return digest;
    },
    toPersisted() {
      return {
        schema: PERSISTED_SCHEMA_VERSION,
        definitionVersion: version,
        savedAtMs: now(),
        userLanes: [...engine.userLanes.values()].map((lane) => serializeUserLane(lane, config)),
        sessionLanes: [...engine.sessionLanes.values()].map((lane) => serializeSessionLane(lane, config)),
        userKey,
        sessionKey,
        latestEventTimeMs,
        offerState,
        offers,
        dismissed,
        eventCount,
        lastEventId,
        recentEvents: recent,
        startedAtMs,
      };
    },
    restore(persisted) {
      const next = createFeatureEngine(config);
      for (const text of persisted.userLanes) {
        const lane = deserializeUserLane(text, config);
        if (!lane.ok) throw new Error(`persisted user lane: ${lane.detail}`);
        next.restoreUserLane(lane.value);
      }
      for (const text of persisted.sessionLanes) {
        const lane = deserializeSessionLane(text, config);
        if (!lane.ok) throw new Error(`persisted session lane: ${lane.detail}`);
        next.restoreSessionLane(lane.value);
      }
      engine = next;
      userKey = persisted.userKey;
      sessionKey = persisted.sessionKey;
      latestEventTimeMs = persisted.latestEventTimeMs;
      offerState = persisted.offerState;
      offers = [...persisted.offers];
      dismissed = [...persisted.dismissed];
      eventCount = persisted.eventCount;
      lastEventId = persisted.lastEventId;
      recent = [...persisted.recentEvents];
      // A record from before this field existed was started before any erasure could be told.
      startedAtMs = persisted.startedAtMs ?? 0;
      evaluate(now());
      valuesSignature = signature();
    },
    prune() {
      engine.prune(now());
    },
    forgetIfErased(erasedAtMs) {
      if (startedAtMs > erasedAtMs) return false;
      engine = createFeatureEngine(config);
      userKey = null;
      sessionKey = null;
      latestEventTimeMs = Number.NEGATIVE_INFINITY;
      offerState = INITIAL_OFFER_STATE;
      offers = [];
      dismissed = [];
      eventCount = 0;
      lastEventId = null;
      recent = [];
      lastDigest = '';
      rebasedAtMs = null;
      // After the erasure even on a device clock behind the server's, so the next rebase keeps it.
      startedAtMs = Math.max(now(), erasedAtMs + 1);
      evaluate(now());
      valuesSignature = null;
      return true;
    },
    rebase(server) {
      if (server.definitionVersion !== version)
        return {
          rebased: false,
          reason: `server definition ${server.definitionVersion ?? 'unknown'}, browser ${version}`,
        };
      // The server answers for the identity of the request's cookies, which is this browser's.
      if (userKey !== null && server.userKey !== userKey) return { rebased: false, reason: 'another user key' };
      const userLane = server.user === null ? null : deserializeUserLane(server.user, config);
      const sessionLane = server.session === null ? null : deserializeSessionLane(server.session, config);
      if (userLane?.ok === false) return { rebased: false, reason: `server user lane: ${userLane.detail}` };
      if (sessionLane?.ok === false) return { rebased: false, reason: `server session lane: ${sessionLane.detail}` };
      if (userLane === null && sessionLane === null) return { rebased: false, reason: 'the server has no state yet' };
      const next = createFeatureEngine(config);
      for (const lane of engine.userLanes.values())
        if (userLane?.value.userKey !== lane.userKey) next.restoreUserLane(lane);
      for (const lane of engine.sessionLanes.values())
        if (sessionLane?.value.sessionKey !== lane.sessionKey) next.restoreSessionLane(lane);
      if (userLane) next.restoreUserLane(userLane.value);
      if (sessionLane) next.restoreSessionLane(sessionLane.value);
      let reapplied = 0;
      for (const payload of recent) {
        const decoded = fromTrackerPayload(payload);
        if (!decoded.ok) continue;
        const outcome = next.apply(decoded.value);
        if (outcome.user === 'applied' || outcome.session === 'applied') reapplied++;
      }
      engine = next;
      if (userKey === null) {
        userKey = server.userKey;
        sessionKey = server.sessionKey;
      }
      rebasedAtMs = now();
      evaluate(Math.max(now(), evaluatedAtMs));
      valuesSignature = null;
      return { rebased: true, reapplied };
    },
  };
}
