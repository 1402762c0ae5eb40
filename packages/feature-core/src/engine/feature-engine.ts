/**
 * A feature engine for many shoppers: routes each event to its user lane (by user key) and its
 * session lane (by session key), and evaluates them. The browser worker runs one of these for its
 * shopper; the server partitions lanes across consumers and may use the lane functions directly.
 */
import type { ShopperEvent } from '../event.js';
import { sessionFeatureKey, userFeatureKey } from '../keys.js';
import { DEFAULT_CONFIG, type EngineConfig } from './config.js';
import { evaluateSessionLane, evaluateUserLane, type LaneValues } from './evaluate.js';
import { applyToSessionLane, createSessionLane, type SessionLane } from './session-lane.js';
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
  /** The user lanes and session lanes, by key (live objects). */
  readonly userLanes: ReadonlyMap<string, UserLane>;
  readonly sessionLanes: ReadonlyMap<string, SessionLane>;
  evaluateUser(userKey: string, atMs: number): LaneValues | null;
  evaluateSession(sessionKey: string, atMs: number): LaneValues | null;
  /** Every non-empty Redis string key and its canonical value, as of `atMs`. */
  keyValuesAt(atMs: number): Record<string, string>;
  /** Frees tiles no evaluation at or after `nowMs` needs; drops user lanes left empty. */
  prune(nowMs: number): void;
}

export function createFeatureEngine(config: EngineConfig = DEFAULT_CONFIG): FeatureEngine {
  const userLanes = new Map<string, UserLane>();
  const sessionLanes = new Map<string, SessionLane>();
  return {
    config,
    userLanes,
    sessionLanes,
    apply(event) {
      let user = userLanes.get(event.userKey);
      if (user === undefined) {
        user = createUserLane(event.userKey);
        userLanes.set(event.userKey, user);
      }
      const userOutcome = applyToUserLane(user, event, config);
      if (event.sessionKey === null) return { user: userOutcome, session: 'ignored' };
      let session = sessionLanes.get(event.sessionKey);
      if (session === undefined) {
        session = createSessionLane(event.sessionKey);
        sessionLanes.set(event.sessionKey, session);
      }
      return { user: userOutcome, session: applyToSessionLane(session, event) };
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
      for (const [userKey, lane] of userLanes) if (pruneUserLane(lane, nowMs)) userLanes.delete(userKey);
    },
  };
}
