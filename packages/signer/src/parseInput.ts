import { WalletError } from '@wallet/errors';
import type { z } from 'zod';

/**
 * Validates the argument of a public function of this package. Every value here is public (addresses, amounts,
 * transaction fields), so zod's messages, which name the rule but never the value, are safe to return.
 * @param schema what the argument must be
 * @param input the argument as given
 * @param what names the argument in the error message
 * @returns the parsed value
 * @throws WalletError VALIDATION_FAILED with `details.issues` naming each bad field
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new WalletError('VALIDATION_FAILED', `invalid ${what}`, {
    details: { issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}
