/**
 * React bindings of consent. `ConsentProvider` holds the shopper's choice (first rendered on the
 * server from the `tandem_consent` cookie, so the banner is in the HTML and nothing flashes),
 * saves new choices, keeps the page's other tabs in step (a BroadcastChannel), and lets a consent
 * management platform decide through `window.tandemConsent` or a `tandem:consent` event.
 */
'use client';

import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { CONSENT_EVENT, saveConsentChoice } from './browser.js';
import {
  type ConsentChoice,
  type ConsentView,
  isBannerDue,
  isConsentChoice,
  isPersonalTrackingAllowed,
} from './model.js';

export interface Consent {
  readonly view: ConsentView;
  /** Whether the banner shows: undecided, or reopened from the footer. */
  readonly bannerOpen: boolean;
  /** A save in flight (the banner's buttons wait for it). */
  readonly saving: boolean;
  /** Why the last save failed; null after a success. */
  readonly error: string | null;
  /** Saves a choice; resolves once stored and applied (never rejects: a failure lands in `error`). */
  choose(choice: ConsentChoice): Promise<void>;
  openBanner(): void;
  closeBanner(): void;
}

/**
 * What `window.tandemConsent` offers a consent management platform. Each call stores the choice (the
 * cookie) and applies it to every open tab; it resolves once stored, and never rejects.
 */
export interface ConsentWindowApi {
  /** The current choice (`granted`, `anonymous` or `denied`); null while undecided. */
  readonly choice: ConsentChoice | null;
  /** Full tracking with the shopper's ids, the feature worker, offers. */
  grant(): Promise<void>;
  /** Anonymous statistics only: no ids, no cookies, no IP kept, no features or offers. */
  grantAnonymous(): Promise<void>;
  /** Nothing tracked or stored. */
  deny(): Promise<void>;
}

const UNDECIDED: ConsentView = { askWithBanner: true, choice: null };

const ConsentContext = createContext<Consent>({
  view: UNDECIDED,
  bannerOpen: false,
  saving: false,
  error: null,
  choose: async () => {},
  openBanner() {},
  closeBanner() {},
});

const CHANNEL_NAME = 'tandem-consent';

export function ConsentProvider({ initial, children }: { initial: ConsentView; children?: ReactNode }) {
  const [choice, setChoice] = useState<ConsentChoice | null>(initial.choice);
  const [reopened, setReopened] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [channel, setChannel] = useState<BroadcastChannel | null>(null);
  const view = useMemo<ConsentView>(() => ({ askWithBanner: initial.askWithBanner, choice }), [initial, choice]);

  useEffect(() => {
    if (typeof BroadcastChannel === 'undefined') return;
    const opened = new BroadcastChannel(CHANNEL_NAME);
    // Another tab saved a choice (the cookie is shared already): apply it here too.
    opened.onmessage = (event: MessageEvent<unknown>) => {
      if (isConsentChoice(event.data)) setChoice(event.data);
    };
    setChannel(opened);
    return () => opened.close();
  }, []);

  const choose = useCallback(
    async (next: ConsentChoice) => {
      setSaving(true);
      try {
        await saveConsentChoice(next);
        setError(null);
        setReopened(false);
        setChoice(next);
        channel?.postMessage(next);
      } catch (failure) {
        setError((failure as Error).message);
      } finally {
        setSaving(false);
      }
    },
    [channel],
  );

  useEffect(() => {
    const api: ConsentWindowApi = {
      get choice() {
        return choice;
      },
      grant: () => choose('granted'),
      grantAnonymous: () => choose('anonymous'),
      deny: () => choose('denied'),
    };
    const target = globalThis as { tandemConsent?: ConsentWindowApi };
    target.tandemConsent = api;
    const onEvent = (event: Event) => {
      const detail = (event as CustomEvent<unknown>).detail;
      if (isConsentChoice(detail)) void choose(detail);
      else console.warn(`[consent] ${CONSENT_EVENT} needs detail "granted", "anonymous" or "denied"`, detail);
    };
    addEventListener(CONSENT_EVENT, onEvent);
    return () => {
      removeEventListener(CONSENT_EVENT, onEvent);
      if (target.tandemConsent === api) delete target.tandemConsent;
    };
  }, [choice, choose]);

  const value = useMemo<Consent>(
    () => ({
      view,
      bannerOpen: view.askWithBanner && (reopened || isBannerDue(view)),
      saving,
      error,
      choose,
      openBanner: () => setReopened(true),
      closeBanner: () => {
        setReopened(false);
        setError(null);
      },
    }),
    [view, reopened, saving, error, choose],
  );
  return createElement(ConsentContext.Provider, { value }, children);
}

/** The shopper's consent and how to change it. */
export function useConsent(): Consent {
  return useContext(ConsentContext);
}

/**
 * Renders `children` only while tracking with the shopper's ids is allowed, i.e. after a grant (e.g.
 * the "Why this offer?" drawer: anonymous statistics compute no features).
 */
export function WhenPersonalTrackingAllowed({ children }: { children?: ReactNode }) {
  const { view } = useConsent();
  return isPersonalTrackingAllowed(view.choice) ? children : null;
}
