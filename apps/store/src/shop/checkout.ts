/**
 * Checkout as pure data: the steps, delivery options and their cost, and the validation the server
 * applies to what the checkout form sends. No real payment happens: the card is checked for shape
 * only and never stored (the order keeps its last four digits).
 */

export const CHECKOUT_STEPS = [
  { step: 1, id: 'address', label: 'Address' },
  { step: 2, id: 'delivery', label: 'Delivery' },
  { step: 3, id: 'payment', label: 'Payment' },
] as const;

export type CheckoutStepId = (typeof CHECKOUT_STEPS)[number]['id'];

export interface DeliveryMethod {
  readonly id: 'standard' | 'express' | 'pickup';
  readonly label: string;
  readonly days: string;
  /** Cost in minor units; standard delivery is free from FREE_DELIVERY_FROM_MINOR. */
  readonly costMinor: number;
}

export const DELIVERY_METHODS: readonly DeliveryMethod[] = [
  { id: 'standard', label: 'Standard', days: '3–5 working days', costMinor: 495 },
  { id: 'express', label: 'Express', days: 'next working day', costMinor: 995 },
  { id: 'pickup', label: 'Pick up in store', days: 'ready in 2 hours', costMinor: 0 },
];

/** Subtotal (minor units) from which standard delivery is free. */
export const FREE_DELIVERY_FROM_MINOR = 5_000;

export const PAYMENT_METHODS = [
  { id: 'card', label: 'Card' },
  { id: 'invoice', label: 'Invoice (pay in 30 days)' },
] as const;

export type PaymentMethodId = (typeof PAYMENT_METHODS)[number]['id'];

export interface Address {
  readonly name: string;
  readonly street: string;
  readonly postcode: string;
  readonly city: string;
  readonly country: string;
  readonly email: string;
}

export interface CheckoutInput {
  readonly address: Address;
  readonly delivery: DeliveryMethod['id'];
  readonly payment: {
    readonly method: PaymentMethodId;
    readonly cardNumber?: string;
    readonly expiry?: string;
    readonly cvc?: string;
  };
}

/** What the server keeps of a valid checkout: no card number, only its last four digits. */
export interface CheckedOutDetails {
  readonly address: Address;
  readonly delivery: DeliveryMethod;
  readonly paymentMethod: PaymentMethodId;
  readonly cardLast4: string | null;
}

/** Field name (e.g. `address.city`, `payment.cardNumber`) → message for people. */
export type FieldErrors = Record<string, string>;

export type CheckoutValidation =
  | { readonly ok: true; readonly value: CheckedOutDetails }
  | { readonly ok: false; readonly errors: FieldErrors };

/** Delivery cost in minor units for a subtotal (standard is free from FREE_DELIVERY_FROM_MINOR). */
export function deliveryCostMinor(method: DeliveryMethod, subtotalMinor: number): number {
  if (method.id === 'standard' && subtotalMinor >= FREE_DELIVERY_FROM_MINOR) return 0;
  return method.costMinor;
}

const ADDRESS_FIELDS: readonly (keyof Address)[] = ['name', 'street', 'postcode', 'city', 'country', 'email'];

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Address errors only (the form's first step checks these before moving on). */
export function validateAddress(input: unknown): { address: Address; errors: FieldErrors } {
  const source = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const errors: FieldErrors = {};
  const values = Object.fromEntries(
    ADDRESS_FIELDS.map((field) => [field, text(source[field]).slice(0, 200)]),
  ) as unknown as Address;
  for (const field of ADDRESS_FIELDS) if (values[field] === '') errors[`address.${field}`] = 'Required';
  if (values.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email))
    errors['address.email'] = 'Enter an email address like name@example.com';
  return { address: values, errors };
}

/** Validates an untrusted checkout body. */
export function validateCheckout(body: unknown): CheckoutValidation {
  const source = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { address, errors } = validateAddress(source.address);
  const delivery = DELIVERY_METHODS.find((method) => method.id === source.delivery);
  if (delivery === undefined) errors.delivery = 'Choose a delivery option';
  const payment = (typeof source.payment === 'object' && source.payment !== null ? source.payment : {}) as Record<
    string,
    unknown
  >;
  const method = PAYMENT_METHODS.find((option) => option.id === payment.method)?.id;
  let cardLast4: string | null = null;
  if (method === undefined) errors['payment.method'] = 'Choose a payment method';
  if (method === 'card') {
    const digits = text(payment.cardNumber).replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(digits)) errors['payment.cardNumber'] = 'Enter the 12–19 digits of the card';
    else cardLast4 = digits.slice(-4);
    if (!/^(0[1-9]|1[0-2])\/\d{2}$/.test(text(payment.expiry))) errors['payment.expiry'] = 'Enter the expiry as MM/YY';
    if (!/^\d{3,4}$/.test(text(payment.cvc))) errors['payment.cvc'] = 'Enter the 3 or 4 digit security code';
  }
  if (Object.keys(errors).length > 0 || delivery === undefined || method === undefined) return { ok: false, errors };
  return { ok: true, value: { address, delivery, paymentMethod: method, cardLast4 } };
}
