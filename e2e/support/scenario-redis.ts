/**
 * What the shopping scenarios read behind the page: the shopper's ids from the tracker's cookie, and
 * the aggregator's plain string keys (`user:<u>:<field>`, `session:<s>:<field>`: the accelerator's
 * layout, which readers written for it use) in the end-to-end stack's Redis, never the machine's.
 *
 * `scenarioKeys()` records which key templates a scenario checked, and `done()` fails the scenario
 * when they are not exactly its entry in SCENARIO_KEYS (e2e/support/scenario-keys.ts), so the
 * suite's coverage list cannot claim a check that did not run.
 */
import type { BrowserContext } from '@playwright/test';
import { expect } from '@playwright/test';
import { sessionFeatureKey, userFeatureKey } from '@tandem/feature-core';
import { Redis } from 'ioredis';
import { type KeyTemplate, SCENARIO_KEYS } from './scenario-keys.js';
import type { E2eStack } from './stack.js';

/** The tracker's ids for this browser: user key while anonymous, and the session key. */
export interface TrackerIds {
  readonly domainUserId: string;
  readonly sessionId: string;
}

/**
 * The domain_userid (first part) and session id (sixth part) of the tracker's first-party
 * `_sp_id.<hash>` cookie (v4 layout), waiting for the tracker to write it.
 */
export async function trackerIds(context: BrowserContext): Promise<TrackerIds> {
  let parts: string[] = [];
  await expect
    .poll(
      async () => {
        const cookie = (await context.cookies()).find((c) => c.name.startsWith('_sp_id.'));
        parts = cookie?.value.split('.') ?? [];
        return (parts[0] ?? '') !== '' && (parts[5] ?? '') !== '';
      },
      { message: 'the tracker’s _sp_id cookie (is tracking on?)', timeout: 15_000 },
    )
    .toBe(true);
  return { domainUserId: parts[0] as string, sessionId: parts[5] as string };
}

/** Which shopper a template is filled with: `u` the user key, `s` the session key. */
export interface KeyOwner {
  readonly u: string;
  readonly s: string;
}

/** The concrete Redis key of a template for `owner`. */
export function concreteKey(template: KeyTemplate, owner: KeyOwner): string {
  const [, lane, field] = /^(user|session):\{[us]\}:(.+)$/.exec(template) ?? [];
  if (field === undefined) throw new Error(`not a key template: ${template}`);
  return lane === 'user' ? userFeatureKey(owner.u, field) : sessionFeatureKey(owner.s, field);
}

/** How long the aggregator may take to write: Kafka, then its ~1 s write path, on a shared 2-core machine. */
const WRITE_TIMEOUT_MS = 20_000;

export interface ScenarioKeys {
  /** The key's value now (null: absent, which FEATURES.md reads as the feature's empty value). */
  read(template: KeyTemplate, owner: KeyOwner): Promise<string | null>;
  /** Polls until the key holds `expected` (null: absent); records the template as checked. */
  toHold(template: KeyTemplate, owner: KeyOwner, expected: string | null): Promise<void>;
  /** Polls until `check` accepts the value (a value the journey bounds but does not fix); records it. */
  toSatisfy(
    template: KeyTemplate,
    owner: KeyOwner,
    description: string,
    check: (value: string | null) => boolean,
  ): Promise<string | null>;
  /** Remaining seconds to live of the key (-2 absent, -1 no expiry). */
  ttlSeconds(template: KeyTemplate, owner: KeyOwner): Promise<number>;
  /** Fails unless the checked templates are exactly the scenario's SCENARIO_KEYS entry. */
  done(): void;
  close(): void;
}

/** Key checks for the scenario titled `scenario` (its SCENARIO_KEYS entry). */
export function scenarioKeys(stack: E2eStack, scenario: string): ScenarioKeys {
  const registered = SCENARIO_KEYS[scenario];
  if (registered === undefined) throw new Error(`no SCENARIO_KEYS entry for “${scenario}”`);
  const redis = new Redis(stack.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  const checked = new Set<KeyTemplate>();
  const read = (template: KeyTemplate, owner: KeyOwner) => redis.get(concreteKey(template, owner));
  return {
    read,
    async toHold(template, owner, expected) {
      checked.add(template);
      await expect
        .poll(() => read(template, owner), { message: concreteKey(template, owner), timeout: WRITE_TIMEOUT_MS })
        .toBe(expected);
    },
    async toSatisfy(template, owner, description, check) {
      checked.add(template);
      let value: string | null = null;
      await expect
        .poll(
          async () => {
            value = await read(template, owner);
            return check(value);
          },
          { message: `${concreteKey(template, owner)}: ${description}`, timeout: WRITE_TIMEOUT_MS },
        )
        .toBe(true);
      return value;
    },
    ttlSeconds: (template, owner) => redis.ttl(concreteKey(template, owner)),
    done() {
      expect([...checked].sort(), `keys “${scenario}” checked vs its SCENARIO_KEYS entry`).toEqual(
        [...registered].sort(),
      );
    },
    close: () => redis.disconnect(),
  };
}
