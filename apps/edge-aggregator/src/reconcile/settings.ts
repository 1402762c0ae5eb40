/**
 * The reconciler's own settings, on top of the aggregator's (brokers, group, enriched topic, Redis,
 * engine): environment variables with defaults, validated at start.
 */
import { ConfigError } from '../config.js';

export const RECONCILE_ENV_DEFAULTS = {
  /** `on`: the aggregator process also runs the reconciler; `off`: it does not (run it alone with `npm run reconcile`). */
  RECONCILE: 'on',
  /** Reconciliation results, one JSON record per compared digest (ARCHITECTURE.md). */
  DRIFT_TOPIC: 'tandem-drift',
  /** How long after a digest reaches the reconciler it is first compared: two checkpoints of the lanes. */
  RECONCILE_SETTLE_MS: '10000',
  /** How long to wait for the server to get the digest's last event before comparing without it. */
  RECONCILE_MAX_WAIT_MS: '60000',
  /** Digests older than this when read (a replayed topic) are counted as stale, not compared. */
  RECONCILE_MAX_AGE_MS: '900000',
} as const satisfies Record<string, string>;

export type ReconcileEnvName = keyof typeof RECONCILE_ENV_DEFAULTS;

export interface ReconcileSettings {
  readonly enabled: boolean;
  readonly driftTopic: string;
  readonly settleMs: number;
  readonly maxWaitMs: number;
  readonly maxAgeMs: number;
}

export function loadReconcileSettings(env: NodeJS.ProcessEnv = process.env): ReconcileSettings {
  const get = (name: ReconcileEnvName): string => env[name]?.trim() || RECONCILE_ENV_DEFAULTS[name];
  const ms = (name: ReconcileEnvName, min: number, max: number): number => {
    const text = get(name);
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (ms), got '${text}'`);
    return value;
  };
  const switchText = get('RECONCILE').toLowerCase();
  if (switchText !== 'on' && switchText !== 'off')
    throw new ConfigError(`RECONCILE must be on or off, got '${switchText}'`);
  const settings = {
    enabled: switchText === 'on',
    driftTopic: get('DRIFT_TOPIC'),
    settleMs: ms('RECONCILE_SETTLE_MS', 0, 600_000),
    maxWaitMs: ms('RECONCILE_MAX_WAIT_MS', 0, 3_600_000),
    maxAgeMs: ms('RECONCILE_MAX_AGE_MS', 1_000, 7 * 24 * 3_600_000),
  };
  if (settings.maxWaitMs < settings.settleMs)
    throw new ConfigError('RECONCILE_MAX_WAIT_MS must be at least RECONCILE_SETTLE_MS');
  return settings;
}
