// Prints the client API's OpenAPI document, the one `GET /v1/openapi.json` serves, to stdout, without Redis, etcd or
// any upstream: the SDK's type generator (`pnpm -F @wallet/client gen`) and its drift test read it from here.
// The document is filled as the route plugins register, so building the app is enough; nothing is ever called.
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { createLogger } from '@wallet/logger';
import { buildApp, type GatesrvDeps } from './app.js';

/** Stands in for every dependency the document does not need: any use of it is a bug here, so it throws. */
const unreachable: unknown = new Proxy(
  {},
  {
    get: (_target, name) => {
      if (name === 'then') return undefined;
      throw new Error(`printApiDocument: the document must not need deps.${String(name)}`);
    },
  },
);

const deps = new Proxy(
  {
    instanceId: 'gatesrv-openapi',
    log: createLogger('gatesrv-openapi', { level: 'silent' }),
    bodyLimitBytes: 64 * 1024,
    upstreamTimeoutMs: 1000,
    registry: AssetRegistry.parse(devRegistryInput),
  },
  { get: (known, name) => (name in known ? known[name as keyof typeof known] : unreachable) },
) as unknown as GatesrvDeps;

const app = buildApp(deps);
await app.ready();
process.stdout.write(`${JSON.stringify(app.apiDocument.toJSON(), null, 2)}\n`);
await app.close();
