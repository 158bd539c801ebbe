// The errors a call can throw: the API's error envelope
// `{"error":{"type","code","message","param","request_id"}}` as a class, and the failures that
// never reached an answer.
import type { ErrorCode, ErrorType } from './types.js';

/** What the envelope carries, plus what the SDK itself reports. */
export interface PatronErrorFields {
  status?: number;
  type: ErrorType | 'connection_error';
  code: ErrorCode | 'connection_failed' | 'timeout' | 'unexpected_response' | (string & {});
  message: string;
  param?: string | null;
  requestId?: string | null;
  banId?: string | null;
  headers?: Headers;
  raw?: unknown;
  cause?: unknown;
}

/**
 * An answer the API refused, or a call that never got one.
 *
 * `type` and `code` are the envelope's (`invalid_request_error` / `external_id_taken`): branch on
 * `code`, it is stable API. `param` names the request field at fault, `requestId` finds the
 * request in the server's log, `status` is the HTTP status (absent for connection errors).
 */
export class PatronError extends Error {
  override readonly name: string = 'PatronError';
  /** The HTTP status; `undefined` when no answer came. */
  readonly status: number | undefined;
  /** The broad class (`invalid_request_error`, `rate_limit_error`...), or `connection_error`. */
  readonly type: PatronErrorFields['type'];
  /** The stable machine-readable code, such as `parameter_invalid` or `external_id_taken`. */
  readonly code: PatronErrorFields['code'];
  /** The request field at fault, when one is. */
  readonly param: string | null;
  /** Quote it to support: `req_...`, from the envelope or the `X-Request-Id` header. */
  readonly requestId: string | null;
  /** With `customer_banned`: the ban that refused the purchase. */
  readonly banId: string | null;
  /** The answer's headers, when there was an answer. */
  readonly headers: Headers | undefined;
  /** The parsed body of the answer (or its text when it was not JSON). */
  readonly raw: unknown;

  constructor(fields: PatronErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.status = fields.status;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param ?? null;
    this.requestId = fields.requestId ?? null;
    this.banId = fields.banId ?? null;
    this.headers = fields.headers;
    this.raw = fields.raw;
  }

  /** Reads a non-2xx answer: the envelope when there is one, else what the status says. */
  static fromResponse(status: number, headers: Headers, body: unknown): PatronError {
    const headerId = headers.get('x-request-id');
    const envelope =
      body && typeof body === 'object' && 'error' in body
        ? (body as { error: Record<string, unknown> }).error
        : undefined;
    if (envelope && typeof envelope.code === 'string' && typeof envelope.type === 'string') {
      return new PatronError({
        status,
        type: envelope.type as ErrorType,
        code: envelope.code,
        message: typeof envelope.message === 'string' ? envelope.message : `HTTP ${status}`,
        param: typeof envelope.param === 'string' ? envelope.param : null,
        requestId: typeof envelope.request_id === 'string' ? envelope.request_id : headerId,
        banId: typeof envelope.ban_id === 'string' ? envelope.ban_id : null,
        headers,
        raw: body,
      });
    }
    // Not Patron's envelope: a proxy's page, a load balancer's 502.
    return new PatronError({
      status,
      type: typeForStatus(status),
      code: 'unexpected_response',
      message: `HTTP ${status} without Patron's error envelope${
        typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''
      }`,
      requestId: headerId,
      headers,
      raw: body,
    });
  }
}

/** No answer came: the connection failed, or the call timed out, after every retry. */
export class PatronConnectionError extends PatronError {
  override readonly name: string = 'PatronConnectionError';
  constructor(message: string, code: 'connection_failed' | 'timeout', cause: unknown) {
    super({ type: 'connection_error', code, message, cause });
  }
}

function typeForStatus(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}
