import { createEdgeApp } from '@wallet/http-edge';
import { httpMetrics } from '@wallet/metrics';
import { createApiDocument } from './apiDocument.js';
import type { GatesrvDeps } from './deps.js';
import { accountRoutes } from './routes/accounts.js';
import { addressRoutes } from './routes/addresses.js';
import { assetRoutes } from './routes/assets.js';
import { depositRoutes } from './routes/deposits.js';
import { eventRoutes } from './routes/events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { emailRecipientRoutes } from './routes/emailRecipients.js';
import { paymentRequestRoutes } from './routes/paymentRequests.js';
import { rateRoutes } from './routes/rates.js';
import { redPacketRoutes } from './routes/redPackets.js';
import { publicHealthRoutes, signedHealthRoutes } from './routes/health.js';
import { ledgerRoutes } from './routes/ledger.js';
import { reservesRoutes } from './routes/reserves.js';
import { openApiRoutes } from './routes/openapi.js';
import { transferRoutes } from './routes/transfers.js';
import { withdrawalRoutes } from './routes/withdrawals.js';
import { signedRequests } from './signedRequests.js';

export type { GatesrvDeps } from './deps.js';

/**
 * Builds the gateway's HTTP app without listening (tests use `inject()`): the edge kit's rules for every answer, the
 * open probes (`/healthz`, `/v1/openapi.json`), and the signed client API of docs/api.md, one plugin per resource.
 */
export function buildApp(deps: GatesrvDeps) {
  const app = createEdgeApp({
    log: deps.log,
    bodyLimitBytes: deps.bodyLimitBytes,
    trustedProxies: deps.trustedProxies ?? [],
    // The key that signed the request once verified; null before (a refused key id is in the refusal's own line).
    // `client` is typed as always set (it is, on signed routes past authentication) but is absent elsewhere.
    accessLog: { fields: (request) => ({ keyId: (request.client as typeof request.client | undefined)?.keyId ?? null }) },
  });
  // First, so its hook sees every route's answers, refusals included.
  if (deps.metrics) void app.register(httpMetrics, { metrics: deps.metrics });
  const api = createApiDocument(deps.registry);
  void app.register(publicHealthRoutes(api, deps));
  void app.register(openApiRoutes(api), { prefix: '/v1' });
  void app.register(
    async (v1) => {
      signedRequests(v1, deps);
      await v1.register(assetRoutes(api, deps));
      await v1.register(accountRoutes(api, deps));
      await v1.register(addressRoutes(api, deps));
      await v1.register(ledgerRoutes(api, deps));
      await v1.register(depositRoutes(api, deps));
      await v1.register(transferRoutes(api, deps));
      await v1.register(withdrawalRoutes(api, deps));
      await v1.register(reservesRoutes(api, deps));
      await v1.register(eventRoutes(api, deps));
      await v1.register(webhookRoutes(api, deps));
      await v1.register(emailRecipientRoutes(api, deps));
      await v1.register(rateRoutes(api, deps));
      await v1.register(paymentRequestRoutes(api, deps));
      await v1.register(redPacketRoutes(api, deps));
      await v1.register(signedHealthRoutes(api, deps));
    },
    { prefix: '/v1' },
  );
  return Object.assign(app, { apiDocument: api });
}
