import { WalletError } from '@wallet/errors';
import { validationFailed } from '@wallet/http-edge';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** A form as posted: each field once. */
export type FormFields = Readonly<Record<string, string>>;

/**
 * The fields of an `application/x-www-form-urlencoded` body (the edge app keeps bodies as raw bytes). A field sent
 * twice is refused: which of the two would count is exactly the ambiguity a forged request would play on.
 * @throws WalletError UNSUPPORTED_MEDIA_TYPE for another content type; VALIDATION_FAILED for a repeated field or bytes
 *   that are not UTF-8
 */
export function readForm(request: FastifyRequest): FormFields {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = request.body;
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) return {};
  if (type !== 'application/x-www-form-urlencoded') throw new WalletError('UNSUPPORTED_MEDIA_TYPE');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer);
  } catch {
    throw validationFailed([{ field: 'body', message: 'not UTF-8' }]);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) throw validationFailed([{ field: name, message: 'sent more than once' }]);
    fields[name] = value;
  }
  return fields;
}

/**
 * Validates form fields (or a query) with a zod schema; the CSRF field is not part of any schema.
 * @throws WalletError VALIDATION_FAILED with the issues by field
 */
export function parseFields<S extends z.ZodType>(schema: S, fields: FormFields): z.infer<S> {
  const { _csrf: _omit, ...rest } = fields;
  const parsed = schema.safeParse(rest);
  if (parsed.success) return parsed.data;
  throw validationFailed(parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'form', message: i.message })));
}
