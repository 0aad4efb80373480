/**
 * The signed routes whose successful answer carries a newly issued secret, by method and full path in OpenAPI syntax.
 * The gateway never keeps such an answer in its Redis idempotency store (signedRequests.ts): the secret would sit
 * there in plaintext for the store's 24 h. Its Idempotency-Key is released once answered instead, and a retry reaches
 * transrv, which keeps each keyed request's answer in MySQL with the secret sealed under its key-encryption key and
 * answers the retry with it (docs/operations-secrets.md, Idempotent answers holding secrets).
 * A test checks that every route whose OpenAPI 2xx answer has a `secret` property is listed here.
 */
const routes: ReadonlySet<string> = new Set(['POST /v1/webhooks', 'POST /v1/webhooks/{id}/rotate-secret']);

/**
 * Whether a route's successful answer carries a newly issued secret.
 * @param method HTTP method
 * @param path the route's full path, in OpenAPI syntax (`/v1/webhooks/{id}`) or fastify's (`/v1/webhooks/:id`)
 */
export function answersWithSecret(method: string, path: string): boolean {
  return routes.has(`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
}
