'use client';

/**
 * The drift dashboard's offers panel: do offers work? Per rule and for any rule, the qualified
 * sessions of each arm, the offer rate (shown ÷ qualified), the redemption rate (codes ÷ shown), the
 * conversion rate of treatment and control (orders after qualifying ÷ qualified) and the uplift
 * (treatment − control) with its 95 % interval, or "not enough data"; and, beside the experiment, the
 * sessions taken for bots (no offers for them) and the redemptions refused as bots', per reason. The
 * numbers are computed on the server (offer-stats-model.ts); this file only renders them, on the
 * dashboard's poll.
 */
import { BOT_PEAK_EVENTS_10S } from '@tandem/feature-core';
import type { DriftDashboardBody } from '../server/drift-api';
import type { BotsReport, OfferRuleReport, Rate, Uplift } from '../server/offer-stats-model';
import styles from './drift-dashboard.module.css';

type OffersBody = DriftDashboardBody['offers'];

function percent(ratio: number | null, digits = 1): string {
  return ratio === null ? '–' : `${(ratio * 100).toFixed(digits)}%`;
}

/** A percentage-point difference with its sign. */
function points(difference: number): string {
  const value = (difference * 100).toFixed(1);
  return `${difference > 0 ? '+' : difference < 0 ? '−' : '±'}${value.replace('-', '')} pp`;
}

function RateCell({ rate }: { rate: Rate }) {
  return (
    <>
      <span>{percent(rate.rate)}</span>{' '}
      <span className={styles.tileDetail}>
        {rate.numerator}/{rate.denominator}
        {rate.lower === null || rate.upper === null ? '' : ` (${percent(rate.lower, 0)}–${percent(rate.upper, 0)})`}
      </span>
    </>
  );
}

const VERDICT: Record<'up' | 'down' | 'unclear', string> = {
  up: 'offers lift conversion',
  down: 'offers lower conversion',
  unclear: 'no clear difference yet',
};

/** The uplift in words, with the interval drawn on a −100..+100 pp track with 0 marked. */
function UpliftCell({ uplift }: { uplift: Uplift }) {
  if (!uplift.enough) return <span className={styles.tileDetail}>{uplift.reason}</span>;
  const x = (v: number) => `${((v + 1) / 2) * 100}%`;
  return (
    <span className={styles.uplift}>
      <span>
        <strong>{points(uplift.difference)}</strong> (95% CI {points(uplift.lower)} to {points(uplift.upper)}):{' '}
        {VERDICT[uplift.verdict]}
      </span>
      <span className={styles.ciTrack} aria-hidden="true">
        <span className={styles.ciZero} />
        <span
          className={`${styles.ciRange} ${uplift.verdict === 'up' ? styles.ciUp : uplift.verdict === 'down' ? styles.ciDown : ''}`}
          style={{ left: x(uplift.lower), width: `calc(${x(uplift.upper)} - ${x(uplift.lower)})` }}
        />
      </span>
    </span>
  );
}

function ruleName(row: OfferRuleReport): string {
  return row.ruleId === '*' ? 'Any offer' : row.ruleId;
}

export function OffersPanel({ offers }: { offers: OffersBody }) {
  return (
    <section aria-labelledby="offers-heading" className={styles.panel} data-panel="offers">
      <h2 id="offers-heading">Offers against the holdout</h2>
      {!offers.available ? (
        <p className={styles.problem} role="alert">
          Offer statistics are unavailable: {offers.reason}
        </p>
      ) : (
        <OffersReportView offers={offers} />
      )}
    </section>
  );
}

function OffersReportView({ offers }: { offers: Extract<OffersBody, { available: true }> }) {
  const any = offers.rules.find((row) => row.ruleId === '*');
  const { share } = offers.holdout;
  return (
    <>
      <p className={styles.summary}>
        {share === 0
          ? 'The holdout is off (OFFER_HOLDOUT_SHARE=0): every shopper sees the offers they qualify for, so there is no control group to compare with.'
          : `${percent(share, 0)} of browsers are a control group: they qualify for offers like everyone else but are never shown them.`}
        {offers.observedControlShare === null
          ? ' No session has qualified for an offer yet.'
          : ` Control is ${percent(offers.observedControlShare)} of the sessions that qualified.`}
      </p>
      {any === undefined ? null : (
        <dl className={styles.tiles} data-rule="*">
          <Tile
            label="Qualified sessions"
            value={`${any.treatment.qualified} / ${any.control.qualified}`}
            detail="treatment / control"
          />
          <Tile
            label="Offer rate"
            value={percent(any.offerRate.rate)}
            detail={`${any.offerRate.numerator} shown of ${any.offerRate.denominator} qualified (treatment)`}
          />
          <Tile
            label="Redemption rate"
            value={percent(any.redemptionRate.rate)}
            detail={`${any.redemptionRate.numerator} codes of ${any.redemptionRate.denominator} shown`}
          />
          <Tile
            label="Conversion"
            value={`${percent(any.conversion.treatment.rate)} vs ${percent(any.conversion.control.rate)}`}
            detail="treatment vs control"
          />
          <Tile
            label="Uplift"
            value={any.uplift.enough ? points(any.uplift.difference) : 'Not enough data'}
            detail={
              any.uplift.enough
                ? `95% CI ${points(any.uplift.lower)} to ${points(any.uplift.upper)}`
                : `${offers.minSessionsPerArm} qualified sessions per arm needed`
            }
          />
        </dl>
      )}
      <div className={styles.tableWrap}>
        <table className={styles.table}>
          <caption className="visually-hidden">Offer, redemption and conversion rates per rule and arm</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Qualified (T / C)</th>
              <th scope="col">Offer rate</th>
              <th scope="col">Redemption</th>
              <th scope="col">Conversion T</th>
              <th scope="col">Conversion C</th>
              <th scope="col">Uplift</th>
            </tr>
          </thead>
          <tbody>
            {offers.rules.map((row) => (
              <tr key={row.ruleId} data-rule={row.ruleId}>
                <th scope="row" title={row.description}>
                  {ruleName(row)}
                </th>
                <td data-cell="qualified">
                  {row.treatment.qualified} / {row.control.qualified}
                </td>
                <td>
                  <RateCell rate={row.offerRate} />
                </td>
                <td>
                  <RateCell rate={row.redemptionRate} />
                </td>
                <td>
                  <RateCell rate={row.conversion.treatment} />
                </td>
                <td>
                  <RateCell rate={row.conversion.control} />
                </td>
                <td data-cell="uplift">
                  <UpliftCell uplift={row.uplift} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className={styles.note}>
        One unit is a browser session that qualified for a rule. Offer rate: shown ÷ qualified (treatment; control is
        never shown one). Redemption: codes ÷ shown. Conversion: sessions with an order after qualifying ÷ qualified,
        per arm. Uplift: treatment − control conversion in percentage points, 95% Newcombe hybrid score interval;
        estimated from {offers.minSessionsPerArm} qualified sessions per arm.
      </p>
      <BotsView bots={offers.bots} />
    </>
  );
}

const BOT_REASON_LABEL: Record<BotsReport['reasons'][number]['reason'], string> = {
  crawler_user_agent: 'Crawler user agent',
  implausible_pace: 'Implausible pace',
};

/** Bots: counted beside the experiment, in no arm. */
function BotsView({ bots }: { bots: BotsReport }) {
  return (
    <section aria-labelledby="offers-bots-heading" data-section="bots">
      <h3 id="offers-bots-heading">Bots (no offers)</h3>
      <dl className={styles.tiles}>
        <Tile
          label="Bot sessions"
          value={String(bots.total.session)}
          detail={bots.reasons.map((row) => `${row.session} ${BOT_REASON_LABEL[row.reason].toLowerCase()}`).join(', ')}
        />
        <Tile
          label="Bot redemptions refused"
          value={String(bots.total.redeem_refused)}
          detail="sessions whose code request was refused as a bot's"
        />
      </dl>
      <div className={styles.tableWrap}>
        <table className={styles.table}>
          <caption className="visually-hidden">Bot sessions and refused redemptions per reason</caption>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col">Sessions</th>
              <th scope="col">Redemptions refused</th>
            </tr>
          </thead>
          <tbody>
            {bots.reasons.map((row) => (
              <tr key={row.reason} data-bot-reason={row.reason}>
                <th scope="row">{BOT_REASON_LABEL[row.reason]}</th>
                <td data-cell="sessions">{row.session}</td>
                <td data-cell="redeem-refused">{row.redeem_refused}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className={styles.note}>
        A bot is a session whose browser names a crawler in its user agent, or that sent {BOT_PEAK_EVENTS_10S} or more
        events within 10 seconds (feature-core bots.ts). Its worker shows it no offer and the page reports it once; a
        redemption the server refuses as a bot&apos;s counts its session too. Counted once per browser session, under
        the first reason seen, and in neither arm: bots are no part of the experiment.
      </p>
    </section>
  );
}

function Tile({ label, value, detail }: { label: string; value: string; detail: string }) {
  return (
    <div className={styles.tile}>
      <dt>{label}</dt>
      <dd>
        <span className={styles.tileValue}>{value}</span>
        <span className={styles.tileDetail}>{detail}</span>
      </dd>
    </div>
  );
}
