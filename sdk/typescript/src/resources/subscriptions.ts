// Subscriptions: a customer's, one, and what can happen to it (cancel, recover, revoke), with
// its invoices.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Invoice, JsonBody, Subscription } from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

export class Subscriptions extends Resource {
  /** A customer's subscriptions. */
  list(
    customerId: string,
    params?: ListParams<'/customers/{id}/subscriptions'>,
    options?: RequestOptions,
  ): List<Subscription> {
    return this.paginate('/customers/{id}/subscriptions', { id: customerId }, params, options, byId);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Subscription> {
    return this.core.request('get', '/subscriptions/{id}', { path: { id } }, options);
  }

  /** Cancels now, or at the period's end with `{ at_period_end: true }`. */
  cancel(
    id: string,
    body: JsonBody<'/subscriptions/{id}/cancel', 'post'> = {},
    options?: RequestOptions,
  ): Promise<Subscription> {
    return this.core.request('post', '/subscriptions/{id}/cancel', { path: { id }, body }, options);
  }

  /** Takes back a scheduled cancellation, or retries a past-due payment. */
  recover(id: string, options?: RequestOptions): Promise<Subscription> {
    return this.core.request('post', '/subscriptions/{id}/recover', { path: { id } }, options);
  }

  /** Ends it now and takes back what it grants (fraud, abuse). */
  revoke(
    id: string,
    body: JsonBody<'/subscriptions/{id}/revoke', 'post'> = {},
    options?: RequestOptions,
  ): Promise<Subscription> {
    return this.core.request('post', '/subscriptions/{id}/revoke', { path: { id }, body }, options);
  }

  listInvoices(
    id: string,
    params?: ListParams<'/subscriptions/{id}/invoices'>,
    options?: RequestOptions,
  ): List<Invoice> {
    return this.paginate('/subscriptions/{id}/invoices', { id }, params, options, byId);
  }
}
