import { KeyScope } from '@wallet/client-auth';

/**
 * The scope each POST of the signed API needs (docs/api.md, Keys and scopes), by full path in OpenAPI syntax. Every
 * GET needs `read`. A signed POST missing here cannot be registered (the app refuses to build): deciding what a key
 * needs for a new route is part of adding it.
 */
const postScopes: Readonly<Record<string, KeyScope>> = {
  // Creating accounts and deposit addresses moves no funds: a reporting key may do it.
  '/v1/accounts': KeyScope.read,
  '/v1/accounts/{id}/addresses': KeyScope.read,
  // A payment request is an address with an amount and a deadline: it moves no funds either.
  '/v1/accounts/{id}/payment-requests': KeyScope.read,
  '/v1/transfers': KeyScope.transfer,
  // A red packet freezes funds and its claims move them between the client's accounts, as transfers do.
  '/v1/red-packets': KeyScope.transfer,
  '/v1/red-packets/{id}/claim': KeyScope.transfer,
  '/v1/accounts/{id}/withdrawals': KeyScope.withdraw,
  '/v1/withdrawals/{id}/cancel': KeyScope.withdraw,
  // Webhooks send the client's own events (readable with `read`) to its receivers: a reporting key may manage them.
  '/v1/webhooks': KeyScope.read,
  '/v1/webhooks/{id}/rotate-secret': KeyScope.read,
  '/v1/webhooks/{id}/test': KeyScope.read,
  '/v1/webhooks/{id}/redeliver': KeyScope.read,
  // Notification addresses receive the same events, by email.
  '/v1/email-recipients': KeyScope.read,
};

/** The scope of each signed PATCH and DELETE, by full path. */
const otherScopes: Readonly<Record<string, KeyScope>> = {
  'PATCH /v1/webhooks/{id}': KeyScope.read,
  'DELETE /v1/webhooks/{id}': KeyScope.read,
  'PATCH /v1/email-recipients/{id}': KeyScope.read,
  'DELETE /v1/email-recipients/{id}': KeyScope.read,
};

/**
 * The scope a signed route needs.
 * @param method HTTP method
 * @param path the route's full path, in OpenAPI syntax (`/v1/accounts/{id}`) or fastify's (`/v1/accounts/:id`)
 * @returns the scope, or undefined when the route has none (a route that must not be served)
 */
export function requiredScope(method: string, path: string): KeyScope | undefined {
  if (method === 'GET' || method === 'HEAD') return KeyScope.read;
  const route = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  if (method !== 'POST') return otherScopes[`${method} ${route}`];
  return postScopes[route];
}
