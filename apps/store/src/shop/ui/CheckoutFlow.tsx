'use client';

import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { formatPrice } from '../../catalog/products';
import { useOffers } from '../../features/react';
import { type CartView, toCartState } from '../cart';
import {
  type Address,
  CHECKOUT_STEPS,
  DELIVERY_METHODS,
  type DeliveryMethod,
  deliveryCostMinor,
  type FieldErrors,
  PAYMENT_METHODS,
  type PaymentMethodId,
  validateAddress,
} from '../checkout';
import { useTracking } from '../tracking-bridge';
import { callApi } from './api';
import { browserSessionStorage, clearOfferCode, readOfferCode } from './offer-code-storage';
import { useHydrated } from './useHydrated';

type Step = 1 | 2 | 3;

const ADDRESS_LABELS: readonly [keyof Address, string, string][] = [
  ['name', 'Full name', 'name'],
  ['email', 'Email', 'email'],
  ['street', 'Street and number', 'street-address'],
  ['postcode', 'Postcode', 'postal-code'],
  ['city', 'City', 'address-level2'],
  ['country', 'Country', 'country-name'],
];

function Field({
  id,
  label,
  error,
  children,
}: {
  readonly id: string;
  readonly label: string;
  readonly error: string | undefined;
  readonly children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Address → delivery → payment → place order; each step is tracked as it is shown. */
export function CheckoutFlow({ cart, prefill }: { readonly cart: CartView; readonly prefill: Partial<Address> }) {
  const tracking = useTracking();
  const { dismiss: dismissOffer } = useOffers();
  const router = useRouter();
  const [step, setStep] = useState<Step>(1);
  const [address, setAddress] = useState<Address>({
    name: prefill.name ?? '',
    email: prefill.email ?? '',
    street: '',
    postcode: '',
    city: '',
    country: 'Ireland',
  });
  const [delivery, setDelivery] = useState<DeliveryMethod['id']>('standard');
  const [payment, setPayment] = useState<PaymentMethodId>('card');
  const [card, setCard] = useState({ cardNumber: '', expiry: '', cvc: '' });
  const [offerCode, setOfferCode] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitError, setSubmitError] = useState('');
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);

  // A code redeemed from an offer card earlier in this session (sessionStorage: client only).
  useEffect(() => {
    const stored = readOfferCode(browserSessionStorage(), Date.now());
    if (stored !== null) setOfferCode((typed) => (typed === '' ? stored.code : typed));
  }, []);

  const method = DELIVERY_METHODS.find((option) => option.id === delivery) ?? DELIVERY_METHODS[0];
  const deliveryMinor = method ? deliveryCostMinor(method, cart.totalMinor) : 0;

  // biome-ignore lint/correctness/useExhaustiveDependencies: tracked once per step shown, with the choices made so far.
  useEffect(() => {
    const details =
      step === 1
        ? undefined
        : step === 2
          ? { deliveryMethod: delivery }
          : { deliveryMethod: delivery, paymentMethod: payment };
    tracking.checkoutStep(step, toCartState(cart), details);
    // Move focus to the new step's heading (not on the first render: the page keeps its own focus).
    if (firstRender.current) firstRender.current = false;
    else headingRef.current?.focus();
  }, [step]);

  const invalid = (field: string) =>
    errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${field.replace('.', '-')}-error` } : {};

  function submitAddress() {
    const checked = validateAddress(address);
    setErrors(checked.errors);
    if (Object.keys(checked.errors).length === 0) setStep(2);
  }

  async function placeOrder() {
    setBusy(true);
    setSubmitError('');
    const code = offerCode.trim();
    const result = await callApi<{ orderId: string }>('POST', '/api/orders', {
      address,
      delivery,
      payment: payment === 'card' ? { method: payment, ...card } : { method: payment },
      ...(code === '' ? {} : { offerCode: code }),
    });
    if (!result.ok) {
      setBusy(false);
      setErrors(result.fieldErrors ?? {});
      setSubmitError(result.fieldErrors?.offerCode ? 'Please check the offer code.' : result.message);
      return;
    }
    if (code !== '') {
      // Spent: the offer that gave it is done for this session, and the next checkout starts empty.
      const stored = readOfferCode(browserSessionStorage(), Date.now());
      if (stored?.code === code) dismissOffer(stored.ruleId);
      clearOfferCode(browserSessionStorage());
    }
    router.push(`/order/${encodeURIComponent(result.data.orderId)}`);
    router.refresh();
  }

  const current = CHECKOUT_STEPS[step - 1];
  return (
    <div className="checkout">
      <ol className="steps" aria-label="Checkout steps">
        {CHECKOUT_STEPS.map((item) => (
          <li
            key={item.id}
            aria-current={item.step === step ? 'step' : undefined}
            className={item.step < step ? 'done' : ''}
          >
            {item.step}. {item.label}
          </li>
        ))}
      </ol>
      <h2 ref={headingRef} tabIndex={-1}>
        Step {step} of {CHECKOUT_STEPS.length}: {current?.label}
      </h2>

      {step === 1 ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            submitAddress();
          }}
        >
          <fieldset>
            <legend>Delivery address</legend>
            {ADDRESS_LABELS.map(([field, label, autoComplete]) => {
              const id = `address-${field}`;
              return (
                <Field key={field} id={id} label={label} error={errors[`address.${field}`]}>
                  <input
                    id={id}
                    name={field}
                    type={field === 'email' ? 'email' : 'text'}
                    autoComplete={autoComplete}
                    required
                    value={address[field]}
                    onChange={(event) => setAddress({ ...address, [field]: event.target.value })}
                    {...invalid(`address.${field}`)}
                  />
                </Field>
              );
            })}
          </fieldset>
          <button type="submit" className="button" disabled={!hydrated}>
            Continue to delivery
          </button>
        </form>
      ) : null}

      {step === 2 ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setStep(3);
          }}
        >
          <fieldset>
            <legend>Delivery option</legend>
            {DELIVERY_METHODS.map((option) => (
              <div className="choice" key={option.id}>
                <input
                  type="radio"
                  id={`delivery-${option.id}`}
                  name="delivery"
                  value={option.id}
                  checked={delivery === option.id}
                  onChange={() => setDelivery(option.id)}
                />
                <label htmlFor={`delivery-${option.id}`}>
                  {option.label} ({option.days}): {formatPrice(deliveryCostMinor(option, cart.totalMinor))}
                </label>
              </div>
            ))}
          </fieldset>
          <div className="actions">
            <button type="button" className="button button-quiet" onClick={() => setStep(1)}>
              Back
            </button>
            <button type="submit" className="button">
              Continue to payment
            </button>
          </div>
        </form>
      ) : null}

      {step === 3 ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void placeOrder();
          }}
        >
          <fieldset>
            <legend>Payment method</legend>
            {PAYMENT_METHODS.map((option) => (
              <div className="choice" key={option.id}>
                <input
                  type="radio"
                  id={`payment-${option.id}`}
                  name="payment"
                  value={option.id}
                  checked={payment === option.id}
                  onChange={() => setPayment(option.id)}
                />
                <label htmlFor={`payment-${option.id}`}>{option.label}</label>
              </div>
            ))}
          </fieldset>
          {payment === 'card' ? (
            <fieldset>
              <legend>Card details (demo: no payment is taken; try 4242 4242 4242 4242)</legend>
              <Field id="payment-cardNumber" label="Card number" error={errors['payment.cardNumber']}>
                <input
                  id="payment-cardNumber"
                  inputMode="numeric"
                  autoComplete="cc-number"
                  value={card.cardNumber}
                  onChange={(event) => setCard({ ...card, cardNumber: event.target.value })}
                  {...invalid('payment.cardNumber')}
                />
              </Field>
              <Field id="payment-expiry" label="Expiry (MM/YY)" error={errors['payment.expiry']}>
                <input
                  id="payment-expiry"
                  autoComplete="cc-exp"
                  placeholder="MM/YY"
                  value={card.expiry}
                  onChange={(event) => setCard({ ...card, expiry: event.target.value })}
                  {...invalid('payment.expiry')}
                />
              </Field>
              <Field id="payment-cvc" label="Security code" error={errors['payment.cvc']}>
                <input
                  id="payment-cvc"
                  inputMode="numeric"
                  autoComplete="cc-csc"
                  value={card.cvc}
                  onChange={(event) => setCard({ ...card, cvc: event.target.value })}
                  {...invalid('payment.cvc')}
                />
              </Field>
            </fieldset>
          ) : null}
          <Field id="offerCode" label="Offer code (optional)" error={errors.offerCode}>
            <input
              id="offerCode"
              name="offerCode"
              autoComplete="off"
              spellCheck={false}
              value={offerCode}
              onChange={(event) => {
                setOfferCode(event.target.value);
                if (errors.offerCode) setErrors(({ offerCode: _, ...rest }) => rest);
              }}
              aria-describedby={errors.offerCode ? 'offerCode-error' : 'offerCode-hint'}
              {...(errors.offerCode ? { 'aria-invalid': true } : {})}
            />
            <p id="offerCode-hint" className="hint">
              From an offer in this shop; it is checked and applied when you place the order.
            </p>
          </Field>
          <dl className="totals">
            <dt>Subtotal</dt>
            <dd>{formatPrice(cart.totalMinor)}</dd>
            <dt>Delivery ({method?.label})</dt>
            <dd>{formatPrice(deliveryMinor)}</dd>
            <dt>Total</dt>
            <dd>
              <strong>{formatPrice(cart.totalMinor + deliveryMinor)}</strong>
            </dd>
          </dl>
          <p role="alert" className="message error">
            {submitError}
          </p>
          <div className="actions">
            <button type="button" className="button button-quiet" onClick={() => setStep(2)}>
              Back
            </button>
            <button type="submit" className="button" disabled={busy || !hydrated}>
              {busy ? 'Placing order…' : 'Place order'}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
