import {
  type ClientKey as ClientKeyModel,
  type DeriveAddress,
  clientCredentials,
  clientKeyIds,
  createClientKey,
  listClientKeys,
  rotateClientKey,
  setClientKeyStatus,
  createAccount,
  createAddress,
  createClient,
  disableClient,
  enableClient,
  getAccount,
  listAccounts,
  listAddresses,
  listClients,
  listNodes,
  maxSecretOverlapMs,
  rotateClientSecret,
  setNodeState,
  type Account as AccountModel,
  type Client as ClientModel,
  type DepositAddress as AddressModel,
} from '@wallet/accounts';
import type { AssetRegistry } from '@wallet/assets';
import { formatCidr, parseAllowList, parseKeyScopes } from '@wallet/client-auth';
import type { Db } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import { ExternalId, IdempotencyKey, ListOrder, NodeId, ObjectId, PageRequest, pageLimit } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import type { SecretBox } from '@wallet/secret-box';
import { type Metrics, grpcServerObserver } from '@wallet/metrics';
import { type Account, AccountServiceService, type Client, type ClientKey, type DepositAddress } from '@wallet/proto';
import type { ShardClients } from '@wallet/routing';
import { instanceInfo } from '@wallet/lifecycle';
import { GrpcServer, parseRequest } from '@wallet/rpc';
import { z } from 'zod';
import { accountCallers } from './accountCallers.js';

export type AccountsrvDeps = {
  /** The process's metrics: gRPC calls served are recorded in them (absent: not recorded). */
  readonly metrics?: Metrics;
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
  /** Seals and opens the API keys' secrets (ACCOUNTSRV_SECRETS_KEK_FILE). */
  readonly secrets: SecretBox;
  readonly registry: AssetRegistry;
  /** Live transrv nodes (etcd), for binding new accounts. */
  readonly shards: ShardClients;
  readonly derive: DeriveAddress;
  /** Chains a scanner watches (transrv's WALLET_CHAIN_RPC keys): addresses are issued only on these. */
  readonly scannedChains: ReadonlySet<string>;
  /**
   * Chains whose withdrawals transrv accepts: those with a node (its WALLET_CHAIN_RPC keys, its payoutChains) whose
   * family pays out (chainFamily). Only reported (GetServedChains): transrv is the one that refuses the others.
   */
  readonly payoutChains: ReadonlySet<string>;
  /** Called after an address is stored (e.g. to cache address -> account in Redis). */
  readonly onAddressCreated?: (address: AddressModel) => Promise<void>;
  /**
   * Called for each API key after a change to its credentials (a key or its client disabled or enabled, a rotation, a
   * new key) is committed, to tell the gateways (Redis pub/sub): they drop their cached copy at once. A failure is
   * logged; for a disable or enable the call then fails (UNAVAILABLE: the change is committed, re-running it tells the
   * gateways again).
   */
  readonly onCredentialsChanged?: (keyId: string) => Promise<void>;
};

const ClientIdOrOps = z.union([z.literal(''), ObjectId]);
const ListAccountsRequest = z.object({
  clientId: ObjectId,
  externalId: z.union([z.literal(''), ExternalId]),
  order: z.union([z.literal(''), z.enum([ListOrder.desc, ListOrder.asc])]),
  page: PageRequest,
});

const toClient = (c: ClientModel): Client => ({
  id: c.id,
  name: c.name,
  keyId: c.keyId,
  status: c.status,
  createdAt: c.createdAt.toISOString(),
});
const toClientKey = (k: ClientKeyModel): ClientKey => ({
  keyId: k.keyId,
  clientId: k.clientId,
  scopes: [...k.scopes],
  allowedCidrs: [...k.allowedCidrs],
  status: k.status,
  createdAt: k.createdAt.toISOString(),
  previousSecretExpiresAt: k.previousSecretExpiresAt?.toISOString() ?? '',
});
const KeyId = z.string().min(1).max(64);
const OverlapMs = z.number().int().min(0).max(maxSecretOverlapMs);
const toAccount = (a: AccountModel): Account => ({
  id: a.id,
  clientId: a.clientId,
  externalId: a.externalId,
  nodeId: a.nodeId,
  createdAt: a.createdAt.toISOString(),
});
const toAddress = (a: AddressModel): DepositAddress => ({
  chain: a.chain,
  address: a.address,
  index: a.index,
  accountId: a.accountId,
  createdAt: a.createdAt.toISOString(),
  path: a.path,
});

/** Builds accountsrv's gRPC server without listening, so tests can drive it in-process. */
export function buildApp(deps: AccountsrvDeps): GrpcServer {
  const { db, registry, secrets } = deps;
  /** Tells the gateways that `keyIds` changed; `what` names the change in the refusal when it must not go unheard. */
  const announce = async (keyIds: readonly string[], what: string, failOnError: boolean): Promise<void> => {
    try {
      for (const keyId of keyIds) await deps.onCredentialsChanged?.(keyId);
    } catch (error) {
      deps.log.error({ err: error, keyIds }, 'gateways not told of the credential change: they follow it within their cache time');
      if (failOnError) {
        throw new WalletError('UNAVAILABLE', `${what}, but the gateways could not be told; run the command again`, { cause: error });
      }
    }
  };
  return new GrpcServer(deps.log, deps.metrics ? { observe: grpcServerObserver(deps.metrics) } : {}).addService(
    'wallet.v1.AccountService',
    AccountServiceService,
    {
      getInfo: async () => instanceInfo('accountsrv', deps.instanceId, deps.startedAt),

      createClient: async (raw, ctx) => {
        const req = parseRequest(z.object({ name: z.string().max(200) }), raw);
        const { client, secret } = await createClient(db, secrets, req.name);
        ctx.log.info({ clientId: client.id, keyId: client.keyId }, 'client created');
        return { client: toClient(client), secret };
      },
      listClients: async () => ({ clients: (await listClients(db)).map(toClient) }),
      disableClient: async (raw, ctx) => {
        const req = parseRequest(z.object({ clientId: ObjectId }), raw);
        const client = await disableClient(db, req.clientId);
        ctx.log.info({ clientId: client.id }, 'client disabled');
        await announce(await clientKeyIds(db, client.id), `client ${client.id} is ${client.status}`, true);
        return toClient(client);
      },
      enableClient: async (raw, ctx) => {
        const req = parseRequest(z.object({ clientId: ObjectId }), raw);
        const client = await enableClient(db, req.clientId);
        ctx.log.info({ clientId: client.id }, 'client enabled');
        await announce(await clientKeyIds(db, client.id), `client ${client.id} is ${client.status}`, true);
        return toClient(client);
      },
      rotateClientSecret: async (raw, ctx) => {
        const req = parseRequest(z.object({ clientId: ObjectId, overlapMs: OverlapMs }), raw);
        const { client, secret, previousSecretExpiresAt } = await rotateClientSecret(db, secrets, req.clientId, req.overlapMs);
        ctx.log.info({ clientId: client.id, keyId: client.keyId, previousSecretExpiresAt }, 'client secret rotated');
        // The new secret is committed and shown only in this answer: it is returned even if the gateways were not told
        // (they then accept it once their cache expires, and the old one until then).
        await announce([client.keyId], 'rotated', false);
        return { client: toClient(client), secret, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? '' };
      },
      getClientCredentials: async (raw, ctx) => {
        const req = parseRequest(z.object({ keyId: KeyId }), raw);
        const credentials = await clientCredentials(db, secrets, req.keyId).catch((error: unknown) => {
          // The gateway refuses the request; the operator needs the key id to replace the secret (a rotation).
          if (isWalletError(error, 'SECRET_UNREADABLE')) {
            ctx.log.error({ keyId: req.keyId, code: error.code, reason: error.details['reason'] }, "a key's stored secret does not open");
          }
          throw error;
        });
        if (!credentials) throw new WalletError('NOT_FOUND', 'no such key');
        return {
          clientId: credentials.clientId,
          keyId: credentials.keyId,
          secret: credentials.secret,
          active: credentials.active,
          previousSecret: credentials.previousSecret ?? '',
          previousSecretExpiresAt: credentials.previousSecretExpiresAt?.toISOString() ?? '',
          scopes: [...credentials.scopes],
          allowedCidrs: [...credentials.allowedCidrs],
        };
      },
      createClientKey: async (raw, ctx) => {
        const req = parseRequest(
          z.object({ clientId: ObjectId, scopes: z.array(z.string().max(32)).max(8), allowedCidrs: z.array(z.string().max(64)).max(64) }),
          raw,
        );
        const limits = { scopes: parseKeyScopes(req.scopes), allowedCidrs: parseAllowList(req.allowedCidrs).map(formatCidr) };
        const { key, secret } = await createClientKey(db, secrets, req.clientId, limits);
        ctx.log.info(
          { clientId: key.clientId, keyId: key.keyId, scopes: key.scopes, allowedCidrs: key.allowedCidrs },
          'client key created',
        );
        // A gateway may remember the id as unknown for a moment (its negative cache): told, it looks it up at once.
        await announce([key.keyId], 'created', false);
        return { key: toClientKey(key), secret };
      },
      listClientKeys: async (raw) => {
        const req = parseRequest(z.object({ clientId: ObjectId }), raw);
        return { keys: (await listClientKeys(db, req.clientId)).map(toClientKey) };
      },
      setClientKeyStatus: async (raw, ctx) => {
        const req = parseRequest(z.object({ keyId: KeyId, status: z.enum(['active', 'disabled']) }), raw);
        const key = await setClientKeyStatus(db, req.keyId, req.status);
        ctx.log.info({ clientId: key.clientId, keyId: key.keyId, status: key.status }, 'client key status set');
        await announce([key.keyId], `key ${key.keyId} is ${key.status}`, true);
        return toClientKey(key);
      },
      rotateClientKey: async (raw, ctx) => {
        const req = parseRequest(z.object({ keyId: KeyId, overlapMs: OverlapMs }), raw);
        const { key, secret, previousSecretExpiresAt } = await rotateClientKey(db, secrets, req.keyId, req.overlapMs);
        ctx.log.info({ clientId: key.clientId, keyId: key.keyId, previousSecretExpiresAt }, 'client key rotated');
        await announce([key.keyId], 'rotated', false);
        return { key: toClientKey(key), secret, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? '' };
      },

      createAccount: async (raw) => {
        const req = parseRequest(z.object({ clientId: ObjectId, externalId: ExternalId, idempotencyKey: z.string().max(64) }), raw);
        const { account, created } = await createAccount(db, req.clientId, req.externalId, deps.shards.liveNodes(), req.idempotencyKey);
        if (created) deps.log.info({ accountId: account.id, nodeId: account.nodeId }, 'account bound');
        return { account: toAccount(account), created };
      },
      getAccount: async (raw) => {
        const req = parseRequest(z.object({ clientId: ClientIdOrOps, accountId: ObjectId }), raw);
        return toAccount(await getAccount(db, req.clientId, req.accountId));
      },
      listAccounts: async (raw) => {
        const req = parseRequest(ListAccountsRequest, raw);
        const page = await listAccounts(db, req.clientId, {
          externalId: req.externalId || undefined,
          order: req.order || ListOrder.desc,
          limit: pageLimit(req.page?.limit),
          cursor: req.page?.cursor || undefined,
        });
        return { accounts: page.accounts.map(toAccount), page: { nextCursor: page.nextCursor ?? '' } };
      },

      getServedChains: async () => ({
        chains: [...registry.chains.keys()].map((chain) => ({
          chain,
          deposits: deps.scannedChains.has(chain),
          withdrawals: deps.payoutChains.has(chain),
        })),
      }),

      createAddress: async (raw) => {
        const req = parseRequest(
          z.object({
            clientId: ObjectId,
            accountId: ObjectId,
            chain: z.string().max(32),
            idempotencyKey: z.union([z.literal(''), IdempotencyKey]),
          }),
          raw,
        );
        registry.chain(req.chain);
        if (!deps.scannedChains.has(req.chain)) {
          throw new WalletError('UNSUPPORTED_CHAIN', `no scanner watches ${req.chain}: an address there would go unnoticed`, {
            details: { chain: req.chain, reason: 'not_scanned' },
          });
        }
        await getAccount(db, req.clientId, req.accountId);
        const { address, created } = await createAddress(db, deps.derive, { ...req, idempotencyKey: req.idempotencyKey || undefined });
        if (created) await deps.onAddressCreated?.(address);
        return toAddress(address);
      },
      listAddresses: async (raw) => {
        const req = parseRequest(z.object({ clientId: ObjectId, accountId: ObjectId, chain: z.string().max(32), page: PageRequest }), raw);
        if (req.chain !== '') registry.chain(req.chain);
        await getAccount(db, req.clientId, req.accountId);
        const page = await listAddresses(db, req.accountId, {
          chain: req.chain || undefined,
          limit: pageLimit(req.page?.limit),
          cursor: req.page?.cursor || undefined,
        });
        return { addresses: page.addresses.map(toAddress), page: { nextCursor: page.nextCursor ?? '' } };
      },

      listNodes: async () => {
        const live = new Map(deps.shards.instances().map((i) => [i.nodeId, i.address]));
        const nodes = await listNodes(db);
        return {
          nodes: nodes.map((n) => ({
            nodeId: n.nodeId,
            state: n.state,
            live: live.has(n.nodeId),
            address: live.get(n.nodeId) ?? '',
            boundAccounts: n.boundAccounts.toString(),
          })),
        };
      },
      setNodeState: async (raw) => {
        const req = parseRequest(z.object({ nodeId: NodeId, state: z.enum(['active', 'draining']) }), raw);
        const node = await setNodeState(db, req.nodeId, req.state);
        deps.log.info({ nodeId: node.nodeId, state: node.state }, 'node state set');
        const instance = deps.shards.instances().find((i) => i.nodeId === node.nodeId);
        return {
          nodeId: node.nodeId,
          state: node.state,
          live: instance !== undefined,
          address: instance?.address ?? '',
          boundAccounts: node.boundAccounts.toString(),
        };
      },
    },
    accountCallers,
  );
}
