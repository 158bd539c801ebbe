// Webhook endpoints (where Patron POSTs events) and their deliveries.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { Answer, JsonBody, WebhookDelivery, WebhookEndpoint } from '../types.js';
import { byId, type ListParams, Resource } from './base.js';

export class WebhookEndpoints extends Resource {
  /** Every endpoint (one page: a workspace has few). */
  list(options?: RequestOptions): List<WebhookEndpoint> {
    return this.paginate('/webhook_endpoints', undefined, undefined, options, undefined);
  }

  /** Answers the signing `secret` (`whsec_...`) this once: keep it for `webhooks.verify`. */
  create(body: JsonBody<'/webhook_endpoints', 'post'>, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.core.request('post', '/webhook_endpoints', { body }, options);
  }

  retrieve(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.core.request('get', '/webhook_endpoints/{id}', { path: { id } }, options);
  }

  update(
    id: string,
    body: JsonBody<'/webhook_endpoints/{id}', 'patch'>,
    options?: RequestOptions,
  ): Promise<WebhookEndpoint> {
    return this.core.request('patch', '/webhook_endpoints/{id}', { path: { id }, body }, options);
  }

  del(id: string, options?: RequestOptions): Promise<void> {
    return this.core.request('delete', '/webhook_endpoints/{id}', { path: { id } }, options);
  }

  /** A new secret; the old one keeps signing for a day. */
  rotateSecret(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.core.request('post', '/webhook_endpoints/{id}/rotate_secret', { path: { id } }, options);
  }

  listDeliveries(
    id: string,
    params?: ListParams<'/webhook_endpoints/{id}/deliveries'>,
    options?: RequestOptions,
  ): List<WebhookDelivery> {
    return this.paginate('/webhook_endpoints/{id}/deliveries', { id }, params, options, byId);
  }

  /** Sends again every delivery that failed since a time. */
  resendFailed(
    id: string,
    body: JsonBody<'/webhook_endpoints/{id}/resend_failed', 'post'>,
    options?: RequestOptions,
  ): Promise<Answer<'/webhook_endpoints/{id}/resend_failed', 'post'>> {
    return this.core.request('post', '/webhook_endpoints/{id}/resend_failed', { path: { id }, body }, options);
  }
}

export class WebhookDeliveries extends Resource {
  /** One delivery with every attempt. */
  retrieve(id: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.core.request('get', '/webhook_deliveries/{id}', { path: { id } }, options);
  }

  resend(id: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.core.request('post', '/webhook_deliveries/{id}/resend', { path: { id } }, options);
  }
}
