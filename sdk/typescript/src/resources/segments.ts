// Segments: saved customer-list filters.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { JsonBody, Segment } from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

export class Segments extends Resource {
  list(params?: ListParams<'/segments'>, options?: RequestOptions): List<Segment> {
    return this.paginate('/segments', undefined, params, options, byId);
  }

  create(body: JsonBody<'/segments', 'post'>, options?: RequestOptions): Promise<Segment> {
    return this.core.request('post', '/segments', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Segment> {
    return this.core.request('get', '/segments/{id}', { path: { id } }, options);
  }

  update(id: string, body: JsonBody<'/segments/{id}', 'patch'>, options?: RequestOptions): Promise<Segment> {
    return this.core.request('patch', '/segments/{id}', { path: { id }, body }, options);
  }

  del(id: string, options?: RequestOptions): Promise<void> {
    return this.core.request('delete', '/segments/{id}', { path: { id } }, options);
  }
}
