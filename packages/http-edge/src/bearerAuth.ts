import { WalletError } from '@wallet/errors';
import type { FastifyRequest } from 'fastify';

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when there is none (or another scheme).
 * @param request the incoming request
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  return match?.[1];
}

/**
 * An `onRequest` hook that authenticates a bearer token before the body is read or parsed, so an unauthenticated
 * caller gets 401 and learns nothing from validation or size errors. `authenticate` returns who the token belongs to
 * or throws UNAUTHENTICATED; the result is stored with `set`.
 * @param authenticate maps a token (or undefined) to a principal
 * @param set stores the principal on the request
 * @param ready when given and false, answers UNAVAILABLE before looking at the token
 */
export function bearerAuth<T>(
  authenticate: (token: string | undefined) => T,
  set: (request: FastifyRequest, principal: T) => void,
  ready?: () => boolean,
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (ready !== undefined && !ready()) {
      throw new WalletError('UNAVAILABLE', 'the service is not ready yet', { details: { reason: 'NOT_READY' } });
    }
    set(request, authenticate(bearerToken(request)));
  };
}
