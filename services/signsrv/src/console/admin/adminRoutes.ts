import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { sessionOf } from '../consoleRequest.js';
import { controlsRoutes } from './controlsRoutes.js';
import { policyRoutes } from './policyRoutes.js';
import { treasuryRoutes } from './treasuryRoutes.js';
import { userRoutes } from './userRoutes.js';
import { whitelistRoutes } from './whitelistRoutes.js';

/**
 * The admin pages (under `/console/admin`): users, policies, whitelists, the signing controls, the treasury. An auditor gets 403
 * before anything is read or done; each function refuses a non-admin again (@wallet/payout's requireAdmin).
 */
export function adminRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request) => deps.auth.requireRole(sessionOf(request), 'admin'));
    await app.register(userRoutes(deps));
    await app.register(policyRoutes(deps));
    await app.register(whitelistRoutes(deps));
    await app.register(controlsRoutes(deps));
    await app.register(treasuryRoutes(deps));
  };
}
