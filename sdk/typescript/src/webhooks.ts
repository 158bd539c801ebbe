// Verifying the webhooks Patron sends: signed per Standard Webhooks (`webhook-id`,
// `webhook-timestamp`, `webhook-signature` headers), body `{"type","timestamp","data"}` where
// `data` is the object the event is about, as the REST API answers it.
import { Webhook, WebhookVerificationError as StandardError } from 'standardwebhooks';
import type { Ban, Customer, Entitlement, Order, Subscription, WebhookEventType } from './types.js';

/** `data` when the object is gone or too large for a payload (over 20 KB): only its id. */
export interface ObjectStub {
  id: string;
  object: string;
}

type Family<F extends string> = Extract<WebhookEventType, `${F}.${string}`>;

interface EventOf<T extends WebhookEventType, D> {
  /** The event's id (`evt_...`, the `webhook-id` header): the same on every retry, dedupe by it. */
  id: string;
  /** Such as `customer.created`. */
  type: T;
  /** When it happened (RFC 3339). */
  timestamp: string;
  /** The object, as `GET` answers it now, or a stub. */
  data: D | ObjectStub;
}

/**
 * An event, narrowed by `type`: `customer.*` carry a customer; `order.*`, `refund.*` and
 * `dispute.*` the order with its `customer`; `subscription.*` the subscription with its
 * `customer`; `entitlement.*` an entitlement; `ban.*` a ban.
 */
export type WebhookEvent =
  | EventOf<Family<'customer'>, Customer>
  | EventOf<Family<'order' | 'refund' | 'dispute'>, Order & { customer?: Customer }>
  | EventOf<Family<'subscription'>, Subscription & { customer?: Customer }>
  | EventOf<Family<'entitlement'>, Entitlement>
  | EventOf<Family<'ban'>, Ban>;

/** The body or signature is not what Patron signed with this secret (or is over 5 minutes old). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** Request headers as Node (`req.headers`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders =
  Headers | Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/**
 * Checks a delivery and returns its event. `payload` is the raw body, exactly as received
 * (a string, Buffer or Uint8Array: parse it only afterwards); `secret` is the endpoint's
 * `whsec_...`. Throws `WebhookVerificationError` when anything does not match.
 */
function verify(payload: string | Uint8Array, headers: WebhookHeaders, secret: string): WebhookEvent {
  const wanted = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
  const found: Record<string, string> = {};
  for (const name of wanted) {
    const value = header(headers, name);
    if (!value) throw new WebhookVerificationError(`the ${name} header is missing`);
    found[name] = value;
  }
  let event: unknown;
  try {
    event = new Webhook(secret).verify(payload, found);
  } catch (error) {
    if (error instanceof StandardError) throw new WebhookVerificationError(error.message);
    if (error instanceof SyntaxError)
      throw new WebhookVerificationError(`the signed body is not JSON: ${error.message}`);
    throw error;
  }
  const e = event as Partial<WebhookEvent> | undefined;
  if (!e || typeof e.type !== 'string' || typeof e.data !== 'object' || e.data === null) {
    throw new WebhookVerificationError('the signed body is not a Patron event: it lacks type or data');
  }
  return { id: found['webhook-id'], ...e } as WebhookEvent;
}

/** Webhook helpers; `patron.webhooks` is the same object. */
export const webhooks = { verify } as const;
