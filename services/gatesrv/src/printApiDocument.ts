// Prints the client API's OpenAPI document, the one `GET /v1/openapi.json` serves, to stdout, without Redis, etcd or
// any upstream: the SDK's type generator (`pnpm -F @wallet/client gen`) and its drift test read it from here.
// The document is filled as the route plugins register, so building the app is enough; no upstream is ever called.
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { createLogger } from '@wallet/logger';
import { buildApp, type GatesrvDeps } from './app.js';

// What building the app reads; every other dependency (the upstream clients, Redis-backed stores, optional settings)
// is left undefined: routes use them only when they answer a request, and an optional setting takes its default.
const deps = {
  instanceId: 'gatesrv-openapi',
  log: createLogger('gatesrv-openapi', { level: 'silent' }),
  bodyLimitBytes: 64 * 1024,
  upstreamTimeoutMs: 1000,
  registry: AssetRegistry.parse(devRegistryInput),
} as Partial<GatesrvDeps> as GatesrvDeps;

const app = buildApp(deps);
await app.ready();
process.stdout.write(`${JSON.stringify(app.apiDocument.toJSON(), null, 2)}\n`);
await app.close();
