// Checkouts (a purchase: customer found or created, order paid, benefits granted) and
// customer sessions (one-time links into the customer portal).
import type { RequestOptions } from '../core.js';
import type { Checkout, CustomerSession, JsonBody } from '../types.js';
import { Resource } from './base.js';

export class Checkouts extends Resource {
  /** Records a purchase. Retried calls reuse one Idempotency-Key: the buyer is charged once. */
  create(body: JsonBody<'/checkouts', 'post'>, options?: RequestOptions): Promise<Checkout> {
    return this.core.request('post', '/checkouts', { body }, options);
  }
}

export class CustomerSessions extends Resource {
  /**
   * A one-time portal link for a customer, valid for an hour; with `embed_origin`, `url` is the
   * address of a frame for `embed.mount`.
   */
  create(body: JsonBody<'/customer_sessions', 'post'>, options?: RequestOptions): Promise<CustomerSession> {
    return this.core.request('post', '/customer_sessions', { body }, options);
  }
}
