'use client';

/**
 * The drift dashboard's client: polls `GET /api/ops/drift` every 2 s (the cookie or development mode
 * authorizes it) and renders agreement over time, digests by outcome, drift per feature and window,
 * the drifting shoppers with browser and server values side by side, the pipeline's health, and the
 * offers experiment against its holdout (OffersPanel.tsx).
 * Charts are recharts SVG, animation off (a poll every 2 s would otherwise animate forever).
 */
import { DRIFT_CAUSES, type DriftCause, type DriftRecord, type FieldComparison } from '@tandem/feature-core';
import { type ReactNode, useEffect, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { DriftDashboardBody } from '../server/drift-api';
import type { DriftingShopper, DriftSnapshot, FieldDrift } from '../server/drift-reader';
import styles from './drift-dashboard.module.css';
import { OffersPanel } from './OffersPanel';

const POLL_MS = 2_000;

type Load =
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly body: DriftDashboardBody; readonly error: string | null }
  | { readonly state: 'denied'; readonly message: string }
  | { readonly state: 'error'; readonly message: string };

const CAUSE_LABEL: Record<DriftCause, string> = {
  definition_skew: 'Definition skew',
  identity_change: 'Identity change',
  browser_only_events: 'Browser-only events',
  server_only_events: 'Server-only events',
  clock_skew: 'Clock skew',
  unknown: 'Unknown',
};
const CAUSE_COLOR: Record<DriftCause, string> = {
  definition_skew: '#6b3fa0',
  identity_change: '#1a5fd0',
  browser_only_events: '#c2410c',
  server_only_events: '#a3161c',
  clock_skew: '#b08900',
  unknown: '#4a524e',
};
const AGREE_COLOR = '#2f7d57';
const DRIFT_COLOR = '#a3161c';

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
function minuteLabel(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
function percent(ratio: number | null | undefined, digits = 1): string {
  return ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(digits)}%`;
}
function ago(ms: number | null, nowMs: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}
function shortKey(key: string): string {
  return key.length > 13 ? `${key.slice(0, 8)}…${key.slice(-4)}` : key;
}

/** Polls the API; stops on 401/503 (a token problem does not fix itself), keeps the last data on a failed poll. */
function useDriftData(): Load {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    const poll = async () => {
      controller = new AbortController();
      try {
        const response = await fetch('/api/ops/drift', { cache: 'no-store', signal: controller.signal });
        if (response.status === 401 || response.status === 503) {
          const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
          if (!stopped) setLoad({ state: 'denied', message: body?.error?.message ?? `HTTP ${response.status}` });
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = (await response.json()) as DriftDashboardBody;
        if (!stopped) setLoad({ state: 'ok', body, error: null });
      } catch (error) {
        if (stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        setLoad((previous) =>
          previous.state === 'ok' ? { ...previous, error: message } : { state: 'error', message },
        );
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      controller?.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  return load;
}

export function DriftDashboard() {
  const load = useDriftData();
  if (load.state === 'loading')
    return (
      <p className={styles.note} role="status">
        Loading drift…
      </p>
    );
  if (load.state === 'denied' || load.state === 'error')
    return (
      <p className={styles.problem} role="alert">
        {load.state === 'denied' ? load.message : `The dashboard's data could not be loaded: ${load.message}`}
      </p>
    );
  const { body, error } = load;
  return (
    <div className={styles.dashboard}>
      <p className={styles.note} role="status" aria-live="polite">
        {error === null
          ? `Live: updated ${clock(body.generatedAtMs)}, every ${POLL_MS / 1000} s.`
          : `Last update failed (${error}); showing data from ${clock(body.generatedAtMs)}.`}
      </p>
      <PipelinePanel body={body} />
      {body.drift.available ? (
        <DriftPanels drift={body.drift} nowMs={body.generatedAtMs} />
      ) : (
        <p className={styles.problem} role="alert">
          Drift is unavailable: {body.drift.reason}
        </p>
      )}
      {/* Older stores' answers have no offers: render nothing rather than fail. */}
      {body.offers === undefined ? null : <OffersPanel offers={body.offers} />}
    </div>
  );
}

function Tile({ label, value, detail }: { label: string; value: ReactNode; detail?: ReactNode }) {
  return (
    <div className={styles.tile}>
      <dt>{label}</dt>
      <dd>
        <span className={styles.tileValue}>{value}</span>
        {detail === undefined ? null : <span className={styles.tileDetail}>{detail}</span>}
      </dd>
    </div>
  );
}

function PipelinePanel({ body }: { body: DriftDashboardBody }) {
  const p = body.pipeline;
  const meta = body.drift.available ? body.drift.meta : null;
  const ms = (seconds: number | null) => (seconds === null ? '–' : `${Math.round(seconds * 1000)} ms`);
  return (
    <section aria-labelledby="pipeline-heading" className={styles.panel}>
      <h2 id="pipeline-heading">Pipeline health</h2>
      {p.available ? null : <p className={styles.problem}>Aggregator metrics unavailable: {p.reason}</p>}
      <dl className={styles.tiles}>
        <Tile
          label="Freshness p50 / p99"
          value={p.available ? `${ms(p.freshness.p50Seconds)} / ${ms(p.freshness.p99Seconds)}` : 'unavailable'}
          detail={p.available ? `Kafka to Redis, ${p.freshness.events.toLocaleString()} events` : undefined}
        />
        <Tile
          label="Throughput"
          value={
            p.available
              ? p.eventsPerSecond === null
                ? 'measuring…'
                : `${p.eventsPerSecond.toFixed(1)} events/s`
              : 'unavailable'
          }
          detail={p.available ? `${p.eventsInTotal.toLocaleString()} read since start` : undefined}
        />
        <Tile label="Consumer lag" value={p.available ? `${p.consumerLag.toLocaleString()} messages` : 'unavailable'} />
        <Tile
          label="Digests compared"
          value={p.available ? p.digests.total.toLocaleString() : 'unavailable'}
          detail={
            p.available
              ? Object.entries(p.digests.byOutcome)
                  .map(([outcome, n]) => `${outcome} ${n}`)
                  .join(', ') || 'none yet'
              : undefined
          }
        />
        <Tile
          label="Reconciler"
          value={
            meta === null
              ? 'unknown'
              : meta.status === 'running'
                ? 'running'
                : meta.status === 'silent'
                  ? 'silent'
                  : 'never seen'
          }
          detail={
            meta === null
              ? undefined
              : `last seen ${ago(meta.lastSeenAtMs ?? meta.lastComparedAtMs, body.generatedAtMs)}${
                  meta.pending === null ? '' : `, ${meta.pending} waiting to settle`
                }`
          }
        />
      </dl>
    </section>
  );
}

function DriftPanels({ drift, nowMs }: { drift: DriftSnapshot; nowMs: number }) {
  const empty = drift.totals.digests === 0;
  return (
    <>
      <section aria-labelledby="agreement-heading" className={styles.panel}>
        <h2 id="agreement-heading">Agreement over the last {drift.range.minutes} minutes</h2>
        <p className={styles.summary}>
          {drift.totals.digests.toLocaleString()} {drift.totals.digests === 1 ? 'digest' : 'digests'} compared,{' '}
          {percent(drift.totals.agreementRate)} agreed exactly
          {drift.totals.skipped > 0 ? `, ${drift.totals.skipped} not comparable (definition skew)` : ''}.
          {Object.entries(drift.totals.excluded).length > 0
            ? ` Fields left out: ${Object.entries(drift.totals.excluded)
                .map(([reason, n]) => `${n} ${reason}`)
                .join(', ')}.`
            : ''}
        </p>
        {empty ? <EmptyDrift drift={drift} nowMs={nowMs} /> : null}
        <div className={styles.charts}>
          <AgreementChart drift={drift} />
          <OutcomeChart drift={drift} />
        </div>
      </section>
      <FieldsPanel drift={drift} />
      <ShoppersPanel shoppers={drift.shoppers} />
      <MismatchesPanel records={drift.latestMismatches} />
    </>
  );
}

function EmptyDrift({ drift, nowMs }: { drift: DriftSnapshot; nowMs: number }) {
  const { meta } = drift;
  return (
    <div className={styles.empty} role="status">
      <p>
        <strong>No digests compared yet: is the reconciler running?</strong>
      </p>
      <p>
        {meta.status === 'never'
          ? `The reconciler of consumer group ${drift.group} has never reported. Start the stack (npm start): the edge-aggregator runs it unless RECONCILE=off.`
          : meta.status === 'silent'
            ? `The reconciler was last seen ${ago(meta.lastSeenAtMs ?? meta.lastComparedAtMs, nowMs)}: is the edge-aggregator still running?`
            : 'The reconciler is running. Shop in the store with tracking on (FEATURE_DIGESTS not off): digests are sent after a few quiet seconds and compared once settled.'}
      </p>
    </div>
  );
}

function ChartFigure({
  id,
  title,
  description,
  children,
}: {
  id: string;
  title: string;
  description: string;
  children: ReactNode;
}) {
  return (
    <figure className={styles.figure} aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} data-chart={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <p id={`${id}-desc`} className="visually-hidden">
        {description}
      </p>
      {children}
    </figure>
  );
}

function AgreementChart({ drift }: { drift: DriftSnapshot }) {
  const data = drift.minutes.map((m) => ({
    t: minuteLabel(m.startMs),
    agreement: m.agreementRate === null ? null : Math.round(m.agreementRate * 1000) / 10,
    drift: m.driftRate === null ? null : Math.round(m.driftRate * 1000) / 10,
  }));
  const withData = drift.minutes.filter((m) => m.digests > 0);
  return (
    <ChartFigure
      id="agreement"
      title="Agreement and drift rate per minute (%)"
      description={`Share of digests per minute whose every compared feature matched, and the share that drifted. ${withData.length} of ${drift.minutes.length} minutes had digests.`}
    >
      <ResponsiveContainer width="100%" height={240}>
        <LineChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: -16 }}
          title="Agreement and drift rate per minute"
        >
          <CartesianGrid stroke="#e3e8e4" strokeDasharray="3 3" />
          <XAxis dataKey="t" minTickGap={24} tick={{ fontSize: 12 }} />
          <YAxis domain={[0, 100]} tick={{ fontSize: 12 }} unit="%" />
          <Tooltip />
          <Legend />
          <Line
            type="monotone"
            dataKey="agreement"
            name="Agreed"
            stroke={AGREE_COLOR}
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="drift"
            name="Drifted"
            stroke={DRIFT_COLOR}
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

function OutcomeChart({ drift }: { drift: DriftSnapshot }) {
  const data = drift.minutes.map((m) => ({ t: minuteLabel(m.startMs), agreed: m.agree, ...m.causes }));
  const causesSeen = DRIFT_CAUSES.filter((c) => drift.totals.causes[c] > 0);
  return (
    <ChartFigure
      id="causes"
      title="Digests per minute: agreed, or the cause of drift"
      description={`Stacked bars per minute. Causes in this range: ${
        causesSeen.map((c) => `${CAUSE_LABEL[c]} ${drift.totals.causes[c]}`).join(', ') || 'none'
      }.`}
    >
      <ResponsiveContainer width="100%" height={240}>
        <BarChart
          data={data}
          margin={{ top: 8, right: 16, bottom: 0, left: -16 }}
          title="Digests per minute by outcome"
        >
          <CartesianGrid stroke="#e3e8e4" strokeDasharray="3 3" />
          <XAxis dataKey="t" minTickGap={24} tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend />
          <Bar dataKey="agreed" name="Agreed" stackId="outcome" fill={AGREE_COLOR} isAnimationActive={false} />
          {DRIFT_CAUSES.map((cause) => (
            <Bar
              key={cause}
              dataKey={cause}
              name={CAUSE_LABEL[cause]}
              stackId="outcome"
              fill={CAUSE_COLOR[cause]}
              isAnimationActive={false}
              legendType={causesSeen.includes(cause) ? 'square' : 'none'}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

/** Share of a field's comparisons that did not match (mismatch + missing + extra). */
function driftingRatio(f: FieldDrift): number {
  return f.mismatchRatio + f.missingRatio + f.extraRatio;
}

const FIELD_COLORS = ['#a3161c', '#1a5fd0', '#c2410c', '#6b3fa0', '#b08900'];

/** The worst fields of the range, per minute: when each drifted (null in minutes without digests). */
function FieldsOverTimeChart({ drift, worst }: { drift: DriftSnapshot; worst: readonly FieldDrift[] }) {
  const data = drift.minutes.map((m) => {
    const point: Record<string, string | number | null> = { t: minuteLabel(m.startMs) };
    for (const f of worst)
      point[f.field] = m.digests === 0 ? null : Math.round((m.driftRateByField[f.field] ?? 0) * 1000) / 10;
    return point;
  });
  return (
    <ChartFigure
      id="fields-over-time"
      title={`The ${worst.length === 1 ? 'worst field' : `${worst.length} worst fields`} per minute: drift ratio (%)`}
      description={`Per minute with digests, the share of comparisons of ${worst
        .map((f) => f.field)
        .join(', ')} that did not match.`}
    >
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: -16 }} title="Worst fields per minute">
          <CartesianGrid stroke="#e3e8e4" strokeDasharray="3 3" />
          <XAxis dataKey="t" minTickGap={24} tick={{ fontSize: 12 }} />
          <YAxis domain={[0, 100]} tick={{ fontSize: 12 }} unit="%" />
          <Tooltip />
          <Legend />
          {worst.map((f, i) => (
            <Line
              key={f.field}
              type="monotone"
              dataKey={f.field}
              name={f.field}
              stroke={FIELD_COLORS[i % FIELD_COLORS.length]}
              strokeWidth={2}
              dot={{ r: 3 }}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

function FieldsPanel({ drift }: { drift: DriftSnapshot }) {
  const { fields } = drift;
  const drifting = driftingRatio;
  const sorted = [...fields].sort((a, b) => drifting(b) - drifting(a));
  const top = sorted.filter((f) => drifting(f) > 0).slice(0, 12);
  return (
    <section aria-labelledby="fields-heading" className={styles.panel}>
      <h2 id="fields-heading">Drift per feature and window</h2>
      {fields.length === 0 ? (
        <p className={styles.note}>No fields compared in this range.</p>
      ) : (
        <>
          <p className={styles.summary}>
            {top.length === 0
              ? `All ${fields.length} compared fields agreed in every digest.`
              : `${top.length} of ${fields.length} compared fields drifted; the worst first.`}
          </p>
          {top.length > 0 ? (
            <ChartFigure
              id="fields"
              title="Worst fields: mismatch, missing and extra ratio (%)"
              description={top
                .map((f) => `${f.field}: ${percent(drifting(f))} of ${f.compared} comparisons`)
                .join('; ')}
            >
              <ResponsiveContainer width="100%" height={Math.max(120, top.length * 28 + 48)}>
                <BarChart
                  data={top.map((f) => ({
                    field: f.field,
                    mismatch: f.mismatchRatio * 100,
                    missing: f.missingRatio * 100,
                    extra: f.extraRatio * 100,
                  }))}
                  layout="vertical"
                  margin={{ top: 4, right: 16, bottom: 0, left: 8 }}
                  title="Worst fields by drift ratio"
                >
                  <CartesianGrid stroke="#e3e8e4" strokeDasharray="3 3" />
                  <XAxis type="number" domain={[0, 100]} unit="%" tick={{ fontSize: 12 }} />
                  <YAxis type="category" dataKey="field" width={170} tick={{ fontSize: 11 }} />
                  <Tooltip formatter={(value) => `${Number(value).toFixed(1)}%`} />
                  <Legend />
                  <Bar dataKey="mismatch" name="Mismatch" stackId="f" fill="#a3161c" isAnimationActive={false} />
                  <Bar dataKey="missing" name="Missing" stackId="f" fill="#c2410c" isAnimationActive={false} />
                  <Bar dataKey="extra" name="Extra" stackId="f" fill="#b08900" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </ChartFigure>
          ) : null}
          {top.length > 0 ? <FieldsOverTimeChart drift={drift} worst={top.slice(0, FIELD_COLORS.length)} /> : null}
          <details className={styles.details}>
            <summary>Every compared field ({fields.length})</summary>
            <div className={styles.tableWrap}>
              <table className={styles.table}>
                <caption className="visually-hidden">Drift ratios per compared feature and window</caption>
                <thead>
                  <tr>
                    <th scope="col">Feature</th>
                    <th scope="col">Window</th>
                    <th scope="col">Compared</th>
                    <th scope="col">Mismatch</th>
                    <th scope="col">Missing</th>
                    <th scope="col">Extra</th>
                    <th scope="col">SMAPE</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((f) => (
                    <tr key={f.field} data-field={f.field}>
                      <th scope="row">{f.feature}</th>
                      <td>{f.window}</td>
                      <td>{f.compared}</td>
                      <td>
                        <RatioBar ratio={f.mismatchRatio} />
                      </td>
                      <td>
                        <RatioBar ratio={f.missingRatio} />
                      </td>
                      <td>
                        <RatioBar ratio={f.extraRatio} />
                      </td>
                      <td>{f.smape === null ? '–' : f.smape.toFixed(3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

function RatioBar({ ratio }: { ratio: number }) {
  return (
    <span className={styles.ratio}>
      <span className={styles.ratioBar} style={{ width: `${Math.min(100, ratio * 100)}%` }} aria-hidden="true" />
      <span>{percent(ratio)}</span>
    </span>
  );
}

function ShoppersPanel({ shoppers }: { shoppers: readonly DriftingShopper[] }) {
  return (
    <section aria-labelledby="shoppers-heading" className={styles.panel}>
      <h2 id="shoppers-heading">Drifting shoppers</h2>
      {shoppers.length === 0 ? (
        <p className={styles.note}>No shopper drifted in the last 24 hours.</p>
      ) : (
        <>
          <div className={styles.tableWrap}>
            <table className={styles.table}>
              <caption className="visually-hidden">The latest drifting shoppers and their latest comparison</caption>
              <thead>
                <tr>
                  <th scope="col">Shopper</th>
                  <th scope="col">Last drift</th>
                  <th scope="col">Latest digest</th>
                  <th scope="col">Differing</th>
                  <th scope="col">Events browser / server</th>
                </tr>
              </thead>
              <tbody>
                {shoppers.map((s) => (
                  <tr key={s.userKey} data-user-key={s.userKey}>
                    <th scope="row">
                      <a href={`#shopper-${s.userKey}`} title={s.userKey}>
                        {shortKey(s.userKey)}
                      </a>
                    </th>
                    <td>{clock(s.lastDriftAtMs)}</td>
                    <td>
                      {s.latest === null
                        ? 'expired'
                        : s.latest.agree
                          ? 'agrees'
                          : CAUSE_LABEL[s.latest.cause ?? 'unknown']}
                    </td>
                    <td>{s.latest === null ? '–' : `${s.latest.differing} of ${s.latest.compared}`}</td>
                    <td>{s.latest === null ? '–' : `${s.latest.events.browser} / ${s.latest.events.server}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {shoppers.map((s, i) => (
            <ShopperDetail key={s.userKey} shopper={s} open={i === 0} />
          ))}
        </>
      )}
    </section>
  );
}

function ShopperDetail({ shopper, open }: { shopper: DriftingShopper; open: boolean }) {
  const r = shopper.latest;
  const headingId = `shopper-${shopper.userKey}-heading`;
  return (
    <article id={`shopper-${shopper.userKey}`} className={styles.shopper} aria-labelledby={headingId}>
      <h3 id={headingId}>
        Shopper <code>{shortKey(shopper.userKey)}</code>
        {r === null ? null : (
          <span className={r.agree ? styles.badgeOk : styles.badgeDrift}>
            {r.agree ? 'agrees now' : CAUSE_LABEL[r.cause ?? 'unknown']}
          </span>
        )}
      </h3>
      <div className={styles.shopperGrid}>
        {r === null ? <p className={styles.note}>The latest record expired.</p> : <Evidence record={r} />}
        <HistoryChart shopper={shopper} />
      </div>
      {r === null ? null : <SideBySide record={r} open={open} userKey={shopper.userKey} />}
    </article>
  );
}

function Evidence({ record: r }: { record: DriftRecord }) {
  return (
    <dl className={styles.evidence}>
      <dt>Digest at (device clock)</dt>
      <dd>
        {clock(r.digestAtMs)}, compared {clock(r.comparedAtMs)}
      </dd>
      <dt>Events browser / server</dt>
      <dd>
        {r.events.browser} / {r.events.server}
        {r.events.setsDiffer ? ' (the event sets differ)' : ' (same events)'}
      </dd>
      <dt>Last event found on the server</dt>
      <dd>
        {r.lastEventFound ? 'yes' : 'no'} (<code>{r.lastEventId.slice(0, 8)}</code>)
      </dd>
      <dt>Clock offset (device − collector)</dt>
      <dd>{r.clockOffsetMs === null ? 'unknown' : `${(r.clockOffsetMs / 1000).toFixed(1)} s`}</dd>
      <dt>Identity change</dt>
      <dd>{r.identityChanged ? 'yes (the session was seen under another user key)' : 'no'}</dd>
      <dt>Definition versions</dt>
      <dd>
        {r.definitionVersions.browser === r.definitionVersions.server
          ? 'same'
          : `browser ${r.definitionVersions.browser}, server ${r.definitionVersions.server}`}
      </dd>
      <dt>Server's recent events</dt>
      <dd>
        {r.events.serverRecent.length === 0 ? (
          'none'
        ) : (
          <ol className={styles.recent}>
            {r.events.serverRecent.map((e) => (
              <li key={e.id}>
                {clock(e.t)} <code>{e.id.slice(0, 8)}</code>
              </li>
            ))}
          </ol>
        )}
      </dd>
    </dl>
  );
}

function HistoryChart({ shopper }: { shopper: DriftingShopper }) {
  const data = shopper.history.map((p) => ({
    t: clock(p.comparedAtMs),
    differing: p.differing,
    gap: Math.abs(p.browserEvents - p.serverEvents),
  }));
  const last = shopper.history.at(-1);
  return (
    <ChartFigure
      id={`history-${shopper.userKey}`}
      title="Differing fields per digest"
      description={`${shopper.history.length} comparisons; the latest has ${last?.differing ?? 0} differing fields${
        last === undefined ? '' : ` and ${last.browserEvents} / ${last.serverEvents} events`
      }.`}
    >
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: -24 }} title="Differing fields per digest">
          <CartesianGrid stroke="#e3e8e4" strokeDasharray="3 3" />
          <XAxis dataKey="t" minTickGap={24} tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Legend />
          <Line
            type="stepAfter"
            dataKey="differing"
            name="Differing fields"
            stroke={DRIFT_COLOR}
            strokeWidth={2}
            dot={{ r: 3 }}
            isAnimationActive={false}
          />
          <Line
            type="stepAfter"
            dataKey="gap"
            name="Event count gap"
            stroke="#1a5fd0"
            strokeDasharray="4 3"
            dot={{ r: 2 }}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

function SideBySide({ record, open, userKey }: { record: DriftRecord; open: boolean; userKey: string }) {
  const rank = (f: FieldComparison) => (f.outcome === 'match' ? 1 : 0);
  const fields = [...record.fields].sort((a, b) => rank(a) - rank(b));
  return (
    <details className={styles.details} open={open}>
      <summary>
        Browser and server values of the latest digest ({record.differing} of {record.compared} differ)
      </summary>
      <div className={styles.tableWrap}>
        <table className={styles.table} data-side-by-side={userKey}>
          <caption className="visually-hidden">Browser and server values, side by side, of shopper {userKey}</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Browser</th>
              <th scope="col">Server</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f.field} data-field={f.field} className={f.outcome === 'match' ? undefined : styles.differs}>
                <th scope="row">{f.field}</th>
                <td>
                  <code>{f.browser ?? '∅'}</code>
                </td>
                <td>
                  <code>{f.server ?? '∅'}</code>
                </td>
                <td>
                  {f.outcome}
                  {f.smape === undefined || f.smape === 0 ? '' : ` (SMAPE ${f.smape.toFixed(3)})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {record.excluded.superseded.length + record.excluded.inexact.length > 0 ? (
        <p className={styles.note}>
          Left out: {[...record.excluded.superseded, ...record.excluded.inexact].join(', ')} (the server's lanes had
          moved on).
        </p>
      ) : null}
    </details>
  );
}

function MismatchesPanel({ records }: { records: readonly DriftRecord[] }) {
  return (
    <section aria-labelledby="mismatches-heading" className={styles.panel}>
      <h2 id="mismatches-heading">Latest mismatches</h2>
      {records.length === 0 ? (
        <p className={styles.note}>No digest has disagreed in the last 24 hours.</p>
      ) : (
        <div className={styles.tableWrap}>
          <table className={styles.table}>
            <caption className="visually-hidden">The latest digests that did not agree, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Compared</th>
                <th scope="col">Shopper</th>
                <th scope="col">Cause</th>
                <th scope="col">Differing fields</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={`${r.digestEventId}-${r.comparedAtMs}`}>
                  <td>{clock(r.comparedAtMs)}</td>
                  <th scope="row" title={r.userKey}>
                    {shortKey(r.userKey)}
                  </th>
                  <td>{CAUSE_LABEL[r.cause ?? 'unknown']}</td>
                  <td>
                    {r.fields
                      .slice(0, 4)
                      .map((f) => `${f.field} ${f.browser ?? '∅'} → ${f.server ?? '∅'}`)
                      .join('; ')}
                    {r.fields.length > 4 ? `; +${r.fields.length - 4} more` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
