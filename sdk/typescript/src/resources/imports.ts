// Customer imports: a CSV file in, a per-row report out.
import type { RequestOptions } from '../core.js';
import type { CustomerImport, QueryParams } from '../types.js';
import { Resource } from './base.js';

export class Imports extends Resource {
  /**
   * Imports a CSV file (a header row; `external_id`, `email`, `name`... and `metadata.<key>`
   * columns). `mode: 'create_only'` refuses rows that match a customer; `dry_run` only counts.
   */
  create(
    csv: string,
    params?: QueryParams<'/customer_imports', 'post'>,
    options?: RequestOptions,
  ): Promise<CustomerImport> {
    return this.core.request(
      'post',
      '/customer_imports',
      { query: params, body: csv, contentType: 'text/csv' },
      options,
    );
  }

  retrieve(id: string, options?: RequestOptions): Promise<CustomerImport> {
    return this.core.request('get', '/customer_imports/{id}', { path: { id } }, options);
  }

  /** Each row's outcome, as CSV text. */
  report(id: string, options?: RequestOptions): Promise<string> {
    return this.core.request('get', '/customer_imports/{id}/report.csv', { path: { id } }, options);
  }
}
