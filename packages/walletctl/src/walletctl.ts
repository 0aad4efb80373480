import { assetRegistryEnv } from '@wallet/assets';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { chainRpcEnv, commonEnv, grpcTlsFiles, loadEnvConfig } from '@wallet/config';
import { WalletError, isWalletError } from '@wallet/errors';
import { NodeId } from '@wallet/ids';
import { z } from 'zod';
import type { Db } from '@wallet/db';
import type { Discovery } from '@wallet/discovery';
import type { GrpcTls } from '@wallet/rpc';
import { devUsage } from './devUsage.js';
import { parseDuration } from './parseDuration.js';

export type Io = { out: (line: string) => void; err: (line: string) => void };

const usage = `walletctl: operate the wallet cluster (WALLET_ENV, ETCD_ENDPOINTS, MYSQL_URL select the cluster; gRPC uses mTLS
with GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE, GRPC_TLS_KEY_FILE: a certificate naming walletctl.wallet.internal)

  clients create --name NAME [--json]   create an exchange client and its first key (every scope, any source);
                                        prints keyId and secret (shown once)
  clients list [--json]                 list clients
  clients disable CLIENT_ID             disable a client: its keys stop working on every gateway within 1 s, and
                                        signsrv signs none of its withdrawals until it is enabled again
  clients enable CLIENT_ID              enable a disabled client again
  clients rotate CLIENT_ID [--overlap DURATION] [--json]
                                        issue a new secret (printed once); the old one keeps working for the
                                        overlap (default 24h; 0 = stops at once). DURATION: 0, 500ms, 90s, 15m, 24h, 7d
                                        (rotates the key the client was created with; others: clients keys rotate)
  clients keys add --client CLIENT_ID --scopes SCOPES [--allow-ip CIDRS] [--json]
                                        issue another API key for the client; prints keyId and secret (shown once).
                                        SCOPES: read (every GET, creating accounts and addresses), transfer, withdraw
                                        (withdrawals and cancels), comma-separated; CIDRS: comma-separated addresses or
                                        CIDRs the key may be used from (default: any)
  clients keys list --client CLIENT_ID [--json]
                                        the client's keys: status, scopes, allowed sources, rotation overlap
  clients keys disable KEY_ID | clients keys enable KEY_ID
                                        stop (or restart) one key on every gateway within 1 s
  clients keys rotate KEY_ID [--overlap DURATION] [--json]
                                        new secret for one key (printed once); the old one works for the overlap
  nodes [--json]                        transrv nodes: state, live in etcd, address, bound accounts
  nodes drain NODE_ID                   stop binding new accounts to a node (its accounts stay on it)
  nodes activate NODE_ID                let a node take new accounts again
  accounts show ACCOUNT_ID [--json]     an account and the node it is bound to
  balances ACCOUNT_ID [--json]          an account's balances per asset: available and frozen (base units)
  deposits [--account ID] [--status S] [--chain C] [--asset A] [--limit N] [--json]
                                        the newest deposits (S: pending, credited, orphaned, reversal_pending,
                                        reversed) with their ids, amounts, blocks and txids
  withdrawals [--account ID] [--status S] [--chain C] [--asset A] [--limit N] [--json]
                                        the newest withdrawals (S: pending_review, approved, signed, broadcast,
                                        confirmed, rejected, cancelled, failed) with destination and txid
  hot-wallets [--json]                  each chain's hot wallet addresses, the last measured balance, floor and cap
  scanners [--json]                     each chain's scanner: who writes, its checkpoint, the node's head
                                        (WALLET_CHAIN_RPC) and the lag (exit 1 when one is more than a block behind)
  ledger check [--shard NODE_ID=MYSQL_URL ...] [--json]
                                        check the ledger invariants (exit 1 when any fails); with --shard, once per
                                        transrv node whose money is in a database of its own: each shard's, and the
                                        cross-node transfers across them (docs/sharding.md)
  reserves report --asset ASSET [--json] build and store a proof-of-reserves report of the asset (docs/reserves.md)
                                        from one snapshot of the ledger: prints its id, Merkle sum tree root, total
                                        owed and leaf count, and the addresses held (balances read from WALLET_CHAIN_RPC)
  reserves list [--asset ASSET] [--limit N] [--json]
                                        the latest reports, newest first (default 20): id, time, root, total, leaves
  treasury [--json]                     per asset: owed to users (available + frozen + pending), the last reconciliation
                                        pass (hot, fee, deposit addresses, in flight, cold watched; its time and
                                        difference) and whether signing of the asset is halted (exit 1 when one is)
  treasury history --asset ASSET [--limit N] [--json]
                                        the asset's reconciliation passes, newest first (default 20)
  treasury release --asset ASSET --reason TEXT
                                        release an asset's signing halt as an admin (walletctl:<os user>; audited)
  treasury check [--asset ASSET] [--json]
                                        measure the books against the chain now (as a reconciliation pass, read-only:
                                        nothing recorded or halted); exit 1 when an asset is short beyond its tolerance
  treasury moves [--status S|open] [--kind K] [--limit N] [--json]
                                        treasury moves, newest first: cold transfers, contract calls, refills from cold
  treasury call --chain CHAIN [--to CONTRACT] --data HEX [--value WEI] [--note TEXT]
                                        ask for a contract call (no --to: deploy the init code in --data) from the hot
                                        wallet; it is signed once SIGNSRV_TREASURY_APPROVALS admins approve it in the
                                        console (never the one who asked)
  utxo stats [--chain CHAIN] [--json]   per UTXO chain: spendable outputs (count, value), held by unsigned builds,
                                        spent by unmined signed transactions, on the wallet's own addresses;
                                        consolidations in flight
  utxo consolidate --chain CHAIN [--max-inputs N] [--wait] [--json]
                                        ask signsrv to merge up to N (default 100, 2..1000) of the smallest spendable
                                        outputs into the wallet's main address, signed and sent like any payout; with
                                        --wait, wait (up to 60 s) for signsrv's answer: the transaction, or why not
  audit verify [--json]                 walk signsrv's hash-chained audit log; exit 1 naming the first broken entry
                                        (hash: changed, prev_hash: its predecessor re-hashed, gap: deleted,
                                        head: the tail deleted or re-hashed)
  audit tail [--limit N] [--json]       the last N audit entries (default 20, at most 1000), oldest of them first
  console create-admin --username NAME [--json]
                                        create an admin of the auditors' console (signsrv); prints its password and
                                        TOTP secret (shown once); refuses an existing username; audited
  alerts [--all] [--kind K[,K]] [--json] operator alarms of signsrv and transrv, newest first: unacknowledged ones
                                        (--all: acknowledged ones too), each with its title and what to do
  alerts ack ID --comment TEXT          acknowledge an alarm (ID as listed: s:12, n:7) as operator:<os user>; once per
                                        alarm (another acknowledgement is refused, naming the first)
  reviews [--json]                      the review queue (oldest first, approvals so far), whether signing is paused,
                                        the automation API's switch and each asset's policy (read-only: decide in the
                                        console or through the automation API)
  health [--json]                       every registered instance (id, node, gRPC and HTTP addresses) and whether it
                                        answers its gRPC health check (exit 1 unless accountsrv and a transrv serve);
                                        the gateway's open /healthz shows status only
${devUsage}`;

/**
 * A MySQL pool for one command. Every command's modules (and the libraries they need: gRPC, etcd, the chain libraries)
 * are imported when that command runs, not at start: a call answers in a fraction of a second instead of loading all
 * of them for each command.
 */
async function openDb(url: string, poolMax: number): Promise<Db> {
  const { createDb } = await import('@wallet/db');
  return createDb(url, { poolMin: 0, poolMax });
}

// accountsrv's bound (the request field is a uint32 of milliseconds: a longer one would not fit anyway).
const maxOverlapMs = 30 * 86_400_000;

const env = z.object({
  WALLET_ENV: commonEnv.WALLET_ENV,
  ETCD_ENDPOINTS: commonEnv.ETCD_ENDPOINTS,
  MYSQL_URL: commonEnv.MYSQL_URL,
  DISCOVERY_TTL_SECONDS: commonEnv.DISCOVERY_TTL_SECONDS,
  GRPC_TLS_CA_FILE: commonEnv.GRPC_TLS_CA_FILE,
  GRPC_TLS_CERT_FILE: commonEnv.GRPC_TLS_CERT_FILE,
  GRPC_TLS_KEY_FILE: commonEnv.GRPC_TLS_KEY_FILE,
});

/**
 * Runs one walletctl command.
 * @returns the process exit code
 */
export async function runWalletctl(argv: readonly string[], io: Io, environment: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The sandbox's commands have options of their own (docs/sandbox.md).
  if (argv[0] === 'dev') return (await import('./devCommands.js')).runDevCommand(argv.slice(1), io, environment);
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      name: { type: 'string' },
      username: { type: 'string' },
      overlap: { type: 'string' },
      client: { type: 'string' },
      account: { type: 'string' },
      scopes: { type: 'string' },
      'allow-ip': { type: 'string' },
      chain: { type: 'string' },
      'max-inputs': { type: 'string' },
      limit: { type: 'string' },
      wait: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      kind: { type: 'string' },
      comment: { type: 'string' },
      asset: { type: 'string' },
      reason: { type: 'string' },
      to: { type: 'string' },
      data: { type: 'string' },
      value: { type: 'string' },
      note: { type: 'string' },
      status: { type: 'string' },
      shard: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [group, action, arg] = positionals;
  if (values.help || !group) {
    io.out(usage);
    return group || values.help ? 0 : 2;
  }
  const config = loadEnvConfig(env, environment);
  const print = (json: unknown, human: string[]) => (values.json ? io.out(JSON.stringify(json, null, 2)) : human.forEach((l) => io.out(l)));

  if (group === 'ledger' && action === 'check') {
    const shardArgs = values.shard ?? [];
    const shards: { nodeId: string; url: string }[] = [];
    for (const arg of shardArgs) {
      const at = arg.indexOf('=');
      const [nodeId, url] = [arg.slice(0, at), arg.slice(at + 1)];
      if (at < 0 || !NodeId.safeParse(nodeId).success || !url.startsWith('mysql://')) {
        // the URL's password is not echoed
        io.err(`--shard takes NODE_ID=mysql://USER:PASSWORD@HOST/DATABASE, not ${arg.replace(/:[^:@/]*@/, ':***@')}\n`);
        return 2;
      }
      shards.push({ nodeId, url });
    }
    if (new Set(shards.map((s) => s.nodeId)).size !== shards.length) {
      io.err('--shard names each node once\n');
      return 2;
    }
    const dbs = shards.length === 0 ? [await openDb(config.MYSQL_URL, 2)] : await Promise.all(shards.map((s) => openDb(s.url, 2)));
    try {
      const { checkInvariants, checkShards } = await import('@wallet/ledger');
      const report =
        shards.length === 0 ? await checkInvariants(dbs[0]!) : await checkShards(shards.map((s, i) => ({ nodeId: s.nodeId, db: dbs[i]! })));
      const totals = Object.fromEntries(
        Object.entries(report.totals).map(([k, v]) => [k, { users: v.users.toString(), transit: v.transit.toString() }]),
      );
      print({ ok: report.ok, problems: report.problems, totals }, [
        report.ok ? 'ledger invariants hold' : `ledger invariants FAILED (${report.problems.length})`,
        ...report.problems.map((p) => `  - ${p}`),
        ...Object.entries(totals).map(([asset, t]) => `  ${asset.padEnd(6)} held by users ${t.users}, in transit ${t.transit}`),
      ]);
      return report.ok ? 0 : 1;
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  }

  if (group === 'utxo' && (action === 'stats' || action === 'consolidate')) {
    const db = await openDb(config.MYSQL_URL, 2);
    try {
      const { consolidationRequest, requestConsolidation, utxoStats } = await import('./utxoCommands.js');
      if (action === 'stats') {
        const stats = await utxoStats(db, values.chain);
        print(stats, [
          'chain  spendable (n, value)        building (n, value)       in flight (n, value)      wallet-owned (n, value)   consolidations',
          ...stats.map(
            (s) =>
              `${s.chain.padEnd(6)} ${`${s.spendable.count} ${s.spendable.value}`.padEnd(27)} ${`${s.building.count} ${s.building.value}`.padEnd(25)} ${`${s.inFlight.count} ${s.inFlight.value}`.padEnd(25)} ${`${s.walletOwned.count} ${s.walletOwned.value}`.padEnd(25)} ${s.consolidationsInFlight}`,
          ),
        ]);
        return 0;
      }
      const chain = required(values.chain, '--chain');
      const maxInputs = values['max-inputs'] === undefined ? 100 : Number(values['max-inputs']);
      const id = await requestConsolidation(db, chain, maxInputs, `walletctl:${process.env['USER'] ?? 'operator'}`);
      let request = await consolidationRequest(db, id);
      for (const deadline = Date.now() + 60_000; values.wait && request?.status === 'requested' && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        request = await consolidationRequest(db, id);
      }
      print(request, [
        `consolidation request ${id} on ${chain} (up to ${maxInputs} outputs): ${request?.status ?? 'unknown'}`,
        ...(request?.build
          ? [
              `  build ${request.buildId}: ${request.build.status}, ${request.build.inputs} inputs, fee ${request.build.fee}, txid ${request.build.txid ?? '-'}`,
            ]
          : []),
        ...(request?.reason ? [`  ${request.reason}`] : []),
        ...(request?.status === 'requested'
          ? ['  signsrv answers on its next pass (walletctl utxo stats shows consolidations in flight)']
          : []),
      ]);
      return request?.status === 'refused' ? 1 : 0;
    } finally {
      await db.destroy();
    }
  }

  if (['deposits', 'withdrawals', 'balances', 'hot-wallets', 'scanners'].includes(group)) {
    const db = await openDb(config.MYSQL_URL, 3);
    try {
      const { operatorCommand } = await import('./operatorCommands.js');
      const options = {
        json: values.json,
        account: values.account,
        status: values.status,
        chain: values.chain,
        asset: values.asset,
        limit: values.limit,
      };
      const chains = {
        registry: assetRegistryEnv.parse(environment['WALLET_ASSETS']),
        rpc: chainRpcEnv.parse(environment['WALLET_CHAIN_RPC']),
      };
      return await operatorCommand(db, group, action, options, io, chains);
    } finally {
      await db.destroy();
    }
  }

  if (group === 'audit') {
    const db = await openDb(config.MYSQL_URL, 2);
    try {
      return await (await import('./auditCommands.js')).auditCommand(db, action, { json: values.json, limit: values.limit }, io);
    } finally {
      await db.destroy();
    }
  }

  if (group === 'console') {
    const db = await openDb(config.MYSQL_URL, 2);
    try {
      const actor = `walletctl:${process.env['USER'] ?? 'operator'}`;
      const [{ runConsoleCommand }, { appendAudit }] = await Promise.all([import('./consoleCommands.js'), import('@wallet/audit')]);
      return await runConsoleCommand(action, { username: values.username, json: values.json }, io, { db, audit: appendAudit, actor });
    } finally {
      await db.destroy();
    }
  }

  if (group === 'reviews') {
    const db = await openDb(config.MYSQL_URL, 3);
    try {
      return await (await import('./reviewsCommands.js')).reviewsCommand(db, { json: values.json }, io);
    } finally {
      await db.destroy();
    }
  }

  if (group === 'reserves') {
    const db = await openDb(config.MYSQL_URL, 2);
    try {
      return await (
        await import('./reservesCommands.js')
      ).reservesCommand(db, action, { asset: values.asset, limit: values.limit, json: values.json }, io, environment);
    } finally {
      await db.destroy();
    }
  }

  if (group === 'treasury') {
    const db = await openDb(config.MYSQL_URL, 3);
    try {
      const options = {
        asset: values.asset,
        reason: values.reason,
        limit: values.limit,
        json: values.json,
        actor: `walletctl:${osUser()}`,
        chain: values.chain,
        to: values.to,
        data: values.data,
        value: values.value,
        note: values.note,
        status: values.status,
        kind: values.kind,
        registry: assetRegistryEnv.parse(environment['WALLET_ASSETS']),
        approvals: Number(environment['SIGNSRV_TREASURY_APPROVALS'] ?? '2'),
        environment,
      };
      const [{ treasuryCommand }, { appendAudit }] = await Promise.all([import('./treasuryCommands.js'), import('@wallet/audit')]);
      return await treasuryCommand(db, appendAudit, action, options, io);
    } finally {
      await db.destroy();
    }
  }

  if (group === 'alerts') {
    const db = await openDb(config.MYSQL_URL, 2);
    try {
      const options = { all: values.all, kind: values.kind, comment: values.comment, json: values.json, actor: `operator:${osUser()}` };
      return await (await import('./alertsCommands.js')).alertsCommand(db, action, arg, options, io);
    } finally {
      await db.destroy();
    }
  }

  const [{ Discovery }, { createLogger }, { GrpcTls }] = await Promise.all([
    import('@wallet/discovery'),
    import('@wallet/logger'),
    import('@wallet/rpc'),
  ]);
  // Read only by the commands that dial gRPC, so a wrong file does not stop the MySQL-only ones above.
  const files = grpcTlsFiles(config);
  const tls = files === undefined ? undefined : GrpcTls.fromFiles(files, 'walletctl');
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    log: createLogger('walletctl', { level: 'silent' }),
  });
  if (group === 'health') {
    try {
      const rows = await clusterHealth(discovery, tls);
      const serving = (service: string) => rows.some((r) => r.service === service && r.status === 'SERVING');
      const ok = serving('accountsrv') && serving('transrv');
      print({ ok, instances: rows }, [
        ok ? 'cluster ok' : 'cluster NOT ready (needs a serving accountsrv and transrv)',
        'service     instance                            node  status       gRPC                  HTTP',
        ...rows.map(
          (r) =>
            `${r.service.padEnd(11)} ${r.instanceId.padEnd(35)} ${(r.nodeId ?? '-').padEnd(5)} ${r.status.padEnd(12)} ${(r.address || '-').padEnd(21)} ${r.httpAddress ?? '-'}`,
        ),
      ]);
      return ok ? 0 : 1;
    } finally {
      await discovery.close();
    }
  }
  const [{ AnyInstanceClient }, { AccountServiceService }] = await Promise.all([import('@wallet/routing'), import('@wallet/proto')]);
  const accountsrv = await AnyInstanceClient.watch(discovery, 'accountsrv', AccountServiceService, tls);
  try {
    const api = accountsrv.pick();
    if (group === 'clients' && action === 'keys') {
      const [, , , keyId] = positionals;
      const options = {
        client: values.client,
        scopes: values.scopes,
        allowIp: values['allow-ip'],
        overlap: values.overlap,
        json: values.json,
      };
      return await (await import('./clientKeyCommands.js')).clientKeysCommand(api, arg, keyId, options, io);
    }
    switch (`${group} ${action ?? ''}`.trim()) {
      case 'clients create': {
        if (!values.name) throw new WalletError('VALIDATION_FAILED', '--name is required');
        const { client, secret } = await api.createClient({ name: values.name });
        print({ clientId: client?.id, name: client?.name, keyId: client?.keyId, secret }, [
          `client   ${client?.id} (${client?.name})`,
          `keyId    ${client?.keyId}`,
          `secret   ${secret}`,
          'The secret is shown only now: hand it to the exchange over a secure channel.',
        ]);
        return 0;
      }
      case 'clients list': {
        const { clients } = await api.listClients({});
        print(
          clients,
          clients.map((c) => `${c.id}  ${c.keyId}  ${c.status.padEnd(8)}  ${c.createdAt}  ${c.name}`),
        );
        return 0;
      }
      case 'clients disable': {
        const client = await api.disableClient({ clientId: required(arg, 'CLIENT_ID') });
        print(client, [`${client.id} is ${client.status}`]);
        return 0;
      }
      case 'clients enable': {
        const client = await api.enableClient({ clientId: required(arg, 'CLIENT_ID') });
        print(client, [`${client.id} is ${client.status}`]);
        return 0;
      }
      case 'clients rotate': {
        const overlapMs = parseDuration(values.overlap ?? '24h', '--overlap');
        if (overlapMs > maxOverlapMs) throw new WalletError('VALIDATION_FAILED', '--overlap must be at most 30d');
        const { client, secret, previousSecretExpiresAt } = await api.rotateClientSecret({
          clientId: required(arg, 'CLIENT_ID'),
          overlapMs,
        });
        print({ clientId: client?.id, keyId: client?.keyId, secret, previousSecretExpiresAt: previousSecretExpiresAt || null }, [
          `client   ${client?.id} (${client?.name})`,
          `keyId    ${client?.keyId} (unchanged)`,
          `secret   ${secret}`,
          previousSecretExpiresAt ? `The old secret keeps working until ${previousSecretExpiresAt}.` : 'The old secret no longer works.',
          'The secret is shown only now: hand it to the exchange over a secure channel.',
        ]);
        return 0;
      }
      case 'nodes': {
        const { nodes } = await api.listNodes({});
        print(nodes, [
          'node        state     live  bound accounts  address',
          ...nodes.map(
            (n) =>
              `${n.nodeId.padEnd(11)} ${n.state.padEnd(9)} ${(n.live ? 'yes' : 'no').padEnd(5)} ${n.boundAccounts.padStart(14)}  ${n.address}`,
          ),
        ]);
        return 0;
      }
      case 'nodes drain':
      case 'nodes activate': {
        const node = await api.setNodeState({ nodeId: required(arg, 'NODE_ID'), state: action === 'drain' ? 'draining' : 'active' });
        print(node, [`${node.nodeId} is ${node.state}`]);
        return 0;
      }
      case 'accounts show': {
        const account = await api.getAccount({ clientId: '', accountId: required(arg, 'ACCOUNT_ID') });
        print(account, [
          `account  ${account.id}`,
          `client   ${account.clientId}`,
          `external ${account.externalId}`,
          `node     ${account.nodeId}`,
          `created  ${account.createdAt}`,
        ]);
        return 0;
      }
      default:
        io.err(`unknown command: ${positionals.join(' ')}\n`);
        io.out(usage);
        return 2;
    }
  } finally {
    await accountsrv.close();
    await discovery.close();
  }
}

/** The operator at the terminal, as acknowledgements record them. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new WalletError('VALIDATION_FAILED', `${name} is required`);
  return value;
}

/** One line for a failed command. */
export function describeFailure(error: unknown): string {
  if (isWalletError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Every instance registered in etcd, with its gRPC health (instances without gRPC are listed as `no-grpc`). */
async function clusterHealth(discovery: Discovery, tls: GrpcTls | undefined) {
  const [{ ServiceName }, { checkHealth }] = await Promise.all([import('@wallet/discovery'), import('@wallet/rpc')]);
  const services = Object.values(ServiceName);
  const watches = await Promise.all(services.map((s) => discovery.watch(s)));
  const instances = watches.flatMap((w) => w.instances());
  return Promise.all(
    instances.map(async (i) => ({
      service: i.service,
      instanceId: i.instanceId,
      ...(i.nodeId === undefined ? {} : { nodeId: i.nodeId }),
      address: i.address,
      ...(i.httpAddress === undefined ? {} : { httpAddress: i.httpAddress }),
      status: i.address === '' ? 'no-grpc' : await checkHealth(i.address, '', 1000, tls?.clientOf(i.service)),
    })),
  );
}
