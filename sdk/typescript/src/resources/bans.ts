// Bans: who may not buy (a customer, a name, an email, an external id, an IP range, a card).
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Answer, Ban, JsonBody } from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

export class Bans extends Resource {
  /** Bans, newest first; `{ customer }` lists those matching a customer. */
  list(params?: ListParams<'/bans'>, options?: RequestOptions): List<Ban> {
    return this.paginate('/bans', undefined, params, options, byId);
  }

  create(body: JsonBody<'/bans', 'post'>, options?: RequestOptions): Promise<Ban> {
    return this.core.request('post', '/bans', { body }, options);
  }

  /** Which customers some identities would match, before banning them. */
  preview(body: JsonBody<'/bans/preview', 'post'>, options?: RequestOptions): Promise<Answer<'/bans/preview', 'post'>> {
    return this.core.request('post', '/bans/preview', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Ban> {
    return this.core.request('get', '/bans/{id}', { path: { id } }, options);
  }

  update(id: string, body: JsonBody<'/bans/{id}', 'patch'>, options?: RequestOptions): Promise<Ban> {
    return this.core.request('patch', '/bans/{id}', { path: { id }, body }, options);
  }

  lift(id: string, options?: RequestOptions): Promise<Ban> {
    return this.core.request('post', '/bans/{id}/lift', { path: { id } }, options);
  }
}
