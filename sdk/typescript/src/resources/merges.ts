// Merges: one customer folded into another (a duplicate), and undone within the window.
import type { RequestOptions } from '../core.js';
import type { components } from '../generated/openapi.js';
import type { CustomerMerge, JsonBody } from '../types.js';
import { Resource } from './base.js';

export type MergePreview = components['schemas']['MergePreview'];
/** Whom to merge into: `{ into: 'cus_...' }`. */
export type MergeInto = Omit<JsonBody<'/customers/{id}/merge', 'post'>, 'preview'>;

export class Merges extends Resource {
  /** Merges `customerId` into `into`: the first becomes a tombstone, the second has it all. */
  create(customerId: string, body: MergeInto, options?: RequestOptions): Promise<CustomerMerge> {
    return this.core.request(
      'post',
      '/customers/{id}/merge',
      { path: { id: customerId }, body: { into: body.into } },
      options,
    ) as Promise<CustomerMerge>;
  }

  /** What a merge would move, and what blocks it, without merging. */
  preview(customerId: string, body: MergeInto, options?: RequestOptions): Promise<MergePreview> {
    return this.core.request(
      'post',
      '/customers/{id}/merge',
      { path: { id: customerId }, body: { into: body.into, preview: true } },
      options,
    ) as Promise<MergePreview>;
  }

  retrieve(id: string, options?: RequestOptions): Promise<CustomerMerge> {
    return this.core.request('get', '/merges/{id}', { path: { id } }, options);
  }

  /** Gives the merged customer back everything that was theirs, within `undo_until`. */
  undo(id: string, options?: RequestOptions): Promise<CustomerMerge> {
    return this.core.request('post', '/merges/{id}/undo', { path: { id } }, options);
  }
}
