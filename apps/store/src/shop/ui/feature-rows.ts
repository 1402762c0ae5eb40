/**
 * The "why this offer?" drawer's model, pure: the shopper's feature fields as rows (browser value,
 * server value, whether they agree), grouped by window, the ages of both copies, and each offer
 * rule's conditions checked one by one on the browser's values. The drawer only renders this.
 */
import {
  type Condition,
  evaluateRule,
  FEATURE_DEFINITIONS,
  type FeatureDefinition,
  HASH_META_FIELDS,
  OFFER_RULES,
  type OfferRule,
  rollingField,
} from '@tandem/feature-core';

/** The body of `GET /api/features`: the server's hashes of this shopper. */
export interface ServerFeatures {
  readonly userKey: string | null;
  readonly sessionKey: string | null;
  /** Field → canonical value, plus the meta fields `_v`, `_at` (epoch ms), `_events`. */
  readonly user: Readonly<Record<string, string>>;
  readonly session: Readonly<Record<string, string>>;
  /** When Redis was read, epoch ms (server clock). */
  readonly readAt: number;
}

function stringRecord(value: unknown): Record<string, string> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
}

const nullableString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Reads a `GET /api/features` body; null when it is not one. */
export function parseServerFeatures(body: unknown): ServerFeatures | null {
  if (body === null || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const user = stringRecord(record.user);
  const session = stringRecord(record.session);
  if (user === null || session === null) return null;
  return {
    userKey: nullableString(record.userKey),
    sessionKey: nullableString(record.sessionKey),
    user,
    session,
    readAt: typeof record.readAt === 'number' ? record.readAt : Number.NaN,
  };
}

/** Meta fields of one server hash; all null when the server has not written the lane yet. */
export interface LaneMeta {
  /** The server's evaluation time, epoch ms. */
  readonly evaluatedAtMs: number | null;
  readonly eventCount: number | null;
  readonly definitionVersion: string | null;
}

function finiteOrNull(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function laneMeta(hash: Readonly<Record<string, string>> | undefined): LaneMeta {
  return {
    evaluatedAtMs: finiteOrNull(hash?.[HASH_META_FIELDS.evaluatedAt]),
    eventCount: finiteOrNull(hash?.[HASH_META_FIELDS.events]),
    definitionVersion: hash?.[HASH_META_FIELDS.version] ?? null,
  };
}

/** `5m`, `1h`, `24h` (user lane, by window), `session`, and `other` for fields this page does not define. */
export type FieldGroup = '5m' | '1h' | '24h' | 'session' | 'other';

export const FIELD_GROUPS: readonly { readonly id: FieldGroup; readonly label: string }[] = [
  { id: '5m', label: 'Last 5 minutes' },
  { id: '1h', label: 'Last hour' },
  { id: '24h', label: 'Last 24 hours' },
  { id: 'session', label: 'This session' },
  { id: 'other', label: 'Other' },
];

/**
 * - `match` / `mismatch`: both copies compared (an absent value counts as the feature's empty value);
 * - `not_on_server`: the server has not written this lane yet;
 * - `not_compared`: needs server-side enrichment (user agent, geo) the browser does not do.
 */
export type RowStatus = 'match' | 'mismatch' | 'not_on_server' | 'not_compared';

export interface FeatureRow {
  readonly field: string;
  readonly group: FieldGroup;
  readonly lane: 'user' | 'session';
  /** Values as stored (null when absent). */
  readonly browser: string | null;
  readonly server: string | null;
  readonly status: RowStatus;
  /** Both copies absent or at the feature's empty value: the drawer can hide the row. */
  readonly empty: boolean;
  readonly meaning: string;
}

interface FieldSpec {
  readonly field: string;
  readonly group: FieldGroup;
  readonly lane: 'user' | 'session';
  readonly definition: FeatureDefinition | null;
}

/** Every defined field in definition order, grouped by window. */
const FIELD_SPECS: readonly FieldSpec[] = (() => {
  const specs: FieldSpec[] = [];
  for (const group of ['5m', '1h', '24h'] as const)
    for (const definition of FEATURE_DEFINITIONS) {
      if (definition.lane === 'user' && definition.windows.includes(group))
        specs.push({ field: rollingField(definition.name, group), group, lane: 'user', definition });
      if (definition.lane === 'user-unwindowed' && definition.window === group)
        specs.push({ field: definition.name, group, lane: 'user', definition });
    }
  for (const definition of FEATURE_DEFINITIONS)
    if (definition.lane === 'session')
      specs.push({ field: definition.name, group: 'session', lane: 'session', definition });
  return specs;
})();

const META = new Set<string>(Object.values(HASH_META_FIELDS));

/**
 * One row per field: every defined field, then any other field either side has (a newer definition
 * on one side). `server` null means the server is unavailable or has not answered: rows then carry
 * `not_on_server`.
 */
export function featureRows(browser: Readonly<Record<string, string>>, server: ServerFeatures | null): FeatureRow[] {
  const userOnServer = server !== null && laneMeta(server.user).evaluatedAtMs !== null;
  const sessionOnServer = server !== null && laneMeta(server.session).evaluatedAtMs !== null;
  const specs = [...FIELD_SPECS];
  const known = new Set(specs.map((spec) => spec.field));
  const extra = (field: string, lane: 'user' | 'session') => {
    if (known.has(field) || META.has(field)) return;
    known.add(field);
    specs.push({ field, group: 'other', lane, definition: null });
  };
  for (const field of Object.keys(browser)) extra(field, field.startsWith('session_') ? 'session' : 'user');
  for (const field of Object.keys(server?.user ?? {})) extra(field, 'user');
  for (const field of Object.keys(server?.session ?? {})) extra(field, 'session');

  return specs.map(({ field, group, lane, definition }) => {
    const browserValue = browser[field] ?? null;
    const onServer = lane === 'user' ? userOnServer : sessionOnServer;
    const serverValue = (lane === 'user' ? server?.user[field] : server?.session[field]) ?? null;
    const emptyValue = definition?.emptyValue ?? null;
    const browserEffective = browserValue ?? emptyValue;
    const serverEffective = serverValue ?? emptyValue;
    const status: RowStatus =
      definition !== null && !definition.compared
        ? 'not_compared'
        : !onServer
          ? 'not_on_server'
          : browserEffective === serverEffective
            ? 'match'
            : 'mismatch';
    return {
      field,
      group,
      lane,
      browser: browserValue,
      server: serverValue,
      status,
      empty: browserEffective === emptyValue && (!onServer || serverEffective === emptyValue),
      meaning: definition?.meaning ?? '',
    };
  });
}

/** Rows grouped for display, in group order, leaving out empty groups. */
export function groupRows(rows: readonly FeatureRow[]): { id: FieldGroup; label: string; rows: FeatureRow[] }[] {
  return FIELD_GROUPS.map((group) => ({ ...group, rows: rows.filter((row) => row.group === group.id) })).filter(
    (group) => group.rows.length > 0,
  );
}

/** How many rows of each status, for the drawer's summary line. */
export function countStatuses(rows: readonly FeatureRow[]): Record<RowStatus, number> {
  const counts: Record<RowStatus, number> = { match: 0, mismatch: 0, not_on_server: 0, not_compared: 0 };
  for (const row of rows) counts[row.status]++;
  return counts;
}

/** `now − at` in ms, never negative (a clock ahead of ours reads as 0); null when `at` is unknown. */
export function ageMs(nowMs: number, atMs: number | null): number | null {
  if (atMs === null || !Number.isFinite(atMs)) return null;
  return Math.max(0, nowMs - atMs);
}

/** An age for people: `0.4 s`, `12 s`, `3 min 5 s`, `2 h 10 min`; `unknown` for null. */
export function formatAge(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'unknown';
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const OP_SIGNS: Record<Condition['op'], string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<', '==': '=', '!=': '≠' };

/** A condition as text: `cart_value_1h ≥ 150`, `time since last_cart_activity_at ≥ 60 s`. */
export function conditionText(condition: Condition): string {
  const sign = OP_SIGNS[condition.op];
  switch (condition.measure ?? 'value') {
    case 'ageMs':
      return `time since ${condition.feature} ${sign} ${condition.value / 1000} s`;
    case 'rangeRatio':
      return `${condition.feature}: highest ÷ lowest ${sign} ${condition.value}`;
    default:
      return `${condition.feature} ${sign} ${condition.value}`;
  }
}

/** What a condition reads now, for display: the value, the age, or the ratio; `empty` when absent. */
function conditionReading(condition: Condition, text: string | undefined, atMs: number): string {
  if (text === undefined) return 'empty';
  switch (condition.measure ?? 'value') {
    case 'ageMs':
      return `${formatAge(ageMs(atMs, Number(text)))} ago`;
    case 'rangeRatio': {
      const [min, max] = text.split('-').map(Number);
      if (min === undefined || max === undefined || Number.isNaN(min) || Number.isNaN(max)) return text;
      return min === 0 ? text : `${text} (×${(max / min).toFixed(2)})`;
    }
    default:
      return text;
  }
}

export interface ConditionRow {
  readonly text: string;
  /** What the browser's value reads now (value, age or ratio). */
  readonly reading: string;
  readonly holds: boolean;
}

export interface RuleRow {
  readonly id: string;
  readonly offer: string;
  readonly description: string;
  readonly conditions: readonly ConditionRow[];
  /** Every condition holds now. */
  readonly holds: boolean;
  /** Fired in this session (the worker's offer state). */
  readonly fired: boolean;
  readonly dismissed: boolean;
}

/**
 * Each rule with each condition checked alone on the browser's values at `atMs` (feature-core's own
 * `evaluateRule` on a one-condition rule, so "holds" means exactly what the worker computes).
 */
export function ruleRows(
  values: Readonly<Record<string, string>>,
  atMs: number,
  offerState: { readonly fired: readonly string[]; readonly dismissed: readonly string[] } = {
    fired: [],
    dismissed: [],
  },
  rules: readonly OfferRule[] = OFFER_RULES,
): RuleRow[] {
  const features = new Map(Object.entries(values));
  return rules.map((rule) => {
    const conditions = rule.all.map((condition) => ({
      text: conditionText(condition),
      reading: conditionReading(condition, values[condition.feature], atMs),
      holds: evaluateRule({ ...rule, all: [condition] }, features, atMs),
    }));
    return {
      id: rule.id,
      offer: rule.offer,
      description: rule.description,
      conditions,
      holds: conditions.every((condition) => condition.holds),
      fired: offerState.fired.includes(rule.id),
      dismissed: offerState.dismissed.includes(rule.id),
    };
  });
}
