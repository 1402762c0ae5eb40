/**
 * Acceptance checks: the rules an event must pass to count, for every field feature-core reads,
 * taken from the Snowplow schemas (SNOWPLOW.md §1). The browser worker, the aggregator and the
 * collector all run these, so the browser never counts what the collector rejects.
 *
 * Each `accept*` takes the `data` of a self-describing JSON and returns the typed entity or a rejection.
 */
import type { Cart, CheckoutStep, EcommerceActionType, Product, Promotion, Transaction } from './event.js';
import { ECOMMERCE_ACTION_TYPES } from './event.js';
import { ok, type Result, reject } from './result.js';

/** Largest price or value the ecommerce schemas allow. */
export const MAX_MONEY = 9_999_999;
/** Event times further in the past than this, before the collector time, are clock skew. */
export const MAX_EVENT_AGE_MS = 24 * 60 * 60 * 1000;
/** Event times further in the future than this, after the collector time, are clock skew. */
export const MAX_EVENT_LEAD_MS = 5 * 60 * 1000;

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Converts a schema decimal with `multipleOf: 0.01` to integer minor units, or null when it is not
 * such a number. The check tolerates binary floating point (19.99 * 100 is 1998.9999999999998).
 */
export function toMinorUnits(value: unknown, max = MAX_MONEY): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) return null;
  const scaled = value * 100;
  const minor = Math.round(scaled);
  return Math.abs(scaled - minor) < 1e-6 ? minor : null;
}

function field(entity: string, name: string, detail: string) {
  return reject('invalid_field', `${entity}.${name}: ${detail}`);
}

/** A required string of at most `maxLength` characters. */
function requiredString(data: Json, entity: string, name: string, maxLength: number): Result<string> {
  const value = data[name];
  if (value === undefined || value === null) return reject('invalid_field', `${entity}.${name} is required`);
  if (typeof value !== 'string') return field(entity, name, 'must be a string');
  if (value.length > maxLength) return field(entity, name, `longer than ${maxLength}`);
  return ok(value);
}

/** An optional string (absent or null gives null) of at most `maxLength` characters. */
function optionalString(data: Json, entity: string, name: string, maxLength: number): Result<string | null> {
  const value = data[name];
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== 'string') return field(entity, name, 'must be a string or null');
  if (value.length > maxLength) return field(entity, name, `longer than ${maxLength}`);
  return ok(value);
}

function optionalInteger(data: Json, entity: string, name: string, min: number): Result<number | null> {
  const value = data[name];
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    return field(entity, name, `must be an integer >= ${min}`);
  }
  return ok(value);
}

function currency(data: Json, entity: string): Result<string> {
  const value = data.currency;
  if (typeof value !== 'string' || value.length !== 3) return field(entity, 'currency', 'must be 3 characters');
  return ok(value);
}

function money(data: Json, entity: string, name: string): Result<number> {
  if (data[name] === undefined || data[name] === null) return reject('invalid_field', `${entity}.${name} is required`);
  const minor = toMinorUnits(data[name]);
  if (minor === null) return field(entity, name, `must be a number 0..${MAX_MONEY} with at most 2 decimals`);
  return ok(minor);
}

/** `snowplow_ecommerce_action` 1-0-2: `type` from the enum, `name` string|null of at most 128. */
export function acceptEcommerceAction(data: unknown): Result<{ type: EcommerceActionType; name: string | null }> {
  if (!isRecord(data)) return reject('invalid_field', 'snowplow_ecommerce_action must be an object');
  // The constant from the list, not the parsed string: later comparisons are then pointer-equal.
  const type = ECOMMERCE_ACTION_TYPES.find((known) => known === data.type);
  if (type === undefined) {
    return field('snowplow_ecommerce_action', 'type', `unknown action type ${JSON.stringify(data.type)}`);
  }
  const name = optionalString(data, 'snowplow_ecommerce_action', 'name', 128);
  if (!name.ok) return name;
  return ok({ type, name: name.value });
}

/** `product` 1-0-0: id, category, price, currency required (category too, whatever the TS types say). */
export function acceptProduct(data: unknown): Result<Product> {
  if (!isRecord(data)) return reject('invalid_field', 'product must be an object');
  const id = requiredString(data, 'product', 'id', 4096);
  if (!id.ok) return id;
  const category = requiredString(data, 'product', 'category', 4096);
  if (!category.ok) return category;
  const priceMinor = money(data, 'product', 'price');
  if (!priceMinor.ok) return priceMinor;
  const cur = currency(data, 'product');
  if (!cur.ok) return cur;
  const name = optionalString(data, 'product', 'name', 4096);
  if (!name.ok) return name;
  const brand = optionalString(data, 'product', 'brand', 4096);
  if (!brand.ok) return brand;
  const quantity = optionalInteger(data, 'product', 'quantity', 0);
  if (!quantity.ok) return quantity;
  const position = optionalInteger(data, 'product', 'position', 0);
  if (!position.ok) return position;
  return ok({
    id: id.value,
    category: category.value,
    priceMinor: priceMinor.value,
    currency: cur.value,
    name: name.value,
    brand: brand.value,
    quantity: quantity.value,
  });
}

/** `cart` 1-0-0: total_value (2 decimals) and currency required. */
export function acceptCart(data: unknown): Result<Cart> {
  if (!isRecord(data)) return reject('invalid_field', 'cart must be an object');
  const totalValueMinor = money(data, 'cart', 'total_value');
  if (!totalValueMinor.ok) return totalValueMinor;
  const cur = currency(data, 'cart');
  if (!cur.ok) return cur;
  const cartId = optionalString(data, 'cart', 'cart_id', 4096);
  if (!cartId.ok) return cartId;
  return ok({ totalValueMinor: totalValueMinor.value, currency: cur.value, cartId: cartId.value });
}

/** `checkout_step` 1-0-0: step an integer 1..90. */
export function acceptCheckoutStep(data: unknown): Result<CheckoutStep> {
  if (!isRecord(data)) return reject('invalid_field', 'checkout_step must be an object');
  const step = data.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1 || step > 90) {
    return field('checkout_step', 'step', 'must be an integer 1..90');
  }
  const paymentMethod = optionalString(data, 'checkout_step', 'payment_method', 128);
  if (!paymentMethod.ok) return paymentMethod;
  const deliveryMethod = optionalString(data, 'checkout_step', 'delivery_method', 128);
  if (!deliveryMethod.ok) return deliveryMethod;
  return ok({ step, paymentMethod: paymentMethod.value, deliveryMethod: deliveryMethod.value });
}

/** `transaction` 1-0-0: transaction_id, revenue, currency, payment_method, total_quantity required. */
export function acceptTransaction(data: unknown): Result<Transaction> {
  if (!isRecord(data)) return reject('invalid_field', 'transaction must be an object');
  const transactionId = requiredString(data, 'transaction', 'transaction_id', 4096);
  if (!transactionId.ok) return transactionId;
  if (transactionId.value === '') return field('transaction', 'transaction_id', 'must not be empty');
  const revenueMinor = money(data, 'transaction', 'revenue');
  if (!revenueMinor.ok) return revenueMinor;
  const cur = currency(data, 'transaction');
  if (!cur.ok) return cur;
  const paymentMethod = requiredString(data, 'transaction', 'payment_method', 128);
  if (!paymentMethod.ok) return paymentMethod;
  const totalQuantity = data.total_quantity;
  if (typeof totalQuantity !== 'number' || !Number.isInteger(totalQuantity) || totalQuantity < 0) {
    return field('transaction', 'total_quantity', 'is required, an integer >= 0');
  }
  const discountCode = optionalString(data, 'transaction', 'discount_code', 99);
  if (!discountCode.ok) return discountCode;
  return ok({
    transactionId: transactionId.value,
    revenueMinor: revenueMinor.value,
    currency: cur.value,
    paymentMethod: paymentMethod.value,
    totalQuantity,
  });
}

/** `promotion` 1-0-0: id required. */
export function acceptPromotion(data: unknown): Result<Promotion> {
  if (!isRecord(data)) return reject('invalid_field', 'promotion must be an object');
  const id = requiredString(data, 'promotion', 'id', 4096);
  if (!id.ok) return id;
  const name = optionalString(data, 'promotion', 'name', 4096);
  if (!name.ok) return name;
  return ok({ id: id.value, name: name.value });
}

/** `site_search` 1-0-0: terms, an array of strings, required. */
export function acceptSiteSearch(data: unknown): Result<string[]> {
  if (!isRecord(data) || !Array.isArray(data.terms) || !data.terms.every((t) => typeof t === 'string')) {
    return reject('invalid_field', 'site_search.terms must be an array of strings');
  }
  return ok(data.terms as string[]);
}

/** What the entity checks need of a `client_session` 1-0-2: its `sessionId`. */
export function acceptClientSession(data: unknown): Result<{ sessionId: string }> {
  if (!isRecord(data)) return reject('invalid_field', 'client_session must be an object');
  const sessionId = data.sessionId;
  if (typeof sessionId !== 'string' || sessionId === '') {
    return field('client_session', 'sessionId', 'must be a non-empty string');
  }
  return ok({ sessionId });
}

/**
 * Bounds an event time against the collector time (FEATURES.md "Late and odd events"): a time outside
 * [collector − 24 h, collector + 5 min] is replaced by the collector time and flagged as clock skew.
 * Without a collector time (the browser), the event time stands.
 */
export function boundEventTime(
  eventTimeMs: number,
  collectorTimeMs: number | null,
): { eventTimeMs: number; clockSkewCorrected: boolean } {
  if (collectorTimeMs === null) return { eventTimeMs, clockSkewCorrected: false };
  if (eventTimeMs < collectorTimeMs - MAX_EVENT_AGE_MS || eventTimeMs > collectorTimeMs + MAX_EVENT_LEAD_MS) {
    return { eventTimeMs: collectorTimeMs, clockSkewCorrected: true };
  }
  return { eventTimeMs, clockSkewCorrected: false };
}

/** Epoch ms that are a plausible event time: an integer in years 2000..2100. */
export function isPlausibleEpochMs(value: number): boolean {
  return Number.isInteger(value) && value >= 946_684_800_000 && value < 4_102_444_800_000;
}
