// Products: what can be bought, and what a purchase grants.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { JsonBody, Product } from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

export class Products extends Resource {
  list(params?: ListParams<'/products'>, options?: RequestOptions): List<Product> {
    return this.paginate('/products', undefined, params, options, byId);
  }

  create(body: JsonBody<'/products', 'post'>, options?: RequestOptions): Promise<Product> {
    return this.core.request('post', '/products', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Product> {
    return this.core.request('get', '/products/{id}', { path: { id } }, options);
  }

  /** Stops selling it; what was bought stays. */
  archive(id: string, options?: RequestOptions): Promise<Product> {
    return this.core.request('post', '/products/{id}/archive', { path: { id } }, options);
  }
}
