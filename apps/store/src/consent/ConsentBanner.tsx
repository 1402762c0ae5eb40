'use client';

/**
 * The consent banner: a labelled region with a heading and three real buttons (accept, anonymous
 * statistics only, decline), in the page flow (not a
 * modal: the shop stays usable and untracked until the shopper decides). Shown while undecided and
 * when reopened from the footer's "Privacy choices"; then it takes the focus, and hands it back
 * after a choice or Esc.
 */
import { type KeyboardEvent, useEffect, useId, useRef } from 'react';
import styles from './consent.module.css';
import type { ConsentChoice } from './model.js';
import { useConsent } from './react.js';

const CURRENT: Record<ConsentChoice, string> = {
  granted:
    'You accepted: tracking and offers are on. Anonymous statistics or declining now deletes what this browser stored.',
  anonymous: 'You chose anonymous statistics: visits are counted without anything that identifies you, no offers.',
  denied: 'You declined: nothing is tracked or stored.',
};

export function ConsentBanner() {
  const { view, bannerOpen, saving, error, choose, closeBanner } = useConsent();
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const reopened = bannerOpen && view.choice !== null;

  useEffect(() => {
    // Reopened on request: move there. On first load the banner just sits first in the page.
    if (reopened) headingRef.current?.focus();
  }, [reopened]);

  if (!bannerOpen) return null;
  const decide = async (choice: ConsentChoice) => {
    await choose(choice);
    // The banner is gone after a saved choice: the focus goes back where the shopper opened it from.
    if (reopened) document.getElementById(PRIVACY_BUTTON_ID)?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && reopened) {
      event.preventDefault();
      closeBanner();
      document.getElementById(PRIVACY_BUTTON_ID)?.focus();
    }
  };
  return (
    <section className={styles.banner} aria-labelledby={titleId} onKeyDown={onKeyDown}>
      <div className={styles.inner}>
        <div className={styles.text}>
          <h2 id={titleId} ref={headingRef} tabIndex={-1}>
            Your privacy choices
          </h2>
          <p>
            With your consent we record what you view and put in your cart, and this browser computes your shopping
            features to show you offers. With anonymous statistics we count what is viewed and bought without any id,
            cookie or IP address of yours, and show no offers. Without consent nothing is recorded or stored. The shop
            works just the same either way.
          </p>
          {view.choice !== null ? <p className={styles.current}>{CURRENT[view.choice]}</p> : null}
        </div>
        <div className={styles.actions}>
          <button type="button" className="button" disabled={saving} onClick={() => void decide('granted')}>
            Accept
          </button>
          <button
            type="button"
            className="button button-quiet"
            disabled={saving}
            onClick={() => void decide('anonymous')}
          >
            Anonymous statistics only
          </button>
          <button type="button" className="button button-quiet" disabled={saving} onClick={() => void decide('denied')}>
            Decline
          </button>
        </div>
        {error !== null ? (
          <p role="alert" className={styles.error}>
            {error}
          </p>
        ) : null}
      </div>
    </section>
  );
}

/** The footer button's id: Esc in a reopened banner returns the focus to it. */
export const PRIVACY_BUTTON_ID = 'privacy-choices';

/** "Privacy choices" in the footer: reopens the banner to change the choice. */
export function PrivacyChoicesButton() {
  const { view, openBanner } = useConsent();
  if (!view.askWithBanner) return null;
  return (
    <p>
      <button id={PRIVACY_BUTTON_ID} type="button" className={styles.footerButton} onClick={openBanner}>
        Privacy choices
      </button>
    </p>
  );
}
