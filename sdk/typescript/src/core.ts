// The HTTP core: one typed `request` every resource method goes through, with authentication,
// the Idempotency-Key, retries with exponential backoff and full jitter, and typed errors.
import { PatronConnectionError, PatronError } from './errors.js';
import type { Answer, JsonBody, Method, PathParams, PathWith, QueryParams } from './types.js';
import type { paths } from './generated/openapi.js';

/** What `new Patron(...)` takes. */
export interface PatronOptions {
  /** A secret API key, `pat_sk_...` (keep it on your server). */
  apiKey: string;
  /** Your Patron server, such as `https://billing.example.com` (`/api/v1` is added). */
  baseUrl: string;
  /** A `fetch` to use instead of the global one (a test double, a proxy agent). */
  fetch?: typeof fetch;
  /** Retries after the first attempt on network errors, 429 and 5xx (default 2). */
  maxRetries?: number;
  /** Milliseconds one attempt may take before it counts as a network error (default 60 000). */
  timeout?: number;
  /** The longest `Retry-After` honoured, in seconds; a longer one is thrown (default 60). */
  maxRetryAfter?: number;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** The `Idempotency-Key` of a POST or PATCH; a fresh UUID when absent. Every retry reuses it. */
  idempotencyKey?: string;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Overrides the client's `timeout` for this call. */
  timeout?: number;
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
}

/** Arguments of one request, typed by its path and method. */
export interface RequestArgs<P extends keyof paths, M extends Method> {
  path?: PathParams<P, M>;
  query?: QueryParams<P, M>;
  body?: JsonBody<P, M> | string;
  contentType?: string;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/** A v4 UUID: `crypto.randomUUID` where there is one (Node 19+, browsers). */
export function uuid(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Seconds (or an HTTP date) in `Retry-After`, as milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The transport every resource shares. */
export class Core {
  readonly apiBase: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #timeout: number;
  readonly #maxRetryAfterMs: number;

  constructor(options: PatronOptions) {
    if (!options || typeof options.apiKey !== 'string' || !options.apiKey) {
      throw new TypeError('new Patron({ apiKey, baseUrl }) needs an API key');
    }
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError('new Patron({ apiKey, baseUrl }) needs the http(s) address of your Patron server');
    }
    const base = options.baseUrl.replace(/\/+$/, '');
    this.apiBase = base.endsWith('/api/v1') ? base : `${base}/api/v1`;
    this.#apiKey = options.apiKey;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch: pass one as new Patron({ fetch })');
    // Unbound, a browser's fetch throws "Illegal invocation".
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxRetries = options.maxRetries ?? 2;
    this.#timeout = options.timeout ?? 60_000;
    this.#maxRetryAfterMs = (options.maxRetryAfter ?? 60) * 1000;
  }

  /** Sends one request, typed by its path and method, and returns its parsed answer. */
  async request<M extends Method, P extends PathWith<M>>(
    method: M,
    path: P,
    args: RequestArgs<P, M> = {},
    options: RequestOptions = {},
  ): Promise<Answer<P, M>> {
    const url = this.#url(path, args.path as Record<string, string> | undefined, args.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: 'application/json',
    };
    let body: string | undefined;
    if (args.body !== undefined) {
      body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      headers['content-type'] = args.contentType ?? 'application/json';
    }
    // The API replays a keyed POST or PATCH instead of running it twice: one key for every try.
    if (method === 'post' || method === 'patch') {
      headers['idempotency-key'] = options.idempotencyKey ?? uuid();
    }
    const maxRetries = options.maxRetries ?? this.#maxRetries;
    const timeout = options.timeout ?? this.#timeout;

    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(timeout)];
      if (options.signal) signals.push(options.signal);
      let res: Response;
      let parsed: unknown;
      try {
        res = await this.#fetch(url, {
          method: method.toUpperCase(),
          headers,
          body,
          signal: anySignal(signals),
        });
        // Inside the try: a connection that drops while the body arrives is a network error too.
        parsed = await parse(res);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        if (attempt < maxRetries) {
          await sleep(backoffMs(attempt), options.signal);
          continue;
        }
        throw new PatronConnectionError(
          timedOut
            ? `${method.toUpperCase()} ${path} took longer than ${timeout} ms (${attempt + 1} attempts)`
            : `${method.toUpperCase()} ${path} failed to connect (${attempt + 1} attempts): ${
                error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
              }`,
          timedOut ? 'timeout' : 'connection_failed',
          error,
        );
      }

      if (res.ok) return parsed as Answer<P, M>;

      const error = PatronError.fromResponse(res.status, res.headers, parsed);
      if (attempt < maxRetries && retryable(res.status, error.code)) {
        const asked = retryAfterMs(res.headers.get('retry-after'));
        if (asked === undefined || asked <= this.#maxRetryAfterMs) {
          await sleep(asked ?? backoffMs(attempt), options.signal);
          continue;
        }
      }
      throw error;
    }
  }

  #url(path: string, params: Record<string, string> | undefined, query: unknown): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params?.[name];
      if (typeof value !== 'string' || !value) throw new TypeError(`${path} needs ${name}`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    if (query && typeof query === 'object') {
      for (const [key, value] of Object.entries(query)) {
        if (value === undefined || value === null) continue;
        search.set(key, Array.isArray(value) ? value.join(',') : String(value));
      }
    }
    const qs = search.toString();
    return `${this.apiBase}${filled}${qs ? `?${qs}` : ''}`;
  }
}

/** 429, 5xx, and a 409 for a key whose first request is still running. Never another 4xx. */
function retryable(status: number, code: string): boolean {
  return status === 429 || status >= 500 || (status === 409 && code === 'idempotency_key_in_flight');
}

async function parse(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!text) return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** `AbortSignal.any`, for runtimes before it (Node 18). */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
