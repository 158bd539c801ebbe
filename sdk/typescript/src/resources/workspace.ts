// The workspace's settings, and the erasure requests customers made.
import type { RequestOptions } from '../core.js';
import type { List } from '../pagination.js';
import type { JsonBody, WorkspaceSettings } from '../types.js';
import { Resource, type Row } from './base.js';

export class Workspace extends Resource {
  retrieve(options?: RequestOptions): Promise<WorkspaceSettings> {
    return this.core.request('get', '/workspace', {}, options);
  }

  /** Only the fields given change (such as `embed_origins` for `embed.mount`). */
  update(body: JsonBody<'/workspace', 'patch'>, options?: RequestOptions): Promise<WorkspaceSettings> {
    return this.core.request('patch', '/workspace', { body }, options);
  }
}

export class ErasureRequests extends Resource {
  /** Erasures customers asked for in the portal (one page). */
  list(options?: RequestOptions): List<Row<'/erasure_requests'>> {
    return this.paginate('/erasure_requests', undefined, undefined, options, undefined);
  }
}
