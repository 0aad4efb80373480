import { randomUUID } from 'node:crypto';
import { signRequest } from '@wallet/client-auth';
import { WalletError } from '@wallet/errors';

/** One request to the client API as an exchange's back office sends it. */
export type DevApiRequest = {
  readonly method: string;
  /** Path and query exactly as sent and signed: `/v1/accounts?externalId=alice`. */
  readonly pathWithQuery: string;
  /** The JSON body, sent and signed byte for byte as given. */
  readonly body?: string | undefined;
  /** A POST's Idempotency-Key. @default a fresh UUID (printed, so that a retry can send it again) */
  readonly idempotencyKey?: string | undefined;
};

/** The gateway's answer; `idempotencyKey` is the one sent with a POST. */
export type DevApiResponse = { readonly status: number; readonly body: string; readonly idempotencyKey: string | null };

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Sends one signed request to gatesrv with the client's key, signed by the reference signer (`signRequest` of
 * @wallet/client-auth, the one docs/api.md describes): for the sandbox recipe and for trying a route by hand.
 * @param baseUrl the gateway, e.g. `http://127.0.0.1:8080`
 * @param credentials the client's key id and secret (as `walletctl clients create` printed them)
 * @throws WalletError VALIDATION_FAILED (a method, path or body that cannot be sent), UNAVAILABLE (no answer)
 */
export async function devApiCall(
  baseUrl: string,
  credentials: { readonly keyId: string; readonly secret: string },
  request: DevApiRequest,
): Promise<DevApiResponse> {
  const method = request.method.toUpperCase();
  if (!METHODS.has(method))
    throw new WalletError('VALIDATION_FAILED', `METHOD must be one of ${[...METHODS].join(', ')}`, { details: { field: 'method' } });
  // Only characters the URL parser leaves alone, and no dot segments: what is signed must be what goes on the wire.
  if (!/^\/[A-Za-z0-9\-._~%!$&()*+,;=:@/?]*$/.test(request.pathWithQuery) || /\/\.\.?(?:[/?]|$)/.test(request.pathWithQuery)) {
    throw new WalletError('VALIDATION_FAILED', 'PATH must start with / and be percent-encoded (no dot segments), e.g. /v1/assets', {
      details: { field: 'path' },
    });
  }
  if (request.body !== undefined) {
    try {
      JSON.parse(request.body);
    } catch {
      throw new WalletError('VALIDATION_FAILED', '--body must be JSON, e.g. \'{"externalId":"alice"}\'', { details: { field: 'body' } });
    }
  }
  const body = request.body ?? '';
  const idempotencyKey = method === 'POST' ? (request.idempotencyKey ?? randomUUID()) : null;
  const headers: Record<string, string> = {
    ...signRequest({ keyId: credentials.keyId, secret: credentials.secret, method, pathWithQuery: request.pathWithQuery, body }),
    ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(idempotencyKey === null ? {} : { 'Idempotency-Key': idempotencyKey }),
  };
  let response: Response;
  try {
    response = await fetch(new URL(request.pathWithQuery, baseUrl), { method, headers, body: request.body ?? null, redirect: 'manual' });
  } catch (error) {
    throw new WalletError('UNAVAILABLE', `no answer from the gateway at ${baseUrl} (is the cluster running? bash deploy/local/run.sh)`, {
      cause: error,
    });
  }
  return { status: response.status, body: await response.text(), idempotencyKey };
}
