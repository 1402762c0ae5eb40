'use client';

/**
 * The shop's instant offers: one card per offer the feature worker fired in this session (the page
 * decides nothing, it renders the worker's snapshot). A polite live region announces each new offer
 * once; discount and free-delivery cards redeem a code from the server; the chat card opens a small
 * demo chat (no network). Any failure here stays inside its card: offers never break the page.
 *
 * The offers holdout: a browser in the control arm (offer-events.ts, from the tracking config's
 * holdout) gets no card at all, but its qualifications are reported like everyone's, so the server
 * can compare conversion with and without offers.
 *
 * Bots: the worker shows a bot no offer (its snapshot says why, `bot`); the page reports the session
 * once, with the reason, so operators see how many sessions were taken for bots.
 */
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ActiveOffer } from '../../features/feature-state';
import { useFeatures } from '../../features/react';
import { browserSessionStorage, readOfferCode, saveOfferCode } from './offer-code-storage';
import { dismissLabel, newOfferAnnouncement, offerCopy } from './offer-copy';
import {
  browserArm,
  browserIdFromCookies,
  createOfferEventReporter,
  type HoldoutConfig,
  type OfferEventReporter,
} from './offer-events';
import { type RedeemedCode, redeemOffer } from './redeem';

const NO_OFFERS: readonly ActiveOffer[] = Object.freeze([]);

/** sessionStorage key of the offers already announced (so a reload does not announce them again). */
const ANNOUNCED_KEY = 'tandem.offersAnnounced';

function loadAnnounced(): Set<string> {
  try {
    const parsed: unknown = JSON.parse(browserSessionStorage()?.getItem(ANNOUNCED_KEY) ?? '[]');
    return new Set(Array.isArray(parsed) ? parsed.filter((key): key is string => typeof key === 'string') : []);
  } catch {
    return new Set();
  }
}

function saveAnnounced(keys: ReadonlySet<string>): void {
  try {
    browserSessionStorage()?.setItem(ANNOUNCED_KEY, JSON.stringify([...keys].slice(-50)));
  } catch {
    // Worst case an offer is announced again after a reload.
  }
}

let reporter: OfferEventReporter | null = null;

/** The page's reporter of offer events (one per page load, like the tracker). */
function offerEvents(): OfferEventReporter {
  reporter ??= createOfferEventReporter({
    fetch: (input, init) => fetch(input, init),
    storage: browserSessionStorage(),
    log: (line) => console.warn(`[offers] ${line}`),
  });
  return reporter;
}

/** The offers region of the layout; `holdout` is the tracking config's (absent: no holdout). */
export function OffersRegion({ holdout }: { readonly holdout?: HoldoutConfig }) {
  const { offers: qualified, dismiss, snapshot } = useFeatures();
  const bot = snapshot?.bot ?? null;
  const botSession = snapshot?.sessionKey ?? null;
  // Read on each render (cheap): the tracker writes its cookie before the first offer can fire.
  const arm = browserArm(holdout, typeof document === 'undefined' ? null : browserIdFromCookies(document.cookie));
  const offers = arm === 'treatment' ? qualified : NO_OFFERS;
  // Hidden at once on dismiss; the worker's next snapshot (which no longer has it) follows.
  const [dismissedHere, setDismissedHere] = useState<readonly string[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const announced = useRef<Set<string> | null>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const shown = offers.filter((offer) => !dismissedHere.includes(offer.ruleId));

  // Every arm reports what it qualified for; only treatment reports what it was shown (after render).
  useEffect(() => {
    if (arm === null) return;
    for (const offer of qualified) offerEvents().report(offer.sessionKey, offer.ruleId, 'qualified');
    if (arm === 'treatment') for (const offer of shown) offerEvents().report(offer.sessionKey, offer.ruleId, 'shown');
  }, [arm, qualified, shown]);

  // In every arm: bots are counted beside the experiment, not in it.
  useEffect(() => {
    if (bot !== null && botSession !== null) offerEvents().reportBot(botSession, bot);
  }, [bot, botSession]);

  useEffect(() => {
    announced.current ??= loadAnnounced();
    const { text, keys } = newOfferAnnouncement(offers, announced.current);
    if (keys.length === 0) return;
    for (const key of keys) announced.current.add(key);
    saveAnnounced(announced.current);
    setAnnouncement(text);
  }, [offers]);

  const onDismiss = useCallback(
    (ruleId: string) => {
      setDismissedHere((ids) => [...ids, ruleId]);
      const offer = shown.find((candidate) => candidate.ruleId === ruleId);
      if (offer !== undefined) offerEvents().report(offer.sessionKey, ruleId, 'dismissed');
      dismiss(ruleId);
      // The focused button goes away with its card: move focus to the next card, else to the page.
      const next = shown.find((offer) => offer.ruleId !== ruleId);
      const target = next
        ? listRef.current?.querySelector<HTMLElement>(`[data-offer-rule="${CSS.escape(next.ruleId)}"]`)
        : document.getElementById('main');
      target?.focus();
    },
    [dismiss, shown],
  );

  return (
    <div className="offers">
      {/* Always in the DOM, so screen readers are listening before the first offer arrives. */}
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {shown.length > 0 ? (
        <section aria-labelledby="offers-title" className="offers-panel">
          <h2 id="offers-title" className="visually-hidden">
            Offers for you
          </h2>
          <ul className="offers-list" ref={listRef}>
            {shown.map((offer) => (
              <li key={`${offer.sessionKey}:${offer.ruleId}`}>
                <OfferCard offer={offer} onDismiss={onDismiss} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

function OfferCard({
  offer,
  onDismiss,
}: {
  readonly offer: ActiveOffer;
  readonly onDismiss: (ruleId: string) => void;
}) {
  const copy = offerCopy(offer.offer);
  const headingId = useId();
  const [chatOpen, setChatOpen] = useState(false);
  const startRef = useRef<HTMLButtonElement>(null);
  return (
    <article
      className={`offer-card offer-card-${copy.action}`}
      aria-labelledby={headingId}
      data-offer-rule={offer.ruleId}
      tabIndex={-1}
    >
      <div className="offer-head">
        <h3 id={headingId}>{copy.heading}</h3>
        <button
          type="button"
          className="offer-dismiss"
          aria-label={dismissLabel(offer.offer)}
          onClick={() => onDismiss(offer.ruleId)}
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <p className="offer-body">{copy.body}</p>
      {copy.action === 'chat' ? (
        chatOpen ? (
          <DemoChat
            onEnd={() => {
              setChatOpen(false);
              requestAnimationFrame(() => startRef.current?.focus());
            }}
          />
        ) : (
          <button ref={startRef} type="button" className="button" onClick={() => setChatOpen(true)}>
            {copy.actionLabel}
          </button>
        )
      ) : null}
      {copy.action === 'redeem' ? <RedeemControl offer={offer} label={copy.actionLabel} /> : null}
    </article>
  );
}

type RedeemState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'done'; readonly code: RedeemedCode }
  | { readonly kind: 'failed'; readonly message: string; readonly retryable: boolean };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const timeOfDay = (ms: number) => new Date(ms).toLocaleTimeString('en-IE', { hour: '2-digit', minute: '2-digit' });

/** "Get my code" → busy (the server may wait ~10 s for the event) → the code, or a polite error. */
function RedeemControl({ offer, label }: { readonly offer: ActiveOffer; readonly label: string }) {
  const [state, setState] = useState<RedeemState>({ kind: 'idle' });
  const [copied, setCopied] = useState('');
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    // Redeemed earlier in this session (another page, a reload): show the same code again.
    const stored = readOfferCode(browserSessionStorage(), Date.now());
    if (stored !== null && stored.ruleId === offer.ruleId) setState({ kind: 'done', code: stored });
    return () => {
      mounted.current = false;
    };
  }, [offer.ruleId]);

  async function redeem() {
    setState({ kind: 'busy' });
    setCopied('');
    const outcome = await redeemOffer(offer, { fetch: (input, init) => fetch(input, init), sleep });
    if (!mounted.current) return;
    if (outcome.ok) {
      saveOfferCode(browserSessionStorage(), outcome.code);
      setState({ kind: 'done', code: outcome.code });
    } else {
      setState({ kind: 'failed', message: outcome.message, retryable: outcome.retryable });
    }
  }

  async function copy(code: string) {
    try {
      await navigator.clipboard.writeText(code);
      setCopied('Code copied.');
    } catch {
      setCopied('Could not copy: select the code and copy it.');
    }
  }

  const status =
    state.kind === 'busy'
      ? 'Checking your offer with the shop: this can take a few seconds.'
      : state.kind === 'failed'
        ? state.message
        : state.kind === 'done'
          ? copied || 'Your code is ready. We will fill it in at checkout.'
          : '';
  return (
    <div className="offer-redeem">
      {state.kind === 'done' ? (
        <>
          <p className="offer-code-line">
            Your code: <code className="offer-code">{state.code.code}</code>
          </p>
          <p className="hint">Valid until {timeOfDay(state.code.expiresAtMs)}, once, in this browser.</p>
          <button type="button" className="button button-quiet" onClick={() => void copy(state.code.code)}>
            Copy code
          </button>
        </>
      ) : state.kind === 'failed' && !state.retryable ? null : (
        <button
          type="button"
          className="button"
          // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
          aria-disabled={state.kind === 'busy'}
          aria-busy={state.kind === 'busy'}
          onClick={() => {
            if (state.kind !== 'busy') void redeem();
          }}
        >
          {state.kind === 'busy' ? 'Getting your code…' : state.kind === 'failed' ? 'Try again' : label}
        </button>
      )}
      <p role="status" className={state.kind === 'failed' ? 'offer-status error' : 'offer-status'}>
        {status}
      </p>
    </div>
  );
}

interface ChatMessage {
  readonly from: 'agent' | 'you';
  readonly text: string;
}

const GREETING: ChatMessage = {
  from: 'agent',
  text: 'Hi, I am Sam from Tandem Outfitters. How can I help with your cart? (A demo: nobody is on the other end.)',
};
const REPLY: ChatMessage = {
  from: 'agent',
  text: 'Thanks! In a real shop a colleague would answer here within a minute.',
};

/** A local demo chat: messages stay in this component, nothing is sent. */
function DemoChat({ onEnd }: { readonly onEnd: () => void }) {
  const [messages, setMessages] = useState<readonly ChatMessage[]>([GREETING]);
  const [draft, setDraft] = useState('');
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const logRef = useRef<HTMLOListElement>(null);
  useEffect(() => inputRef.current?.focus(), []);
  // Keep the newest message in view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per new message.
  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages.length]);

  function send(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (text === '') return;
    setMessages((list) => [...list, { from: 'you', text }, REPLY]);
    setDraft('');
  }

  return (
    <div className="offer-chat">
      <ol ref={logRef} className="chat-log" role="log" aria-label="Chat with Tandem Outfitters (demo)">
        {messages.map((message, index) => (
          // Messages are only ever appended: the index is a stable key.
          // biome-ignore lint/suspicious/noArrayIndexKey: append-only list
          <li key={index} className={`chat-${message.from}`}>
            <span className="visually-hidden">{message.from === 'you' ? 'You: ' : 'Sam: '}</span>
            {message.text}
          </li>
        ))}
      </ol>
      <form className="chat-form" onSubmit={send}>
        <label htmlFor={inputId} className="visually-hidden">
          Your message
        </label>
        <input
          ref={inputRef}
          id={inputId}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Your message"
          autoComplete="off"
        />
        <button type="submit" className="button">
          Send
        </button>
      </form>
      <button type="button" className="link-button" onClick={onEnd}>
        End chat
      </button>
    </div>
  );
}
