import { ApiDocument } from '@wallet/http-edge';

/**
 * The client API's OpenAPI document, filled by the route plugins as they register. docs/api.md explains what the
 * schemas cannot say (the signing string, idempotency, retries).
 */
export function createApiDocument(): ApiDocument {
  return new ApiDocument(
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
          'HMAC request signature: X-Api-Key with X-Timestamp, X-Nonce and X-Signature on every request (docs/api.md, Authentication).',
      },
    },
  );
}
