import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type DestinationPolicy, isPublicAddress, safeLookup } from './destinationPolicy.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhookSignature.js';

/** What one attempt came to. */
export type Attempt =
  | { readonly outcome: 'delivered'; readonly status: number }
  /** 5xx, 408, 429, or no answer (refused, reset, timed out): tried again on the schedule. */
  | { readonly outcome: 'retry'; readonly status: number | null; readonly error: string }
  /** Any other answer (a 3xx or 4xx, a non-public address): the receiver said no; not tried again. */
  | { readonly outcome: 'rejected'; readonly status: number | null; readonly error: string };

export type WebhookRequest = {
  readonly url: string;
  readonly body: string;
  /** The secrets to sign with (the current one, and the previous one during a rotation's overlap). */
  readonly secrets: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly policy: DestinationPolicy;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** Unix seconds. @default now */
  readonly timestamp?: number;
};

/** Status codes after which a delivery is tried again. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * POSTs one delivery: the body signed with the timestamp ({@link signatureHeader}), connected only to an address the
 * policy allows, redirects not followed, the answer's body read (at most 64 KiB) and dropped. Never throws.
 */
export function deliverWebhook(req: WebhookRequest): Promise<Attempt> {
  const timestamp = req.timestamp ?? Math.floor(Date.now() / 1000);
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ outcome: 'rejected', status: null, error: 'malformed url' });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!req.policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    return Promise.resolve({ outcome: 'rejected', status: null, error: 'non-public address' });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const finish = (a: Attempt): void => {
      if (settled) return;
      settled = true;
      resolve(a);
    };
    const r = send(
      url,
      {
        method: 'POST',
        lookup: safeLookup(req.policy),
        timeout: req.timeoutMs ?? 10_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          'user-agent': 'wallet-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(req.secrets, timestamp, req.body),
          ...req.headers,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) res.destroy();
        });
        const done = (): void => {
          if (status >= 200 && status < 300) finish({ outcome: 'delivered', status });
          else if (isRetryableStatus(status)) finish({ outcome: 'retry', status, error: `HTTP ${status}` });
          else finish({ outcome: 'rejected', status, error: `HTTP ${status}` });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    r.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EWEBHOOKPRIVATE') finish({ outcome: 'rejected', status: null, error: error.message });
      else finish({ outcome: 'retry', status: null, error: `${error.code ?? 'ERROR'}: ${error.message}`.slice(0, 300) });
    });
    r.end(req.body);
  });
}
