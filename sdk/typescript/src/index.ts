// @patron/sdk: a typed client of Patron's REST API (/api/v1), webhook verification, and the
// embedded customer portal.
export { Patron } from './client.js';
export type { PatronOptions, RequestOptions } from './core.js';
export { PatronConnectionError, PatronError } from './errors.js';
export { List } from './pagination.js';
export type { BulkCreateOptions, BulkCreateProgress, BulkCreateResult, BulkCustomer } from './resources/customers.js';
export type { MergeInto, MergePreview } from './resources/merges.js';
export {
  type ObjectStub,
  type WebhookEvent,
  type WebhookHeaders,
  WebhookVerificationError,
  webhooks,
} from './webhooks.js';
export {
  embed,
  type EmbedElement,
  type EmbedFrame,
  type FrameMessage,
  type MountOptions,
  type Mounted,
  type PageMessage,
  type PortalAction,
  type TokenAnswer,
} from './embed.js';
export type * from './types.js';
