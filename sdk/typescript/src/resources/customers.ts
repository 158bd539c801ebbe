// /customers: the list with search and filters, one customer's life (create, update, archive,
// erase), what hangs off a customer (stats, data export, CSV export), and bulkCreate.
import { type RequestOptions, uuid } from '../core.js';
import { PatronError } from '../errors.js';
import type { List } from '../pagination.js';
import type {
  Answer,
  Customer,
  CustomerCreate,
  CustomerListItem,
  CustomerUpdate,
  JsonBody,
  QueryParams,
} from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

/** One customer for `bulkCreate`: `external_id` is required, it is what makes a rerun safe. */
export type BulkCustomer = CustomerCreate & { external_id: string };

/** What `bulkCreate` did with one item, at the item's index. */
export type BulkCreateResult =
  | { status: 'created'; customer: Customer }
  /** The external id was already taken: `customer` is the one that has it. */
  | { status: 'existing'; customer?: Customer; error?: PatronError }
  /** Refused (`error.code` says why, `error.param` which field) or unreachable. */
  | { status: 'failed'; error: PatronError };

/** Counts so far, passed to `onProgress` after each item. */
export interface BulkCreateProgress {
  done: number;
  total: number;
  created: number;
  existing: number;
  failed: number;
  /** The item just finished, and what happened to it. */
  index: number;
  result: BulkCreateResult;
}

export interface BulkCreateOptions {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Called after each item. */
  onProgress?: (progress: BulkCreateProgress) => void;
  /** Retries per request, as the client's `maxRetries`. */
  maxRetries?: number;
  /** Stops taking new items; those in flight finish. */
  signal?: AbortSignal;
}

export class Customers extends Resource {
  /** Customers, newest first (see `sort`); `q` searches email, name, external id and ids. */
  list(params?: ListParams<'/customers'>, options?: RequestOptions): List<CustomerListItem> {
    return this.paginate('/customers', undefined, params, options, byId);
  }

  create(body: CustomerCreate, options?: RequestOptions): Promise<Customer> {
    return this.core.request('post', '/customers', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Customer> {
    return this.core.request('get', '/customers/{id}', { path: { id } }, options);
  }

  /** Absent fields stay, `null` clears; send `version` to refuse overwriting another edit. */
  update(id: string, body: CustomerUpdate, options?: RequestOptions): Promise<Customer> {
    return this.core.request('patch', '/customers/{id}', { path: { id }, body }, options);
  }

  archive(id: string, options?: RequestOptions): Promise<Customer> {
    return this.core.request('post', '/customers/{id}/archive', { path: { id } }, options);
  }

  unarchive(id: string, options?: RequestOptions): Promise<Customer> {
    return this.core.request('post', '/customers/{id}/unarchive', { path: { id } }, options);
  }

  /** Erases the customer's personal data for good (GDPR Art. 17): pass `{ confirm: true }`. */
  erase(id: string, body: JsonBody<'/customers/{id}/erase', 'post'>, options?: RequestOptions): Promise<Customer> {
    return this.core.request('post', '/customers/{id}/erase', { path: { id }, body }, options);
  }

  /** Lifetime value, order and subscription counts. */
  stats(id: string, options?: RequestOptions): Promise<Answer<'/customers/{id}/stats', 'get'>> {
    return this.core.request('get', '/customers/{id}/stats', { path: { id } }, options);
  }

  /** Everything Patron holds about the customer (GDPR Art. 15). */
  exportData(id: string, options?: RequestOptions): Promise<Answer<'/customers/{id}/data_export', 'get'>> {
    return this.core.request('get', '/customers/{id}/data_export', { path: { id } }, options);
  }

  /** The list as CSV text, with the same filters. */
  exportCsv(params?: QueryParams<'/customers/export.csv', 'get'>, options?: RequestOptions): Promise<string> {
    return this.core.request('get', '/customers/export.csv', { query: params }, options);
  }

  /**
   * Creates many customers, `concurrency` at a time, and answers one result per item in input
   * order: `created`, `existing` (the server answered `external_id_taken`; `customer` is the
   * one that holds it) or `failed` (with the server's error).
   *
   * Each item has its own Idempotency-Key, reused when a network failure retries it, so an
   * item is never created twice; and since the external id is unique, running the same items
   * again creates nothing: those created the first time come back `existing`.
   */
  async bulkCreate(items: readonly BulkCustomer[], options: BulkCreateOptions = {}): Promise<BulkCreateResult[]> {
    const { concurrency = 4, onProgress, maxRetries, signal } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError('bulkCreate: concurrency must be a whole number of at least 1');
    }
    const results: BulkCreateResult[] = new Array(items.length);
    const counts = { created: 0, existing: 0, failed: 0 };
    let next = 0;
    let done = 0;

    const one = async (item: BulkCustomer): Promise<BulkCreateResult> => {
      if (typeof item?.external_id !== 'string' || !item.external_id) {
        return {
          status: 'failed',
          error: new PatronError({
            type: 'invalid_request_error',
            code: 'parameter_invalid',
            param: 'external_id',
            message: 'bulkCreate needs an external_id on every item: it is what makes a rerun create nothing twice',
          }),
        };
      }
      try {
        const customer = await this.create(item, { idempotencyKey: uuid(), maxRetries, signal });
        return { status: 'created', customer };
      } catch (error) {
        if (!(error instanceof PatronError)) throw error;
        if (error.code !== 'external_id_taken') return { status: 'failed', error };
        try {
          return { status: 'existing', customer: await this.#byExternalId(item.external_id, { maxRetries, signal }) };
        } catch (lookup) {
          if (!(lookup instanceof PatronError)) throw lookup;
          return { status: 'existing', error: lookup };
        }
      }
    };

    const worker = async () => {
      while (next < items.length && !signal?.aborted) {
        const index = next++;
        const result = await one(items[index]!);
        results[index] = result;
        counts[result.status]++;
        done++;
        onProgress?.({ done, total: items.length, ...counts, index, result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    if (signal?.aborted) throw signal.reason;
    return results;
  }

  /** The customer holding an external id, archived ones included. */
  async #byExternalId(externalId: string, options: RequestOptions): Promise<Customer | undefined> {
    for (const archived of [false, true]) {
      const page = await this.list(
        { external_id: externalId, limit: 1, ...(archived ? { archived } : {}) },
        options,
      ).firstPage();
      if (page.data[0]) return page.data[0];
    }
    return undefined;
  }
}
