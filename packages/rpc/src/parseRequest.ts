import { WalletError } from '@wallet/errors';
import type { z } from 'zod';

/**
 * Validates a decoded gRPC request at the server's edge. Proto3 decoding accepts any bytes, so every
 * handler checks ranges, formats and amounts here before touching state.
 * @returns the parsed value
 * @throws WalletError VALIDATION_FAILED naming the bad fields
 */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown): z.infer<S> {
  const result = schema.safeParse(request);
  if (result.success) return result.data;
  throw new WalletError('VALIDATION_FAILED', 'invalid request', {
    // The same `issues: [{field, message}]` shape as the HTTP edge (packages/http-edge), so a refusal that reaches a
    // client from behind the gateway looks like one the gateway made itself.
    details: { issues: result.error.issues.map((i) => ({ field: i.path.join('.') || 'request', message: i.message })) },
  });
}
