// Payment details: the cards, IBANs and wallets a customer paid with, and blocking them.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { PaymentDetail } from '../types.js';
import { byId, type ListParams, Resource, type Row } from './base.js';

export class PaymentDetails extends Resource {
  list(
    customerId: string,
    params?: ListParams<'/customers/{id}/payment_details'>,
    options?: RequestOptions,
  ): List<PaymentDetail> {
    return this.paginate('/customers/{id}/payment_details', { id: customerId }, params, options, byId);
  }

  block(id: string, options?: RequestOptions): Promise<PaymentDetail> {
    return this.core.request('post', '/payment_details/{id}/block', { path: { id } }, options);
  }

  unblock(id: string, options?: RequestOptions): Promise<PaymentDetail> {
    return this.core.request('post', '/payment_details/{id}/unblock', { path: { id } }, options);
  }

  blockAll(customerId: string, options?: RequestOptions): Promise<PaymentDetail[]> {
    return this.core.request(
      'post',
      '/customers/{id}/payment_details/block_all',
      { path: { id: customerId } },
      options,
    );
  }

  unblockAll(customerId: string, options?: RequestOptions): Promise<PaymentDetail[]> {
    return this.core.request(
      'post',
      '/customers/{id}/payment_details/unblock_all',
      { path: { id: customerId } },
      options,
    );
  }

  /** Who blocked or unblocked it, and when. */
  log(
    id: string,
    params?: ListParams<'/payment_details/{id}/log'>,
    options?: RequestOptions,
  ): List<Row<'/payment_details/{id}/log'>> {
    return this.paginate('/payment_details/{id}/log', { id }, params, options, byId);
  }
}
