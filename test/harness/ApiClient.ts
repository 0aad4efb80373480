import { randomUUID } from 'node:crypto';
import { signRequest } from '@wallet/client-auth';

export type ApiResponse<T = unknown> = { status: number; body: T; headers: Headers };

export type Credentials = { keyId: string; secret: string };

export type SendOptions = {
  /** Idempotency-Key for POSTs; a fresh one by default, `null` to send none. */
  idempotencyKey?: string | null;
  /** Extra or overriding headers (after signing: lets tests tamper). */
  headers?: Record<string, string>;
  /** Sign this body but send `sendBody` (tampering). */
  sendBody?: string;
  /** Sign with another secret. */
  secret?: string;
  timestamp?: number;
  nonce?: string;
};

/**
 * The exchange back office as a test sees it: signs every request exactly as docs/api.md says, with
 * hooks to break each part of the signature on purpose.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly credentials: Credentials;

  constructor(baseUrl: string, credentials: Credentials) {
    this.baseUrl = baseUrl;
    this.credentials = credentials;
  }

  get<T = unknown>(pathWithQuery: string, options: SendOptions = {}): Promise<ApiResponse<T>> {
    return this.send<T>('GET', pathWithQuery, undefined, options);
  }

  post<T = unknown>(pathWithQuery: string, body: unknown, options: SendOptions = {}): Promise<ApiResponse<T>> {
    return this.send<T>('POST', pathWithQuery, typeof body === 'string' ? body : JSON.stringify(body), options);
  }

  async send<T>(method: string, pathWithQuery: string, body: string | undefined, options: SendOptions = {}): Promise<ApiResponse<T>> {
    const signed = signRequest({
      keyId: this.credentials.keyId,
      secret: options.secret ?? this.credentials.secret,
      method,
      pathWithQuery,
      body: body ?? '',
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    });
    // Lower-case names, so a test's override replaces the signed header instead of adding a twin.
    const headers: Record<string, string> = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && options.idempotencyKey !== null) headers['idempotency-key'] = options.idempotencyKey ?? randomUUID();
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    const res = await fetch(`${this.baseUrl}${pathWithQuery}`, { method, headers, body: options.sendBody ?? body ?? null });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // leave as text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}
