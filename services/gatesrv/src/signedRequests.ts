import {
  type AuthenticatedClient,
  type KeyScope,
  authFailureCause,
  authorizeKey,
  type IdempotencyHold,
  type IdempotencyStore,
  type RateLimiter,
  type RequestAuthenticator,
  rateLimitHeaders,
  requestHash,
  shouldStoreResponse,
} from '@wallet/client-auth';
import { WalletError } from '@wallet/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requiredScope } from './routeScopes.js';
import { answersWithSecret } from './secretAnswers.js';

type IdempotencyClaim = { key: string; hash: string; replayed: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a signed route's key needs (routeScopes.ts), set when the route is registered. */
    scope?: KeyScope;
    /** Whether the route's successful answer carries a newly issued secret (secretAnswers.ts): never stored in Redis. */
    answersWithSecret?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated client (set for every signed route before its handler runs). */
    client: AuthenticatedClient;
    idempotency: IdempotencyClaim | undefined;
  }
}

export type SignedRequestDeps = {
  readonly authenticator: RequestAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
};

/**
 * Makes every route of `app`'s scope a signed route (docs/api.md, Authentication, Keys and scopes, Idempotency): the
 * request is authenticated on its raw bytes, rate-limited per key (RateLimit-* headers on every answer from then on),
 * its key's allow-list and scope are checked, and a POST claims its Idempotency-Key before the handler runs; a retry
 * is answered from the stored first response. The body is parsed as JSON only after all of that (by the route), so
 * nothing unauthenticated is ever parsed. A route registered here without a scope (routeScopes.ts) is refused.
 * @param app the plugin scope whose routes are signed
 * @param deps authenticator, rate limiter and idempotency store
 */
export function signedRequests(app: FastifyInstance, deps: SignedRequestDeps): void {
  const { idempotency } = deps;
  // The claim each running POST holds: its owner token, and the renewal of its lease while the handler runs.
  const claims = new WeakMap<FastifyRequest, { owner: string; hold: IdempotencyHold }>();
  app.decorateRequest('client', undefined as unknown as AuthenticatedClient);
  app.decorateRequest('idempotency', undefined);

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    const scopes = new Set(methods.map((method) => requiredScope(method, route.url)));
    const [scope] = scopes;
    if (scope === undefined || scopes.size !== 1) {
      throw new Error(`${methods.join(',')} ${route.url} is signed but has no single scope: add it to routeScopes.ts`);
    }
    route.config = { ...route.config, scope, answersWithSecret: methods.some((method) => answersWithSecret(method, route.url)) };
  });

  app.addHook('preValidation', async (request, reply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      request.client = await deps.authenticator.authenticate({
        headers: request.headers,
        method: request.method,
        pathWithQuery: request.url,
        rawBody,
        sourceAddress: request.ip,
      });
    } catch (error) {
      // The answer names one public reason; the log keeps the precise one (unknown key, disabled, bad signature).
      const cause = authFailureCause(error);
      if (cause !== undefined) request.log.info({ authFailure: cause, keyId: request.headers['x-api-key'] }, 'authentication refused');
      throw error;
    }
    const limit = await deps.rateLimiter.consume(request.client.keyId);
    reply.headers(rateLimitHeaders(limit));
    if (!limit.allowed) {
      throw new WalletError('RATE_LIMITED', 'too many requests for this API key', {
        details: { retryAfterSeconds: limit.retryAfterSeconds },
      });
    }
    // Only now, the signature verified: neither refusal tells an unsigned caller anything about a key.
    try {
      authorizeKey(request.client, request.routeOptions.config.scope!, request.ip);
    } catch (error) {
      request.log.info({ keyId: request.client.keyId, source: request.ip, refused: (error as WalletError).code }, 'key not allowed');
      throw error;
    }
    if (request.method === 'POST') {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length === 0) {
        throw new WalletError('VALIDATION_FAILED', 'every POST needs an Idempotency-Key header', {
          details: { issues: [{ field: 'headers.idempotency-key', message: 'every POST needs an Idempotency-Key header' }] },
        });
      }
      const hash = requestHash({ method: request.method, route: request.url, body: rawBody });
      const claim = await idempotency.begin(request.client.clientId, key, hash);
      if (claim.kind === 'replay') {
        request.idempotency = { key, hash, replayed: true };
        return reply.code(claim.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(claim.body);
      }
      request.idempotency = { key, hash, replayed: false };
      // The lease is short (a dead gateway's claim lapses within seconds); renew it for as long as this request runs.
      const hold = idempotency.hold(request.client.clientId, key, claim.owner, (error) =>
        request.log.warn({ err: error }, 'idempotency lease not renewed'),
      );
      claims.set(request, { owner: claim.owner, hold });
    }
    return undefined;
  });

  // The first response to an Idempotency-Key is kept (shared by all gateways); a 5xx or a retryable
  // refusal is not, so a transient outage never becomes the permanent answer for that key. Nor is a success carrying a
  // newly issued secret (secretAnswers.ts): its key is released, and a retry gets the answer transrv sealed in MySQL.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = request.idempotency;
    const held = claims.get(request);
    if (!claim || claim.replayed || !request.client || !held) return payload;
    claims.delete(request);
    held.hold.stop();
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? null);
    try {
      const holdsSecret = request.routeOptions.config.answersWithSecret === true && reply.statusCode < 300;
      if (!holdsSecret && shouldStoreResponse(reply.statusCode, errorCodeOf(reply.statusCode, body))) {
        await idempotency.complete(request.client.clientId, claim.key, held.owner, reply.statusCode, body);
      } else await idempotency.abandon(request.client.clientId, claim.key, held.owner);
    } catch (error) {
      // MySQL unique keys still make the operation idempotent; only the cached replay is lost.
      request.log.warn({ err: error }, 'idempotency record not saved');
    }
    return payload;
  });

  // A response that never went through onSend (the connection was gone) still stops the renewal: the claim then
  // lapses within the lease and a retry runs (and, the operation being idempotent in MySQL, only replays).
  app.addHook('onResponse', async (request) => {
    claims.get(request)?.hold.stop();
    claims.delete(request);
  });
}

function errorCodeOf(status: number, body: string): string | undefined {
  if (status < 400) return undefined;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
