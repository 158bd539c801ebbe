// Bulk actions: one change (metadata, a grant, archiving) applied to many customers in the
// background, with a per-customer report.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Answer, BulkAction, JsonBody } from '../types.js';
import { byId, type ListParams, Resource, type Row } from './base.js';

export class BulkActions extends Resource {
  list(params?: ListParams<'/bulk_actions'>, options?: RequestOptions): List<BulkAction> {
    return this.paginate('/bulk_actions', undefined, params, options, byId);
  }

  /** Starts one (answered 202: it runs in the background; poll `retrieve`). */
  create(body: JsonBody<'/bulk_actions', 'post'>, options?: RequestOptions): Promise<BulkAction> {
    return this.core.request('post', '/bulk_actions', { body }, options);
  }

  /** How many customers it would touch, before starting it. */
  preview(
    body: JsonBody<'/bulk_actions/preview', 'post'>,
    options?: RequestOptions,
  ): Promise<Answer<'/bulk_actions/preview', 'post'>> {
    return this.core.request('post', '/bulk_actions/preview', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<BulkAction> {
    return this.core.request('get', '/bulk_actions/{id}', { path: { id } }, options);
  }

  cancel(id: string, options?: RequestOptions): Promise<BulkAction> {
    return this.core.request('post', '/bulk_actions/{id}/cancel', { path: { id } }, options);
  }

  /** What it did to each customer. */
  listItems(
    id: string,
    params?: ListParams<'/bulk_actions/{id}/items'>,
    options?: RequestOptions,
  ): List<Row<'/bulk_actions/{id}/items'>> {
    return this.paginate('/bulk_actions/{id}/items', { id }, params, options, (item) => item.customer_id);
  }
}
