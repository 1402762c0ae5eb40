'use client';

/**
 * "Why this offer?": a toggle and a side panel (a disclosure, not a modal: the shopper can keep
 * browsing and watch the values move) showing the shopper's live browser features next to the
 * server's authoritative copy (`GET /api/features`, polled every 3 s while open), their ages and
 * event counts, and each offer rule's conditions checked on the browser's values. Esc closes it and
 * gives the focus back to the toggle. The model is in feature-rows.ts; this file only renders it.
 */
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { useFeatures } from '../../features/react';
import {
  ageMs,
  countStatuses,
  type FeatureRow,
  featureRows,
  formatAge,
  groupRows,
  laneMeta,
  parseServerFeatures,
  type RowStatus,
  ruleRows,
  type ServerFeatures,
} from './feature-rows';

/** How often the open drawer asks the server again. */
export const SERVER_POLL_MS = 3_000;

type ServerState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ok'; readonly body: ServerFeatures }
  | { readonly kind: 'unavailable'; readonly message: string };

/** The server's features while `active`: fetched at once, then every SERVER_POLL_MS. */
function useServerFeatures(active: boolean): ServerState {
  const [state, setState] = useState<ServerState>({ kind: 'loading' });
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    async function poll() {
      let next: ServerState;
      try {
        const response = await fetch('/api/features', {
          credentials: 'same-origin',
          cache: 'no-store',
          signal: controller.signal,
        });
        const body = parseServerFeatures(await response.json().catch(() => null));
        next =
          response.ok && body !== null
            ? { kind: 'ok', body }
            : {
                kind: 'unavailable',
                message:
                  response.status === 503
                    ? 'The server’s features are unavailable right now (503).'
                    : `The server answered ${response.status}.`,
              };
      } catch {
        if (stopped) return;
        next = { kind: 'unavailable', message: 'The shop could not be reached.' };
      }
      if (stopped) return;
      setState(next);
      timer = setTimeout(() => void poll(), SERVER_POLL_MS);
    }
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [active]);
  return state;
}

/** Re-renders every `ms` while `active` (ages keep moving between snapshots). */
function useNow(active: boolean, ms = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return now;
}

/** The fixed toggle and the panel it opens. */
export function FeatureDrawer() {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const wasOpen = useRef(false);

  useEffect(() => {
    if (open) headingRef.current?.focus();
    else if (wasOpen.current) toggleRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
    }
  };

  return (
    <div className="drawer-root">
      <button
        ref={toggleRef}
        type="button"
        className="drawer-toggle"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
        onKeyDown={onKeyDown}
      >
        Why this offer? <span className="drawer-toggle-sub">Your live features</span>
      </button>
      <section
        id={panelId}
        className="drawer"
        aria-labelledby={`${panelId}-title`}
        hidden={!open}
        onKeyDown={onKeyDown}
      >
        <div className="drawer-head">
          <h2 id={`${panelId}-title`} ref={headingRef} tabIndex={-1}>
            Your live features
          </h2>
          <button type="button" className="button button-quiet" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
        {open ? <DrawerContent /> : null}
      </section>
    </div>
  );
}

const STATUS_TEXT: Record<RowStatus, string> = {
  match: '✓ same',
  mismatch: '✗ differs',
  not_on_server: 'not yet on the server',
  not_compared: 'server only',
};

function DrawerContent() {
  const { snapshot, values } = useFeatures();
  const server = useServerFeatures(true);
  const now = useNow(true);
  const [showEmpty, setShowEmpty] = useState(false);
  const body = server.kind === 'ok' ? server.body : null;
  const rows = featureRows(values, body);
  const counts = countStatuses(rows);
  const userMeta = laneMeta(body?.user);
  const sessionMeta = laneMeta(body?.session);
  const rules = ruleRows(values, now, {
    fired: snapshot?.offerState.fired ?? [],
    dismissed: snapshot?.dismissed ?? [],
  });
  const onServer = userMeta.evaluatedAtMs !== null || sessionMeta.evaluatedAtMs !== null;
  const browserAge = formatAge(ageMs(now, snapshot?.evaluatedAtMs ?? null));
  const userAge = formatAge(ageMs(now, userMeta.evaluatedAtMs));
  const sessionAge = formatAge(ageMs(now, sessionMeta.evaluatedAtMs));
  const serverLine =
    server.kind === 'loading'
      ? 'Asking the server…'
      : server.kind === 'unavailable'
        ? server.message
        : !onServer
          ? 'Your features are not yet on the server (the stream is a few seconds behind).'
          : `${counts.match} of ${counts.match + counts.mismatch} compared values agree with the server.`;

  return (
    <div className="drawer-content">
      <p className="hint">
        Computed in this browser by the feature worker, from the same events the server reads from the stream. Offers
        appear from the browser’s copy at once; codes are checked against the server’s.
      </p>
      {snapshot === null ? <p>Waiting for the feature worker in this browser…</p> : null}
      <dl className="drawer-facts">
        <dt>User key</dt>
        <dd>
          <code>{snapshot?.userKey ?? '—'}</code>
          {body !== null && body.userKey !== snapshot?.userKey ? (
            <>
              {' '}
              (server: <code>{body.userKey ?? '—'}</code>)
            </>
          ) : null}
        </dd>
        <dt>Session key</dt>
        <dd>
          <code>{snapshot?.sessionKey ?? '—'}</code>
          {body !== null && body.sessionKey !== snapshot?.sessionKey ? (
            <>
              {' '}
              (server: <code>{body.sessionKey ?? '—'}</code>)
            </>
          ) : null}
        </dd>
        <dt>Events</dt>
        <dd>
          browser {snapshot?.eventCount ?? '—'} · server user lane {userMeta.eventCount ?? '—'}, session lane{' '}
          {sessionMeta.eventCount ?? '—'}
        </dd>
        <dt>Age</dt>
        <dd>
          browser {browserAge} · server user lane {userAge}, session lane {sessionAge}
        </dd>
      </dl>
      <p role="status" className={server.kind === 'unavailable' ? 'drawer-server error' : 'drawer-server'}>
        {serverLine}
      </p>

      <h3>Offer rules</h3>
      <ul className="drawer-rules">
        {rules.map((rule) => (
          <li key={rule.id}>
            <p>
              <strong>{rule.id}</strong> → {rule.offer}{' '}
              <span className={rule.holds ? 'tag tag-yes' : 'tag'}>{rule.holds ? 'holds now' : 'does not hold'}</span>
              {rule.fired ? <span className="tag">fired this session</span> : null}
              {rule.dismissed ? <span className="tag">dismissed</span> : null}
            </p>
            <p className="hint">{rule.description}</p>
            <ul className="drawer-conditions">
              {rule.conditions.map((condition) => (
                <li key={condition.text} className={condition.holds ? 'holds' : 'fails'}>
                  <span aria-hidden="true">{condition.holds ? '✓' : '✗'}</span>
                  <span className="visually-hidden">{condition.holds ? 'holds: ' : 'does not hold: '}</span>
                  <code>{condition.text}</code> (now {condition.reading})
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>

      <h3>Features</h3>
      <label className="choice">
        <input type="checkbox" checked={showEmpty} onChange={(event) => setShowEmpty(event.target.checked)} />
        Show features at their empty value
      </label>
      {groupRows(showEmpty ? rows : rows.filter((row) => !row.empty)).map((group) => (
        <FeatureTable
          key={group.id}
          label={group.label}
          ages={`browser ${browserAge} old, server ${group.id === 'session' ? sessionAge : userAge} old`}
          rows={group.rows}
          server={server.kind}
        />
      ))}
      {!showEmpty && rows.every((row) => row.empty) ? <p>No feature has a value yet.</p> : null}
    </div>
  );
}

function FeatureTable({
  label,
  ages,
  rows,
  server,
}: {
  readonly label: string;
  /** How old each side's values are (one evaluation time per lane, so per table). */
  readonly ages: string;
  readonly rows: readonly FeatureRow[];
  readonly server: ServerState['kind'];
}) {
  // Without an answer from the server, "not yet on the server" would claim more than is known.
  const statusText = (status: RowStatus) =>
    status !== 'not_on_server' || server === 'ok'
      ? STATUS_TEXT[status]
      : server === 'loading'
        ? 'asking the server…'
        : 'server unavailable';
  return (
    <table className="drawer-table">
      <caption>
        {label} <span className="drawer-ages">({ages})</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Browser</th>
          <th scope="col">Server</th>
          <th scope="col">Agree?</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.field} data-field={row.field} data-status={row.status}>
            <th scope="row">
              <code>{row.field}</code>
            </th>
            <td>{row.browser ?? '—'}</td>
            <td>{row.status === 'not_on_server' ? '—' : (row.server ?? '—')}</td>
            <td className={`status-${row.status}`}>{statusText(row.status)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
