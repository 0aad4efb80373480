import { WalletError } from '@wallet/errors';
import type { z } from 'zod';

/**
 * Validates one part of an HTTP request (body, params, query) at the edge.
 * @throws WalletError VALIDATION_FAILED listing each bad field
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: 'body' | 'params' | 'query'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new WalletError('VALIDATION_FAILED', `invalid ${part}`, {
    details: {
      issues: result.error.issues.map((i) => ({
        field: [part, ...i.path.map(String)].join('.'),
        message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
      })),
    },
  });
}
