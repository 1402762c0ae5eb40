/**
 * The offers experiment's counters, as data (no IO): the holdout settings, the Redis key scheme under
 * `tandem:offers:`, which counters an outcome moves, and the roll-up of counters into the offers panel
 * of the drift dashboard (offer, redemption and conversion rates per arm, and the conversion uplift of
 * treatment over control with Newcombe's 95 % interval). offer-stats.ts does the Redis side.
 *
 * The unit is a qualified session: one browser (the tracker's domain_userid), one tracker session,
 * one rule. Every outcome counts at most once per unit, so reloads and retries never double count.
 *
 * Bots (feature-core bots.ts) are counted beside the experiment, per reason and never per arm: the
 * sessions the page or the server took for a bot, and the redemptions refused as a bot's, each once
 * per browser session.
 */
import {
  BOT_REASONS,
  type BotReason,
  DEFAULT_HOLDOUT_SALT,
  DEFAULT_HOLDOUT_SHARE,
  HOLDOUT_ARMS,
  type HoldoutArm,
  newcombeDifference,
  OFFER_RULES,
  parseHoldoutShare,
  wilsonInterval,
} from '@tandem/feature-core';

/** The holdout as the server applies it and the browser receives it (tracking config). */
export interface HoldoutSettings {
  /** Control share in [0, 1]; 0 = no holdout. */
  readonly share: number;
  /** Salt of the assignment hash (OFFER_HOLDOUT_SALT): a new salt is a new, independent split. */
  readonly salt: string;
}

/**
 * `OFFER_HOLDOUT_SHARE` (a fraction or a percentage, default 0.1, 0 disables) and `OFFER_HOLDOUT_SALT`.
 * A bad share keeps the default (10 %) rather than silently disabling the experiment, and says why in
 * `problem` for the caller to log.
 */
export function holdoutSettings(env: Readonly<Record<string, string | undefined>>): HoldoutSettings & {
  readonly problem: string | null;
} {
  const parsed = parseHoldoutShare(env.OFFER_HOLDOUT_SHARE);
  const salt = env.OFFER_HOLDOUT_SALT?.trim() || DEFAULT_HOLDOUT_SALT;
  return parsed.ok
    ? { share: parsed.share, salt, problem: null }
    : { share: DEFAULT_HOLDOUT_SHARE, salt, problem: `OFFER_HOLDOUT_SHARE: ${parsed.detail}` };
}

/** What the browser reports when a rule fires for it (`POST /api/offers/events`). */
export const BROWSER_OFFER_EVENTS = ['qualified', 'shown', 'dismissed'] as const;
export type BrowserOfferEvent = (typeof BROWSER_OFFER_EVENTS)[number];

/** Every counted outcome: the browser's reports, plus what the server sees itself. */
export const OFFER_OUTCOMES = [...BROWSER_OFFER_EVENTS, 'redeemed', 'converted'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

/** The rule id of the "any rule" row: a session counts once there, whichever rules it qualified for. */
export const ANY_RULE = '*';

/** Key prefix of everything the offers experiment writes. */
export const OFFER_STATS_PREFIX = 'tandem:offers:';

/** How long a session's once-only marks live: sessions end after 30 min idle, orders come within them. */
export const OFFER_SESSION_TTL_MS = 2 * 24 * 3_600_000;

/**
 * The Redis layout:
 * - `tandem:offers:counters`: one hash of every counter, field `<ruleId>|<arm>|<outcome>` → count
 *   (`<ruleId>` is `*` for "any rule"); never expires, a few dozen fields.
 *   The bot counters live in the same hash as `bot|<reason>|<botOutcome>` (`botCounterField`), so
 *   the panel reads everything in one HGETALL; `bot` is no rule id, and `countsFromHash` skips them.
 * - `tandem:offers:session:<shopper>:<sessionId>`: the session's once-only marks, field
 *   `<ruleId>|<outcome>` → the arm it was counted in, and `bot|<botOutcome>` → the bot reason it was
 *   counted under; `<shopper>` is a hash of the domain_userid (no raw id is stored); expires
 *   OFFER_SESSION_TTL_MS after its last write.
 */
export const offerStatsKeys = {
  counters: `${OFFER_STATS_PREFIX}counters`,
  session: (shopperTag: string, sessionId: string) => `${OFFER_STATS_PREFIX}session:${shopperTag}:${sessionId}`,
} as const;

/** A counter's field in the counters hash. */
export const counterField = (ruleId: string, arm: HoldoutArm, outcome: OfferOutcome) => `${ruleId}|${arm}|${outcome}`;

/** A once-only mark's field in a session hash. */
export const markField = (ruleId: string, outcome: OfferOutcome) => `${ruleId}|${outcome}`;

/** The rules a report may name: the shop's offer rules. */
export function isOfferRuleId(ruleId: unknown): ruleId is string {
  return typeof ruleId === 'string' && OFFER_RULES.some((rule) => rule.id === ruleId);
}

/**
 * Whether an outcome can happen in an arm at all: control shoppers are never shown an offer, so they
 * cannot see, dismiss or redeem one. A report of one is refused, not counted.
 */
export function isPossibleOutcome(arm: HoldoutArm, outcome: OfferOutcome): boolean {
  return arm === 'treatment' || outcome === 'qualified' || outcome === 'converted';
}

/**
 * The outcomes a report implies, in funnel order: an offer that was dismissed or redeemed was shown,
 * one that was shown qualified. Counting them together keeps the funnel consistent when an earlier
 * report was lost (a closed tab, a dropped request).
 */
export function impliedOutcomes(outcome: BrowserOfferEvent | 'redeemed'): readonly OfferOutcome[] {
  if (outcome === 'qualified') return ['qualified'];
  if (outcome === 'shown') return ['qualified', 'shown'];
  return ['qualified', 'shown', outcome];
}

/** A once-only mark and the counter it moves the first time it is set. */
export interface CountOnce {
  readonly mark: string;
  readonly counter: string;
}

/**
 * What reporting `outcome` of `ruleId` in `arm` counts, once per session: each implied outcome for
 * the rule itself and for the "any rule" row.
 */
export function countsFor(
  ruleId: string,
  arm: HoldoutArm,
  outcome: BrowserOfferEvent | 'redeemed',
): readonly CountOnce[] {
  return impliedOutcomes(outcome).flatMap((implied) =>
    [ruleId, ANY_RULE].map((id) => ({ mark: markField(id, implied), counter: counterField(id, arm, implied) })),
  );
}

/**
 * What is counted of a bot: `session`, a browser session taken for a bot (by the page's worker, which
 * then shows it no offer, or by the server refusing its redemption); `redeem_refused`, a session
 * whose redemption the server refused as a bot's (403 `bot_suspected`).
 */
export const BOT_OUTCOMES = ['session', 'redeem_refused'] as const;
export type BotOutcome = (typeof BOT_OUTCOMES)[number];

/** The "rule id" part of the bot counters and marks. */
export const BOT_PREFIX = 'bot';

/** A bot counter's field in the counters hash: `bot|<reason>|<outcome>`. */
export const botCounterField = (reason: BotReason, outcome: BotOutcome) => `${BOT_PREFIX}|${reason}|${outcome}`;

/** A bot's once-only mark in a session hash (its value is the reason it was counted under). */
export const botMarkField = (outcome: BotOutcome) => `${BOT_PREFIX}|${outcome}`;

/** Whether a value is one of feature-core's bot reasons. */
export function isBotReason(value: unknown): value is BotReason {
  return (BOT_REASONS as readonly unknown[]).includes(value);
}

/**
 * What a bot outcome counts, once per session: a refused redemption implies the session was a bot's
 * (the server saw it itself, whether or not the page reported it). The first reason a session is
 * counted under stays its reason.
 */
export function botCountsFor(reason: BotReason, outcome: BotOutcome): readonly CountOnce[] {
  const outcomes: readonly BotOutcome[] = outcome === 'session' ? ['session'] : ['session', outcome];
  return outcomes.map((implied) => ({ mark: botMarkField(implied), counter: botCounterField(reason, implied) }));
}

/** Bot counts of one reason. */
export type BotCounts = Readonly<Record<BotOutcome, number>>;

/** The offers panel's bot section: sessions taken for bots and redemptions refused, per reason. */
export interface BotsReport {
  /** Per reason, in feature-core's order (every reason listed, zeros included). */
  readonly reasons: readonly ({ readonly reason: BotReason } & BotCounts)[];
  /** Over all reasons (a session counts under one reason only). */
  readonly total: BotCounts;
}

/** The bot counters of the counters hash (other and malformed fields are skipped). */
export function botsFromHash(hash: Readonly<Record<string, string>>): BotsReport {
  const reasons = BOT_REASONS.map((reason) => {
    const counts = { session: 0, redeem_refused: 0 };
    for (const outcome of BOT_OUTCOMES) {
      const value = Number(hash[botCounterField(reason, outcome)] ?? '0');
      counts[outcome] = Number.isInteger(value) && value > 0 ? value : 0;
    }
    return { reason, ...counts };
  });
  const total = { session: 0, redeem_refused: 0 };
  for (const row of reasons) for (const outcome of BOT_OUTCOMES) total[outcome] += row[outcome];
  return { reasons, total };
}

/** Counts of one arm of one rule. */
export type ArmCounts = Readonly<Record<OfferOutcome, number>>;

const ZERO: ArmCounts = { qualified: 0, shown: 0, dismissed: 0, redeemed: 0, converted: 0 };

/** Per rule (and `*`), per arm: the counters hash read back (unknown or malformed fields are skipped). */
export function countsFromHash(
  hash: Readonly<Record<string, string>>,
): ReadonlyMap<string, Readonly<Record<HoldoutArm, ArmCounts>>> {
  const rules = new Map<string, Record<HoldoutArm, Record<OfferOutcome, number>>>();
  for (const [field, text] of Object.entries(hash)) {
    const [ruleId, arm, outcome, extra] = field.split('|');
    const value = Number(text);
    if (ruleId === undefined || extra !== undefined || !Number.isInteger(value) || value < 0) continue;
    if (!(HOLDOUT_ARMS as readonly string[]).includes(arm ?? '')) continue;
    if (!(OFFER_OUTCOMES as readonly string[]).includes(outcome ?? '')) continue;
    let row = rules.get(ruleId);
    if (row === undefined) {
      row = { treatment: { ...ZERO }, control: { ...ZERO } };
      rules.set(ruleId, row);
    }
    row[arm as HoldoutArm][outcome as OfferOutcome] = value;
  }
  return rules;
}

/** A rate with its 95 % Wilson interval; null rate when there is nothing to divide by. */
export interface Rate {
  readonly numerator: number;
  readonly denominator: number;
  readonly rate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

function rate(numerator: number, denominator: number): Rate {
  if (denominator <= 0) return { numerator, denominator, rate: null, lower: null, upper: null };
  // Counters are written independently: clamp so a lost increment cannot make a rate exceed 1.
  const successes = Math.min(numerator, denominator);
  const interval = wilsonInterval(successes, denominator);
  return { numerator, denominator, rate: successes / denominator, lower: interval.lower, upper: interval.upper };
}

/** Fewest qualified sessions per arm before the uplift is estimated (below that the interval says little). */
export const MIN_SESSIONS_PER_ARM = 30;

export type Uplift =
  | {
      readonly enough: true;
      /** Conversion rate treatment − control, in [−1, 1]. */
      readonly difference: number;
      readonly lower: number;
      readonly upper: number;
      /** The interval excludes 0: treatment converts better (`up`) or worse (`down`); else `unclear`. */
      readonly verdict: 'up' | 'down' | 'unclear';
    }
  | { readonly enough: false; readonly reason: string };

/** One row of the offers panel: one rule, or `*` for any rule. */
export interface OfferRuleReport {
  readonly ruleId: string;
  /** The rule's description (empty for `*` and for rules no longer defined). */
  readonly description: string;
  readonly treatment: ArmCounts;
  readonly control: ArmCounts;
  /** Offer rate: shown ÷ qualified, treatment (control is never shown an offer: its `shown` stays 0). */
  readonly offerRate: Rate;
  /** Redemption rate: redeemed ÷ shown, treatment. */
  readonly redemptionRate: Rate;
  /** Conversion rate: sessions with an order after qualifying ÷ qualified sessions, per arm. */
  readonly conversion: Readonly<Record<HoldoutArm, Rate>>;
  readonly uplift: Uplift;
}

export interface OffersReport {
  readonly holdout: HoldoutSettings;
  /** Control's share of qualified sessions (any rule): should be close to the configured share. */
  readonly observedControlShare: number | null;
  /** `*` first, then the shop's rules in their order, then any other rule ids found in Redis. */
  readonly rules: readonly OfferRuleReport[];
  readonly minSessionsPerArm: number;
  /** Bots counted beside the experiment (not in any arm). */
  readonly bots: BotsReport;
}

function uplift(treatment: ArmCounts, control: ArmCounts, minSessions: number): Uplift {
  if (treatment.qualified < minSessions || control.qualified < minSessions)
    return {
      enough: false,
      reason: `not enough data: ${treatment.qualified} treatment and ${control.qualified} control sessions qualified, ${minSessions} each needed`,
    };
  const estimate = newcombeDifference(
    { successes: Math.min(treatment.converted, treatment.qualified), trials: treatment.qualified },
    { successes: Math.min(control.converted, control.qualified), trials: control.qualified },
  );
  const { lower, upper } = estimate.interval;
  return {
    enough: true,
    difference: estimate.difference,
    lower,
    upper,
    verdict: lower > 0 ? 'up' : upper < 0 ? 'down' : 'unclear',
  };
}

/** The offers panel's data from the counters hash. */
export function offersReport(
  hash: Readonly<Record<string, string>>,
  holdout: HoldoutSettings,
  minSessions = MIN_SESSIONS_PER_ARM,
): OffersReport {
  const counts = countsFromHash(hash);
  const ids = [ANY_RULE, ...OFFER_RULES.map((rule) => rule.id)];
  for (const id of counts.keys()) if (!ids.includes(id)) ids.push(id);
  const rules = ids.map((ruleId): OfferRuleReport => {
    const arms = counts.get(ruleId) ?? { treatment: ZERO, control: ZERO };
    const { treatment, control } = arms;
    return {
      ruleId,
      description: OFFER_RULES.find((rule) => rule.id === ruleId)?.description ?? '',
      treatment,
      control,
      offerRate: rate(treatment.shown, treatment.qualified),
      redemptionRate: rate(treatment.redeemed, treatment.shown),
      conversion: {
        treatment: rate(treatment.converted, treatment.qualified),
        control: rate(control.converted, control.qualified),
      },
      uplift: uplift(treatment, control, minSessions),
    };
  });
  const any = counts.get(ANY_RULE);
  const qualified = (any?.treatment.qualified ?? 0) + (any?.control.qualified ?? 0);
  return {
    holdout: { share: holdout.share, salt: holdout.salt },
    observedControlShare: qualified === 0 ? null : (any?.control.qualified ?? 0) / qualified,
    rules,
    minSessionsPerArm: minSessions,
    bots: botsFromHash(hash),
  };
}
