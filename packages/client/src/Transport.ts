import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttemptFailure,
  type RetryOptions,
  type RetryPolicy,
  isRetryable,
  parseRetryAfter,
  retryDelayMs,
  retryPolicy,
} from './retryPolicy.js';
import { signRequest } from './signRequest.js';
import { WalletApiError } from './WalletApiError.js';

export type TransportOptions = {
  /** Where the gateway is: `https://wallet.example.com`; a path prefix (`https://host/wallet`) is kept and signed. */
  readonly baseUrl: string;
  /** The API key id (`X-Api-Key`), as printed by `walletctl clients create`. */
  readonly keyId: string;
  /** The secret printed with it: used as text, never base64-decoded. */
  readonly secret: string;
  /** Retries of failed attempts (see {@link RetryOptions}). */
  readonly retry?: RetryOptions;
  /** Time allowed for one attempt, answer included; an attempt that times out is retried like a lost connection. @default 30000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** The clock for `X-Timestamp` (epoch ms). @default Date.now */
  readonly now?: () => number;
  /** Sent as `User-Agent`. @default "wallet-client/<version>" */
  readonly userAgent?: string;
  /** Told before each retry, e.g. to log it: what failed, and how long the SDK waits before the next attempt. */
  readonly onRetry?: (event: RetryEvent) => void;
};

/** A failed attempt about to be retried. */
export type RetryEvent = {
  readonly method: string;
  /** The request target (path and query) as signed. */
  readonly target: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** What it failed with. */
  readonly error: WalletApiError;
  /** The wait before the next attempt. */
  readonly delayMs: number;
};

/** Per call. */
export type CallOptions = {
  /** The POST's Idempotency-Key (1-64 printable ASCII characters, no spaces). @default a fresh UUID per call */
  readonly idempotencyKey?: string;
  /** Sent as `X-Request-Id` to trace the call through the wallet's logs. */
  readonly requestId?: string;
  /** Aborts the call, waits between attempts included. */
  readonly signal?: AbortSignal;
};

/** One call to the API. */
export type ApiRequest = {
  readonly method: 'GET' | 'POST';
  /** Path and query, as built by `requestTarget`. */
  readonly target: string;
  /** Serialised once as JSON (a bigint as its decimal string); those bytes are signed and sent on every attempt. */
  readonly body?: unknown;
  /** Statuses besides 2xx that are answers, not errors (`GET /v1/health`'s 503). */
  readonly answerStatuses?: readonly number[];
};

/** A successful answer. */
export type ApiResponse<T> = {
  readonly status: number;
  readonly data: T;
  /** The gateway's `X-Request-Id`. */
  readonly requestId: string | null;
  /** `Idempotent-Replayed: true`: the stored answer of an earlier request with this key. */
  readonly replayed: boolean;
  /** How many times the request was sent. */
  readonly attempts: number;
  /** The key's rate limit after this request (`RateLimit-*` headers), or null when the answer had none. */
  readonly rateLimit: RateLimitState | null;
};

/** The `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers (docs/api.md, Rate limits). */
export type RateLimitState = {
  /** Requests per second, and the largest burst. */
  readonly limit: number;
  /** Requests still allowed right now. */
  readonly remaining: number;
  /** Seconds until the whole budget is back if no request comes meanwhile. */
  readonly resetSeconds: number;
};

const idempotencyKeyPattern = /^[\x21-\x7E]{1,64}$/;
const defaultUserAgent = 'wallet-client/0.1.0';

/**
 * Sends signed requests (docs/api.md): builds each request's target and body bytes once, signs every attempt
 * afresh (a nonce is single use), keeps one Idempotency-Key for all attempts of a POST, and retries only what
 * {@link isRetryable} allows, with backoff.
 */
export class Transport {
  readonly #origin: string;
  readonly #prefix: string;
  readonly #keyId: string;
  readonly #secret: string;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #userAgent: string;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: TransportOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError('baseUrl must be an http(s) URL');
    if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
      throw new TypeError('baseUrl must have no query, fragment or credentials');
    }
    if (options.keyId === '' || options.secret === '') throw new TypeError('keyId and secret are required');
    this.#origin = base.origin;
    this.#prefix = base.pathname.replace(/\/+$/, '');
    this.#keyId = options.keyId;
    this.#secret = options.secret;
    this.#retry = retryPolicy(options.retry);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#userAgent = options.userAgent ?? defaultUserAgent;
    this.#onRetry = options.onRetry;
  }

  /**
   * Sends one call, with the retries the policy allows.
   * @param request method, target and body
   * @param options idempotency key, request id, abort signal
   * @returns the answer's body and facts
   * @throws WalletApiError when the last attempt failed, or at once when the failure is not retryable
   */
  async send<T>(request: ApiRequest, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const pathWithQuery = `${this.#prefix}${request.target}`;
    const url = `${this.#origin}${pathWithQuery}`;
    // What fetch puts on the wire is the URL as the WHATWG parser normalises it: refuse anything it would change
    // (a dot segment, a raw space), since the gateway would then verify other bytes than those signed.
    const parsed = new URL(url);
    if (`${parsed.pathname}${parsed.search}` !== pathWithQuery) throw new TypeError(`not a canonical request target: ${pathWithQuery}`);
    const body = request.body === undefined ? undefined : Buffer.from(toJson(request.body), 'utf8');
    const idempotencyKey = request.method === 'POST' ? (options.idempotencyKey ?? randomUUID()) : undefined;
    if (idempotencyKey !== undefined && !idempotencyKeyPattern.test(idempotencyKey)) {
      throw new TypeError('idempotencyKey must be 1-64 printable ASCII characters without spaces');
    }
    if (options.requestId !== undefined && /[\r\n]/.test(options.requestId)) throw new TypeError('requestId must be one line');

    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      const headers: Record<string, string> = {
        ...signRequest({ keyId: this.#keyId, secret: this.#secret, method: request.method, pathWithQuery, body, timestamp: this.#now() }),
        Accept: 'application/json',
        'User-Agent': this.#userAgent,
      };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
      if (options.requestId !== undefined) headers['X-Request-Id'] = options.requestId;

      const outcome = await this.#attempt<T>(url, request, headers, body, options.signal, attempt, idempotencyKey);
      if (outcome.ok) return outcome.response;
      const { error, failure } = outcome;
      if (attempt >= this.#retry.maxAttempts || !isRetryable(failure)) throw error;
      const delay = retryDelayMs(this.#retry, attempt, failure.kind === 'answer' ? failure.retryAfterMs : undefined);
      if (delay === undefined) throw error;
      this.#onRetry?.({ method: request.method, target: pathWithQuery, attempt, error, delayMs: delay });
      await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch((e: unknown) => {
        throw options.signal?.aborted === true ? options.signal.reason : e;
      });
    }
  }

  async #attempt<T>(
    url: string,
    request: ApiRequest,
    headers: Record<string, string>,
    body: Buffer | undefined,
    callerSignal: AbortSignal | undefined,
    attempt: number,
    idempotencyKey: string | undefined,
  ): Promise<{ ok: true; response: ApiResponse<T> } | { ok: false; error: WalletApiError; failure: AttemptFailure }> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal === undefined ? timeout : AbortSignal.any([callerSignal, timeout]);
    const key = idempotencyKey ?? null;
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, { method: request.method, headers, body: body ?? null, signal, redirect: 'manual' });
      text = await res.text();
    } catch (cause) {
      // The caller's own abort ends the call; anything else (the attempt's timeout included) is a lost answer.
      if (callerSignal?.aborted === true) throw callerSignal.reason;
      const error = new WalletApiError({
        status: 0,
        code: 'NETWORK_ERROR',
        message: `no answer from ${request.method} ${new URL(url).pathname}: ${cause instanceof Error ? cause.message : String(cause)}`,
        idempotencyKey: key,
        attempts: attempt,
        cause,
      });
      return { ok: false, error, failure: { kind: 'network' } };
    }
    const requestId = res.headers.get('x-request-id');
    const json = parseJson(text);
    if ((res.status >= 200 && res.status < 300) || request.answerStatuses?.includes(res.status) === true) {
      if (json === undefined) {
        const error = new WalletApiError({
          status: res.status,
          code: 'INVALID_RESPONSE',
          message: 'the answer is not JSON',
          requestId,
          idempotencyKey: key,
          attempts: attempt,
        });
        return { ok: false, error, failure: { kind: 'answer', status: res.status, code: 'INVALID_RESPONSE', retryAfterMs: undefined } };
      }
      const replayed = res.headers.get('idempotent-replayed') === 'true';
      const rateLimit = rateLimitOf(res.headers);
      return { ok: true, response: { status: res.status, data: json as T, requestId, replayed, attempts: attempt, rateLimit } };
    }
    const envelope = errorEnvelope(json);
    const error = new WalletApiError({
      status: res.status,
      code: envelope?.code ?? 'INVALID_RESPONSE',
      message: envelope?.message ?? `HTTP ${res.status} without the API's error body`,
      details: envelope?.details ?? {},
      requestId,
      idempotencyKey: key,
      attempts: attempt,
    });
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.#now());
    return { ok: false, error, failure: { kind: 'answer', status: res.status, code: envelope?.code, retryAfterMs } };
  }
}

function rateLimitOf(headers: Headers): RateLimitState | null {
  const [limit, remaining, resetSeconds] = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((name) => {
    const value = headers.get(name);
    return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
  });
  return limit === undefined || remaining === undefined || resetSeconds === undefined ? null : { limit, remaining, resetSeconds };
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorEnvelope(json: unknown): { code: string; message: string; details: Record<string, unknown> } | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof code !== 'string') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {},
  };
}
