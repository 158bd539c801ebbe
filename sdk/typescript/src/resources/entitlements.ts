// Entitlements (what a customer may use: licence keys, files, Discord roles, game commands)
// and the game-server command queue.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Answer, Entitlement, JsonBody } from '../types.js';
import { byId, type ListParams, Resource, type Row } from './base.js';

export class Entitlements extends Resource {
  /** A customer's entitlements. */
  list(
    customerId: string,
    params?: ListParams<'/customers/{id}/entitlements'>,
    options?: RequestOptions,
  ): List<Entitlement> {
    return this.paginate('/customers/{id}/entitlements', { id: customerId }, params, options, byId);
  }

  /** Grants a product's benefits without a payment; answers the entitlements made. */
  grant(
    customerId: string,
    body: JsonBody<'/customers/{id}/entitlements', 'post'>,
    options?: RequestOptions,
  ): Promise<Entitlement[]> {
    return this.core.request('post', '/customers/{id}/entitlements', { path: { id: customerId }, body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<Entitlement> {
    return this.core.request('get', '/entitlements/{id}', { path: { id } }, options);
  }

  revoke(
    id: string,
    body: JsonBody<'/entitlements/{id}/revoke', 'post'> = {},
    options?: RequestOptions,
  ): Promise<Entitlement> {
    return this.core.request('post', '/entitlements/{id}/revoke', { path: { id }, body }, options);
  }

  linkDiscord(
    id: string,
    body: JsonBody<'/entitlements/{id}/discord', 'post'>,
    options?: RequestOptions,
  ): Promise<Entitlement> {
    return this.core.request('post', '/entitlements/{id}/discord', { path: { id }, body }, options);
  }

  /** A signed, expiring link to a file benefit. */
  createDownloadLink(
    id: string,
    options?: RequestOptions,
  ): Promise<Answer<'/entitlements/{id}/download_link', 'post'>> {
    return this.core.request('post', '/entitlements/{id}/download_link', { path: { id } }, options);
  }

  /** A licence key benefit's key (the reveal is audited). */
  revealLicenseKey(id: string, options?: RequestOptions): Promise<Answer<'/entitlements/{id}/license_key', 'get'>> {
    return this.core.request('get', '/entitlements/{id}/license_key', { path: { id } }, options);
  }
}

export class Commands extends Resource {
  /** Game-server commands waiting to be run (for a game server's plugin). */
  listPending(params?: ListParams<'/commands'>, options?: RequestOptions): List<Row<'/commands'>> {
    return this.paginate('/commands', undefined, params, options, byId);
  }

  /** Reports that a command ran (or failed). */
  report(
    id: string,
    body: JsonBody<'/commands/{id}/report', 'post'>,
    options?: RequestOptions,
  ): Promise<Answer<'/commands/{id}/report', 'post'>> {
    return this.core.request('post', '/commands/{id}/report', { path: { id }, body }, options);
  }
}
