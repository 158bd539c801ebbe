// Orders (a customer's payments), their refunds, disputes and provider events; and disputes.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Answer, Dispute, JsonBody, Order, Refund } from '../types.js';
import { byId, type ListParams, Resource, type Row } from './base.js';

export class Orders extends Resource {
  /** A customer's orders, newest first. */
  list(customerId: string, params?: ListParams<'/customers/{id}/orders'>, options?: RequestOptions): List<Order> {
    return this.paginate('/customers/{id}/orders', { id: customerId }, params, options, byId);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Order> {
    return this.core.request('get', '/orders/{id}', { path: { id } }, options);
  }

  /** Pays an order awaiting payment (a failed renewal) with a new payment method. */
  pay(id: string, body: JsonBody<'/orders/{id}/pay', 'post'>, options?: RequestOptions): Promise<Order> {
    return this.core.request('post', '/orders/{id}/pay', { path: { id }, body }, options);
  }

  /** Refunds all (no `amount`) or part of a paid order. */
  refund(id: string, body: JsonBody<'/orders/{id}/refunds', 'post'> = {}, options?: RequestOptions): Promise<Refund> {
    return this.core.request('post', '/orders/{id}/refunds', { path: { id }, body }, options);
  }

  listRefunds(id: string, params?: ListParams<'/orders/{id}/refunds'>, options?: RequestOptions): List<Refund> {
    return this.paginate('/orders/{id}/refunds', { id }, params, options, byId);
  }

  openDispute(id: string, body: JsonBody<'/orders/{id}/disputes', 'post'>, options?: RequestOptions): Promise<Dispute> {
    return this.core.request('post', '/orders/{id}/disputes', { path: { id }, body }, options);
  }

  listDisputes(id: string, params?: ListParams<'/orders/{id}/disputes'>, options?: RequestOptions): List<Dispute> {
    return this.paginate('/orders/{id}/disputes', { id }, params, options, byId);
  }

  /** What the payment provider told Patron about this order. */
  listProviderEvents(
    id: string,
    params?: ListParams<'/orders/{id}/provider_events'>,
    options?: RequestOptions,
  ): List<Row<'/orders/{id}/provider_events'>> {
    return this.paginate('/orders/{id}/provider_events', { id }, params, options, byId);
  }
}

export class Disputes extends Resource {
  /** Records a dispute's outcome. */
  close(id: string, body: JsonBody<'/disputes/{id}/close', 'post'>, options?: RequestOptions): Promise<Dispute> {
    return this.core.request('post', '/disputes/{id}/close', { path: { id }, body }, options);
  }

  /** Asks the customer to pay a lost dispute's amount again: a repayment order. */
  requestRepayment(
    id: string,
    body: JsonBody<'/disputes/{id}/repayments', 'post'>,
    options?: RequestOptions,
  ): Promise<Answer<'/disputes/{id}/repayments', 'post'>> {
    return this.core.request('post', '/disputes/{id}/repayments', { path: { id }, body }, options);
  }
}
