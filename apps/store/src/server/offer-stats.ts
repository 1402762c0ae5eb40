/**
 * The offers experiment's counters in Redis (layout: offer-stats-model.ts `offerStatsKeys`), through
 * the store's `@upstash/redis` client. Each write is one Lua script, so a once-only mark and the
 * counter it moves are set together: a retried report or a second order never counts twice.
 *
 * The shopper is the browser (the tracker's domain_userid) and its tracker session, both from the
 * `_sp_id` cookie; the arm is derived here from the domain_userid, never taken from the request.
 */
import { createHash } from 'node:crypto';
import { type BotReason, type HoldoutArm, holdoutArm } from '@tandem/feature-core';
import type { Redis } from '@upstash/redis';
import { hashRecord } from './features-api';
import {
  type BotOutcome,
  type BrowserOfferEvent,
  botCountsFor,
  botMarkField,
  type CountOnce,
  countsFor,
  type HoldoutSettings,
  holdoutSettings,
  markField,
  OFFER_SESSION_TTL_MS,
  type OffersReport,
  offerStatsKeys,
  offersReport,
} from './offer-stats-model';
import { featuresRedis } from './redis-client';

export type OfferStatsRedis = Pick<Redis, 'eval' | 'hgetall'>;

/** A browser and its tracker session, from the `_sp_id` cookie. */
export interface OfferShopper {
  /** domain_userid: assigns the arm (it survives sign-in, so nobody changes arm mid-session). */
  readonly browserId: string;
  readonly sessionId: string;
}

/**
 * Sets each once-only mark (HSETNX) and, only when it was new, moves its counter. ARGV: the session
 * TTL in ms, the mark's value (the arm; for a bot, its reason), then mark/counter field pairs.
 * Returns 1/0 per pair (counted now or before).
 */
const COUNT_ONCE_SCRIPT = `
local counted = {}
for i = 3, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[2]) == 1 then
    redis.call('HINCRBY', KEYS[2], ARGV[i + 1], 1)
    counted[#counted + 1] = 1
  else
    counted[#counted + 1] = 0
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return counted`;

/**
 * An order: every rule the session qualified for (marks "<rule>|qualified" → arm, "*" included)
 * converts once, in the arm it qualified in. A session that qualified for nothing counts nothing.
 */
const CONVERT_SCRIPT = `
local fields = redis.call('HGETALL', KEYS[1])
local counted = 0
for i = 1, #fields, 2 do
  local rule = string.match(fields[i], '^(.*)|qualified$')
  if rule and redis.call('HSETNX', KEYS[1], rule .. '|converted', fields[i + 1]) == 1 then
    redis.call('HINCRBY', KEYS[2], rule .. '|' .. fields[i + 1] .. '|converted', 1)
    counted = counted + 1
  end
end
if #fields > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return counted`;

/** The session hash's shopper part: a hash, so Redis never holds the raw domain_userid. */
export function shopperTag(browserId: string): string {
  return createHash('sha256').update(`tandem-offers:${browserId}`).digest('hex').slice(0, 32);
}

export interface OfferStats {
  readonly holdout: HoldoutSettings;
  armOf(browserId: string): HoldoutArm;
  /** Counts `outcome` of `ruleId` (and what it implies) once for the session; true if it was new. */
  record(shopper: OfferShopper, ruleId: string, outcome: BrowserOfferEvent | 'redeemed'): Promise<boolean>;
  /**
   * Counts a bot `outcome` (and the bot session it implies) once for the session, under `reason`;
   * true if `outcome` was new for the session.
   */
  recordBot(shopper: OfferShopper, reason: BotReason, outcome: BotOutcome): Promise<boolean>;
  /** An order in the session: converts every rule it qualified for, once; the number counted. */
  recordConversion(shopper: OfferShopper): Promise<number>;
  read(): Promise<OffersReport>;
}

export function createOfferStats(redis: OfferStatsRedis, holdout: HoldoutSettings): OfferStats {
  const armOf = (browserId: string) => holdoutArm(browserId, holdout.share, holdout.salt);
  const sessionKey = (shopper: OfferShopper) =>
    offerStatsKeys.session(shopperTag(shopper.browserId), shopper.sessionId);
  /** Counts `counts` once for the session, marks set to `value`; whether the mark `reported` was new. */
  async function countOnce(
    shopper: OfferShopper,
    value: string,
    counts: readonly CountOnce[],
    reported: string,
  ): Promise<boolean> {
    const flags = await redis.eval<string[], unknown>(
      COUNT_ONCE_SCRIPT,
      [sessionKey(shopper), offerStatsKeys.counters],
      [String(OFFER_SESSION_TTL_MS), value, ...counts.flatMap(({ mark, counter }) => [mark, counter])],
    );
    const index = counts.findIndex(({ mark }) => mark === reported);
    return Array.isArray(flags) && Number(flags[index]) === 1;
  }
  return {
    holdout,
    armOf,
    async record(shopper, ruleId, outcome) {
      const arm = armOf(shopper.browserId);
      return countOnce(shopper, arm, countsFor(ruleId, arm, outcome), markField(ruleId, outcome));
    },
    async recordBot(shopper, reason, outcome) {
      return countOnce(shopper, reason, botCountsFor(reason, outcome), botMarkField(outcome));
    },
    async recordConversion(shopper) {
      const counted = await redis.eval<string[], unknown>(
        CONVERT_SCRIPT,
        [sessionKey(shopper), offerStatsKeys.counters],
        [String(OFFER_SESSION_TTL_MS)],
      );
      return Number(counted) || 0;
    },
    async read() {
      return offersReport(hashRecord(await redis.hgetall(offerStatsKeys.counters)), holdout);
    },
  };
}

let processHoldout: HoldoutSettings | undefined;

/** OFFER_HOLDOUT_SHARE / OFFER_HOLDOUT_SALT of this process, read once (a bad share is logged, the default kept). */
export function currentHoldout(): HoldoutSettings {
  if (processHoldout === undefined) {
    featuresRedis(); // loads .env.local first
    const { problem, ...settings } = holdoutSettings(process.env);
    if (problem !== null) console.warn(`[offers] ${problem}; using ${settings.share}`);
    processHoldout = settings;
  }
  return processHoldout;
}

let processStats: { stats: OfferStats | undefined } | undefined;

/** The process's counters; undefined without Redis (no UPSTASH_REDIS_REST_TOKEN). */
export function offerStats(): OfferStats | undefined {
  if (processStats === undefined) {
    const redis = featuresRedis();
    processStats = { stats: redis === undefined ? undefined : createOfferStats(redis, currentHoldout()) };
  }
  return processStats.stats;
}
