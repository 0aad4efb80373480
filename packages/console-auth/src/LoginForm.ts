import { z } from 'zod';

/**
 * The login form's fields, for the HTTP edge. Bounded so a huge body costs nothing; a username that is not one is
 * still accepted here and fails as an unknown user (the form does not say which names exist).
 */
export const LoginForm = z
  .object({
    username: z.string().max(200),
    password: z.string().max(1000),
    totp: z.string().max(20),
  })
  .strict();
export type LoginForm = z.infer<typeof LoginForm>;
