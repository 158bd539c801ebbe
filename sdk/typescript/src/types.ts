// Types derived from the generated OpenAPI types: every request body, query and answer the
// client sends or returns is looked up here by path and method, so a change in the server's
// document changes the SDK's types at the next `npm run generate`, and a misspelt field fails
// the caller's `tsc`.
import type { components, paths } from './generated/openapi.js';

export type { components, operations, paths } from './generated/openapi.js';

/** The HTTP methods the API uses. */
export type Method = 'get' | 'post' | 'patch' | 'delete';

/** The API's paths that have `M`. */
export type PathWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];

/** The operation at `P` and `M`. */
export type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type Parameters<P extends keyof paths, M extends Method> =
  Operation<P, M> extends {
    parameters: infer X;
  }
    ? X
    : never;

/** The path parameters of an operation (`{ id: string }`), or `never`. */
export type PathParams<P extends keyof paths, M extends Method> =
  Parameters<P, M> extends {
    path: infer X;
  }
    ? X
    : never;

/** The query parameters of an operation, or `never`. */
export type QueryParams<P extends keyof paths, M extends Method> =
  Parameters<P, M> extends {
    query?: infer X;
  }
    ? NonNullable<X>
    : never;

/** The JSON body of an operation, or `never`. */
export type JsonBody<P extends keyof paths, M extends Method> =
  NonNullable<Operation<P, M>['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;

type SuccessCode = 200 | 201 | 202 | 204;

/** What a successful call answers: the JSON of its 2xx response, `void` for 204. */
export type Answer<P extends keyof paths, M extends Method> =
  Operation<P, M> extends {
    responses: infer R;
  }
    ? {
        [C in keyof R & SuccessCode]: R[C] extends { content: { 'application/json': infer T } }
          ? T
          : R[C] extends { content: { 'text/csv': unknown } }
            ? string
            : void;
      }[keyof R & SuccessCode]
    : never;

type Schemas = components['schemas'];

/** One page of a list: `data`, and `has_more` when rows follow the last one. */
export interface Page<T> {
  object: string;
  data: T[];
  has_more: boolean;
}

export type Ban = Schemas['Ban'];
export type BulkAction = Schemas['BulkAction'];
export type Checkout = Schemas['Checkout'];
export type Customer = Schemas['Customer'];
export type CustomerCreate = Schemas['CustomerCreate'];
export type CustomerImport = Schemas['CustomerImport'];
export type CustomerListItem = Schemas['CustomerListItem'];
export type CustomerMerge = Schemas['CustomerMerge'];
export type CustomerSession = Schemas['CustomerSession'];
export type CustomerUpdate = Schemas['CustomerUpdate'];
export type Dispute = Schemas['Dispute'];
export type Entitlement = Schemas['Entitlement'];
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorCode = Schemas['ErrorCode'];
export type ErrorType = Schemas['ErrorType'];
export type Invoice = Schemas['Invoice'];
export type Order = Schemas['Order'];
export type PaymentDetail = Schemas['PaymentDetail'];
export type Product = Schemas['Product'];
export type Refund = Schemas['Refund'];
export type Segment = Schemas['Segment'];
export type Subscription = Schemas['Subscription'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEventType = Schemas['WebhookEventType'];
export type WorkspaceSettings = Schemas['WorkspaceSettings'];
