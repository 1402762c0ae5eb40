/**
 * A feature engine for many shoppers: routes each event to its user lane (by user key) and its
 * session lane (by session key), and evaluates them. The browser worker runs one of these for its
 * shopper; the server partitions lanes across consumers and may use the lane functions directly.
 */
import type { ShopperEvent } from '../event.js';
import { sessionFeatureKey, userFeatureKey } from '../keys.js';
import { DEFAULT_CONFIG, type EngineConfig } from './config.js';
import { evaluateSessionLane, evaluateUserLane, type LaneValues } from './evaluate.js';
import { applyToSessionLane, createSessionLane, type SessionLane, sessionExpiresAtMs } from './session-lane.js';
import { type ApplyOutcome, applyToUserLane, createUserLane, pruneUserLane, type UserLane } from './user-lane.js';

/** What applying one event did to each lane it reached. */
export interface EngineOutcome {
  readonly user: ApplyOutcome;
  /** `ignored` when the event has no session key. */
  readonly session: ApplyOutcome;
}

export interface FeatureEngine {
  readonly config: EngineConfig;
  /** Applies an event to its user and session lanes. Order-insensitive; duplicates count once. */
  apply(event: ShopperEvent): EngineOutcome;
  /** The user lanes and session lanes, by key (live objects: read them, do not replace them). */
  readonly userLanes: ReadonlyMap<string, UserLane>;
  readonly sessionLanes: ReadonlyMap<string, SessionLane>;
  /** Puts a lane restored from its wire format (a snapshot, the server's state to rebase on) in place. */
  restoreUserLane(lane: UserLane): void;
  restoreSessionLane(lane: SessionLane): void;
  evaluateUser(userKey: string, atMs: number): LaneValues | null;
  evaluateSession(sessionKey: string, atMs: number): LaneValues | null;
  /** Every non-empty Redis string key and its canonical value, as of `atMs`. */
  keyValuesAt(atMs: number): Record<string, string>;
  /**
   * Frees what no evaluation at or after `nowMs` needs: tiles that left every window, user lanes left
   * empty, and session lanes whose keys have expired (24 h after their last event). A closed session
   * stays until then, so a late event for it still finds its state; a writer that must free closed
   * sessions sooner snapshots them first (the aggregator does).
   */
  prune(nowMs: number): void;
}

/** A user lane and the session lane its latest event went to: most events stay in that session. */
interface Route {
  user: UserLane;
  session: SessionLane | null;
}

const APPLY_OUTCOMES: readonly ApplyOutcome[] = ['applied', 'duplicate', 'ignored', 'expired'];
/** Every (user, session) outcome pair, made once: `apply` allocates nothing for its answer. */
const OUTCOMES = new Map<string, EngineOutcome>(
  APPLY_OUTCOMES.flatMap((user) =>
    APPLY_OUTCOMES.map((session) => [`${user}/${session}`, Object.freeze({ user, session })]),
  ),
);
function outcome(user: ApplyOutcome, session: ApplyOutcome): EngineOutcome {
  return OUTCOMES.get(`${user}/${session}`) as EngineOutcome;
}

export function createFeatureEngine(config: EngineConfig = DEFAULT_CONFIG): FeatureEngine {
  const routes = new Map<string, Route>();
  const userLanes = new Map<string, UserLane>();
  const sessionLanes = new Map<string, SessionLane>();

  function sessionLaneFor(route: Route, sessionKey: string): SessionLane {
    if (route.session !== null && route.session.sessionKey === sessionKey) return route.session;
    let session = sessionLanes.get(sessionKey);
    if (session === undefined) {
      session = createSessionLane(sessionKey);
      sessionLanes.set(sessionKey, session);
    }
    route.session = session;
    return session;
  }

  return {
    config,
    userLanes,
    sessionLanes,
    apply(event) {
      let route = routes.get(event.userKey);
      if (route === undefined) {
        route = { user: createUserLane(event.userKey), session: null };
        routes.set(event.userKey, route);
        userLanes.set(event.userKey, route.user);
      }
      const userOutcome = applyToUserLane(route.user, event, config);
      if (event.sessionKey === null) return outcome(userOutcome, 'ignored');
      return outcome(userOutcome, applyToSessionLane(sessionLaneFor(route, event.sessionKey), event));
    },
    restoreUserLane(lane) {
      const route = routes.get(lane.userKey);
      if (route === undefined) routes.set(lane.userKey, { user: lane, session: null });
      else route.user = lane;
      userLanes.set(lane.userKey, lane);
    },
    restoreSessionLane(lane) {
      sessionLanes.set(lane.sessionKey, lane);
      for (const route of routes.values()) if (route.session?.sessionKey === lane.sessionKey) route.session = lane;
    },
    evaluateUser(userKey, atMs) {
      const lane = userLanes.get(userKey);
      return lane === undefined ? null : evaluateUserLane(lane, atMs);
    },
    evaluateSession(sessionKey, atMs) {
      const lane = sessionLanes.get(sessionKey);
      return lane === undefined ? null : evaluateSessionLane(lane, atMs);
    },
    keyValuesAt(atMs) {
      const out: Record<string, string> = {};
      for (const [userKey, lane] of userLanes) {
        for (const [field, value] of evaluateUserLane(lane, atMs).values) out[userFeatureKey(userKey, field)] = value;
      }
      for (const [sessionKey, lane] of sessionLanes) {
        for (const [field, value] of evaluateSessionLane(lane, atMs).values) {
          out[sessionFeatureKey(sessionKey, field)] = value;
        }
      }
      return out;
    },
    prune(nowMs) {
      for (const [userKey, lane] of userLanes) {
        if (pruneUserLane(lane, nowMs)) {
          userLanes.delete(userKey);
          routes.delete(userKey);
        }
      }
      for (const [sessionKey, lane] of sessionLanes) {
        if ((sessionExpiresAtMs(lane) ?? Number.NEGATIVE_INFINITY) <= nowMs) sessionLanes.delete(sessionKey);
      }
      for (const route of routes.values()) {
        if (route.session !== null && !sessionLanes.has(route.session.sessionKey)) route.session = null;
      }
    },
  };
}
