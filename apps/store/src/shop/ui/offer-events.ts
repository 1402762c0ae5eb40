/**
 * The browser's side of the offers experiment: which arm this browser is in (feature-core's
 * `holdoutArm` over the tracker's domain_userid, the same function and key the server uses), and the
 * reports of offers that qualified, were shown or dismissed, and of a session the feature worker took
 * for a bot (`POST /api/offers/events`). Reports are fire and forget: a failure is retried on the
 * next render that reports, never shown to the shopper.
 */
import { type BotReason, type HoldoutArm, holdoutArm } from '@tandem/feature-core';
import { parseSpIdCookie } from '../../server/snowplow-cookies';

export type OfferEventKind = 'qualified' | 'shown' | 'dismissed';

export interface HoldoutConfig {
  readonly share: number;
  readonly salt: string;
}

/** The tracker's domain_userid from `document.cookie` text; null before the tracker wrote `_sp_id.*`. */
export function browserIdFromCookies(cookieText: string): string | null {
  for (const part of cookieText.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim().startsWith('_sp_id.'))
      return parseSpIdCookie(part.slice(at + 1).trim())?.domainUserId ?? null;
  }
  return null;
}

/**
 * This browser's arm: treatment when there is no holdout (no config or share 0); otherwise by its
 * domain_userid, and null while that is unknown (offers wait rather than risk showing one to control).
 */
export function browserArm(holdout: HoldoutConfig | undefined, browserId: string | null): HoldoutArm | null {
  if (holdout === undefined || holdout.share <= 0) return 'treatment';
  return browserId === null ? null : holdoutArm(browserId, holdout.share, holdout.salt);
}

/** sessionStorage key of the reports the server acknowledged (so a reload does not send them again). */
const REPORTED_KEY = 'tandem.offerEventsReported';

export interface OfferEventReporterDeps {
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
  readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  readonly log?: (line: string) => void;
}

export interface OfferEventReporter {
  /** Reports `kind` of the rule once per tracker session (`sessionKey`); repeats are dropped here. */
  report(sessionKey: string, ruleId: string, kind: OfferEventKind): void;
  /** Reports once per tracker session that the worker took it for a bot (`{kind: 'bot', reason}`). */
  reportBot(sessionKey: string, reason: BotReason): void;
}

export function createOfferEventReporter(deps: OfferEventReporterDeps): OfferEventReporter {
  const pending = new Set<string>();
  let reported: Set<string> | null = null;
  const load = (): Set<string> => {
    if (reported !== null) return reported;
    try {
      const parsed: unknown = JSON.parse(deps.storage?.getItem(REPORTED_KEY) ?? '[]');
      reported = new Set(Array.isArray(parsed) ? parsed.filter((key): key is string => typeof key === 'string') : []);
    } catch {
      reported = new Set();
    }
    return reported;
  };
  const remember = (key: string) => {
    const keys = load();
    keys.add(key);
    try {
      deps.storage?.setItem(REPORTED_KEY, JSON.stringify([...keys].slice(-100)));
    } catch {
      // Worst case a report is sent again after a reload: the server counts it once anyway.
    }
  };
  /**
   * Sends `body` unless `key` was acknowledged or is in flight. `final(status)`: an answer that will
   * not change on a retry, so the report is remembered as done.
   */
  const send = (key: string, body: Record<string, string>, what: string, final: (status: number) => boolean) => {
    if (pending.has(key) || load().has(key)) return;
    pending.add(key);
    deps
      .fetch('/api/offers/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        keepalive: true,
      })
      .then((response) => {
        if (response.ok || final(response.status)) remember(key);
        else deps.log?.(`${what}: HTTP ${response.status}`);
      })
      .catch((error: unknown) => deps.log?.(`${what}: ${String(error)}`))
      .finally(() => pending.delete(key));
  };
  return {
    report(sessionKey, ruleId, kind) {
      // 409: the server holds this browser out; the report can never count, so stop sending it.
      send(
        `${sessionKey}|${ruleId}|${kind}`,
        { ruleId, kind },
        `offer event ${kind} of ${ruleId}`,
        (status) => status === 409,
      );
    },
    reportBot(sessionKey, reason) {
      // 400: the server does not take this reason from this request (a crawler reason from a browser
      // whose request says otherwise): sending it again cannot change that.
      send(
        `${sessionKey}|bot|${reason}`,
        { kind: 'bot', reason },
        `bot report (${reason})`,
        (status) => status === 400,
      );
    },
  };
}
