import { WalletError } from '@wallet/errors';
import type { z } from 'zod';

/** Which part of a request a value came from: the prefix of every `field` in VALIDATION_FAILED details. */
export type InputPart = 'body' | 'params' | 'query' | 'headers';

/** One problem with the input: `field` is a dotted path from the request part (`body.amount`). */
export type ValidationIssue = { readonly field: string; readonly message: string };

/**
 * The one VALIDATION_FAILED shape every HTTP edge answers with: `details.issues` lists each bad field.
 * @param issues at least one field and what is wrong with it
 * @param message short summary @default 'invalid request'
 */
export function validationFailed(issues: readonly ValidationIssue[], message = 'invalid request'): WalletError<'VALIDATION_FAILED'> {
  return new WalletError('VALIDATION_FAILED', message, { details: { issues } });
}

/**
 * Validates one part of an HTTP request (body, params, query) at the edge.
 * @param schema the zod schema the route declares (the OpenAPI document is generated from the same one)
 * @param value the raw value
 * @param part where the value came from, for the field names
 * @returns the parsed value
 * @throws WalletError VALIDATION_FAILED listing each bad field
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: InputPart): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationFailed(
    result.error.issues.map((i) => ({
      field: [part, ...i.path.map(String)].join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
    })),
    `invalid ${part}`,
  );
}
