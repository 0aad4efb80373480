import type { AssetRegistry } from '@wallet/assets';
import { ApiDocument } from '@wallet/http-edge';
import { requiredScope } from './routeScopes.js';

const header = (description: string, type: 'string' | 'integer' = 'string') => ({ description, schema: { type } });

/**
 * The document of one deployment: its `Chain` schema (views.ts) is the enum of the registry's chain ids, which
 * configuration decides (a zod schema is fixed when the module loads; the registry is known when the app is built).
 */
class DeploymentApiDocument extends ApiDocument {
  readonly #chains: readonly string[];

  constructor(chains: readonly string[], ...args: ConstructorParameters<typeof ApiDocument>) {
    super(...args);
    this.#chains = chains;
  }

  override toJSON(): ReturnType<ApiDocument['toJSON']> {
    const doc = super.toJSON();
    const chain = doc.components?.schemas?.['Chain'];
    if (chain !== undefined && !('$ref' in chain)) chain.enum = [...this.#chains];
    return doc;
  }
}

/**
 * The client API's OpenAPI document, filled by the route plugins as they register. docs/api.md explains what the
 * schemas cannot say (the signing string, idempotency, retries).
 * @param registry the deployment's chains and assets (the `Chain` enum)
 */
export function createApiDocument(registry: AssetRegistry): ApiDocument {
  return new DeploymentApiDocument(
    [...registry.chains.keys()],
    {
      title: 'Wallet cluster client API',
      version: '1.0.0',
      description:
        'The signed HTTP API an exchange back office calls (docs/api.md). Every /v1 route except /v1/openapi.json is signed: ' +
        'X-Api-Key, X-Timestamp (epoch ms), X-Nonce and X-Signature = hex(HMAC-SHA256(secret, timestamp\\nnonce\\nMETHOD\\npathWithQuery\\nhex(sha256(body)))). ' +
        'Every POST needs an Idempotency-Key. Amounts are strings of integers in base units.',
    },
    {
      signature: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Api-Key',
        description:
          'HMAC request signature: X-Api-Key with X-Timestamp, X-Nonce and X-Signature on every request (docs/api.md, Authentication). ' +
          'The scope listed with each operation is the one its key needs (read, transfer, withdraw: docs/api.md, Keys and scopes).',
      },
    },
    {
      scopeOf: requiredScope,
      responseHeaders: {
        'X-Request-Id': header(
          "The request's id: the client's X-Request-Id if it was 1-128 of [A-Za-z0-9._:-], else one the gateway made. Every log line of the request carries it.",
        ),
      },
      securedResponseHeaders: {
        'RateLimit-Limit': header("The key's budget: requests per second, and the largest burst.", 'integer'),
        'RateLimit-Remaining': header('Requests still allowed right now.', 'integer'),
        'RateLimit-Reset': header('Seconds until the whole budget is back if no request comes meanwhile.', 'integer'),
      },
    },
  );
}
