import type { AssetRegistry } from '@wallet/assets';
import type { IdempotencyStore, RateLimiter, RequestAuthenticator } from '@wallet/client-auth';
import type { Logger } from '@wallet/logger';
import type { Metrics } from '@wallet/metrics';
import type { AccountServiceService } from '@wallet/proto';
import type { AnyInstanceClient, ShardClients } from '@wallet/routing';
import type { AccountRouter } from './AccountRouter.js';
import type { EventWaiter } from './EventWaiter.js';
import type { Peers } from './peers.js';

/** Everything the gateway's HTTP app is built from; each route plugin takes only the part it uses. */
export type GatesrvDeps = {
  /** The process's metrics: HTTP requests answered are recorded in them (absent: not recorded). */
  readonly metrics?: Metrics;
  readonly instanceId: string;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  /**
   * Proxies whose X-Forwarded-For is believed for the source address (keys' allow-lists, per-source limits);
   * GATESRV_TRUSTED_PROXIES. @default none: the socket's peer is the source
   */
  readonly trustedProxies?: readonly string[];
  readonly upstreamTimeoutMs: number;
  readonly peers: Peers;
  readonly registry: AssetRegistry;
  readonly authenticator: RequestAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly accountsrv: AnyInstanceClient<typeof AccountServiceService>;
  readonly shards: ShardClients;
  readonly router: AccountRouter;
  /** Wakes the event feed's long polls and streams. */
  readonly events: EventWaiter;
  /**
   * Whether the process takes new work: false before it is fully started and from the start of its shutdown, when the
   * open `/healthz` answers 503 at once so that a load balancer stops sending here. @default always ready
   */
  readonly ready?: () => boolean;
};

/** What the resource plugins use: upstream clients, routing and the asset registry. */
export type RouteDeps = Pick<GatesrvDeps, 'registry' | 'accountsrv' | 'shards' | 'router' | 'upstreamTimeoutMs'>;
