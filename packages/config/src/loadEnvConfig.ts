import { WalletError } from '@wallet/errors';
import { type z } from 'zod';
import { redactEnvValue } from './redactEnvValue.js';
import { grpcTlsFiles } from './schemas.js';

export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/**
 * Parses a service's configuration from environment variables with one zod object schema whose keys are
 * the variable names. The schema is strict over the variables this service owns: any variable that
 * starts with one of `ownedPrefixes` but is not in the schema is an error (a typo never silently falls
 * back to a default). Fails with one message that names every bad variable, showing its value only as
 * {@link redactEnvValue} allows (no secrets, no credentials in URLs); the result is frozen. A schema with the common
 * gRPC mTLS variables also gets their joint rule ({@link grpcTlsFiles}: all three or none, none refused in prod), so
 * no service can forget it.
 *
 * @param schema zod object keyed by environment variable name, with defaults for the local stack
 * @param env the environment @default process.env
 * @param ownedPrefixes prefixes of variables this service owns, e.g. `['GATESRV_']`
 * @returns the parsed, frozen configuration
 */
export function loadEnvConfig<S extends EnvSchema>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  ownedPrefixes: readonly string[] = [],
): Readonly<z.infer<S>> {
  const known = new Set(Object.keys(schema.shape));
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    // An empty variable counts as unset, as in most shells' `FOO= cmd`.
    if (known.has(key) && value !== '') input[key] = value;
    else if (!known.has(key) && ownedPrefixes.some((p) => key.startsWith(p))) input[key] = value;
  }
  const result = schema.strict().safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown variable`;
      const name = String(issue.path[0] ?? '(config)');
      const shown = input[name] === undefined ? 'unset' : `got ${JSON.stringify(redactEnvValue(name, input[name]))}`;
      return `${name}: ${issue.message} (${shown})`;
    });
    throw new WalletError('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, {
      details: {
        variables: [...new Set(result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : [String(i.path[0])])))],
      },
    });
  }
  const config = result.data as z.infer<S>;
  if ('GRPC_TLS_CA_FILE' in schema.shape && 'WALLET_ENV' in schema.shape) grpcTlsFiles(config as Parameters<typeof grpcTlsFiles>[0]);
  return Object.freeze(config);
}
