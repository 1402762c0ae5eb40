/**
 * Which user keys each recent session was seen under, from the enriched stream: a session whose
 * events carry two user keys had an identity change (a sign-in moves later events to the user_id's
 * lane). Bounded: the oldest sessions are forgotten first.
 */
import type { EnrichedIdentity } from '@tandem/feature-core/enriched';

export interface IdentityMemory {
  note(identity: EnrichedIdentity): void;
  /** Whether the session was seen under more than one user key. */
  changed(sessionKey: string): boolean;
  readonly size: number;
}

export function createIdentityMemory(capacity = 200_000): IdentityMemory {
  /** Session key → its user keys (at most two kept: two is all "changed" needs). Insertion order = age. */
  const sessions = new Map<string, string[]>();
  return {
    note({ userKey, sessionKey }) {
      if (userKey === null || sessionKey === null) return;
      const keys = sessions.get(sessionKey);
      if (keys === undefined) {
        sessions.set(sessionKey, [userKey]);
        if (sessions.size > capacity) sessions.delete(sessions.keys().next().value as string);
      } else if (keys.length < 2 && !keys.includes(userKey)) {
        keys.push(userKey);
      }
    },
    changed: (sessionKey) => (sessions.get(sessionKey)?.length ?? 0) > 1,
    get size() {
      return sessions.size;
    },
  };
}
