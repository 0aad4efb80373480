/**
 * Who writes what: every table of the schema has one owning service, which alone writes it; other services read
 * what they need of it and learn of changes through the owner's API or messages. `applyGrants` turns this map into
 * one MySQL user per service with exactly these privileges (no DDL: migrations run as the admin user), and a test
 * fails when a migrated table is missing here, so a new migration must declare its table's owner.
 */

/**
 * The services that hold a MySQL user. gatesrv is one too, with no grant at all: it works on Redis and gRPC only,
 * and a MySQL query from it would be a design change to make here first.
 */
export const DbService = {
  accountsrv: 'accountsrv',
  transrv: 'transrv',
  signsrv: 'signsrv',
  gatesrv: 'gatesrv',
} as const;
export type DbService = (typeof DbService)[keyof typeof DbService];
export const dbServices: readonly DbService[] = Object.values(DbService);

/**
 * A write by a service other than the owner, limited to the columns it needs. Each one is a documented exception to
 * "only the owner writes", with the reason it exists.
 */
export type ColumnGrant = {
  readonly service: DbService;
  readonly privilege: 'SELECT' | 'INSERT' | 'UPDATE';
  readonly columns: readonly string[];
  readonly why: string;
};

export type TableOwnership = {
  readonly owner: DbService;
  /** Services that read the whole table (SELECT). */
  readonly readers: readonly DbService[];
  /** Column-level grants to services other than the owner. */
  readonly exceptions?: readonly ColumnGrant[];
  /** What the table holds, one line (the docs' table shows it). */
  readonly holds: string;
};

const { accountsrv, transrv, signsrv } = DbService;

/**
 * Every table the migrations create, by name (knex's own `knex_migrations*` tables excepted: only the admin user that
 * runs migrations touches them). Readers were found by reading each service's packages: accountsrv runs
 * @wallet/accounts; transrv runs @wallet/ledger, @wallet/scanner, @wallet/withdrawals and the shared
 * @wallet/withdrawal-protocol; signsrv runs @wallet/payout (and, through it, the protocol package). `walletctl` is an
 * operator's tool and runs with the admin URL, not as a service.
 */
export const tableOwnership = {
  // accountsrv: clients, accounts and their lifelong binding to a node, deposit addresses.
  clients: {
    owner: accountsrv,
    // signsrv holds the withdrawals of a disabled client (not signed), shows the client in the review queue, and
    // checks a client exists before whitelisting a destination for it.
    readers: [signsrv],
    exceptions: [
      {
        service: transrv,
        privilege: 'SELECT',
        columns: ['id', 'reserve_salt'],
        why: "a proof of reserves answers the client's salt, so the client can recompute its accounts' commitments",
      },
    ],
    holds: 'exchange clients: name, status, the id of their first API key, proof-of-reserves salt',
  },
  client_keys: {
    owner: accountsrv,
    readers: [],
    holds: "clients' API keys: HMAC secret, rotation, scopes, source allow-list, status",
  },
  accounts: {
    owner: accountsrv,
    // transrv: which node serves an account (its directory, internal withdrawals) and the scanner's watched addresses.
    readers: [transrv],
    holds: 'accounts, bound for life to a transrv node',
  },
  addresses: {
    owner: accountsrv,
    // transrv's scanner watches them and both sides screen a destination ("is this address ours?"); signsrv's UTXO
    // signing check derives the key of each input from its address.
    readers: [transrv, signsrv],
    holds: 'deposit addresses derived from the xpubs',
  },
  address_counters: { owner: accountsrv, readers: [], holds: 'next derivation index per chain' },
  transrv_nodes: {
    owner: accountsrv,
    readers: [],
    exceptions: [
      {
        service: transrv,
        privilege: 'SELECT',
        columns: ['node_id'],
        why: 'a node records its own start: INSERT IGNORE its id, then UPDATE last_started_at WHERE node_id = it',
      },
      { service: transrv, privilege: 'INSERT', columns: ['node_id'], why: 'a node registers its id on first start' },
      { service: transrv, privilege: 'UPDATE', columns: ['last_started_at'], why: 'a node records when it last started' },
    ],
    holds: 'transrv node ids: state (drained or not), bound accounts (the least-loaded pick)',
  },

  // transrv: the ledger of its accounts, deposits, the chain scanner, the withdrawal rows.
  balances: {
    owner: transrv,
    // signsrv's reconciliation (the tripwire that halts signing of an asset) sums users' available + frozen per asset
    // against what the chain holds, and alarms on a negative balance; signsrv is the one service that can halt signing.
    readers: [signsrv],
    holds: 'available and frozen per account and asset',
  },
  journal: {
    owner: transrv,
    // signsrv's reconciliation alarms at once on a journal entry that does not sum to zero (the ledger check's query)
    readers: [signsrv],
    holds: 'the append-only double-entry journal',
  },
  transfers: { owner: transrv, readers: [], holds: 'internal transfers (debit side), cross-node delivery state' },
  transfer_credits: { owner: transrv, readers: [], holds: 'credits received from another node (exactly once)' },
  deposits: {
    owner: transrv,
    // the review queue's risk view shows an account's recent credited deposits (reviewRisk)
    readers: [signsrv],
    holds: 'deposits seen on chain and their crediting',
  },
  scanner_fences: { owner: transrv, readers: [], holds: "the elected scanner's fencing token per chain" },
  chain_blocks: {
    owner: transrv,
    // signsrv's UTXO builds and consolidations read the scanned tip and the canonical block of a mined build.
    readers: [signsrv],
    holds: 'the canonical chain as the scanner last saw it (recent blocks)',
  },
  utxos: {
    owner: transrv,
    // coin selection reads the UTXO set
    readers: [signsrv],
    exceptions: [
      {
        service: signsrv,
        privilege: 'UPDATE',
        columns: ['locked_by', 'locked_until'],
        // The lock is taken in the same MySQL transaction that records the build (utxo_builds), so two builds never
        // spend one output; the scanner's columns (the output, its spend) stay the scanner's.
        why: "signsrv locks the inputs of a build it records (utxoLocks): the lock columns only, never the scanner's",
      },
    ],
    holds: "the wallet's unspent outputs on UTXO chains, written by the scanner",
  },
  fee_bookings: {
    owner: transrv,
    readers: [],
    holds: "which node booked the network fee of each of signsrv's own sends (claimed once, then booked in its journal)",
  },
  utxo_dropped_locks: {
    owner: transrv,
    readers: [],
    holds: 'input locks of outputs a reorg dropped, put back when the scanner records the output again',
  },
  withdrawal_observations: {
    owner: transrv,
    // signsrv: what the scanner saw mined (re-sends, fee bumps, nonce checks, consolidation booking).
    readers: [signsrv],
    holds: "what the scanner saw of the hot wallets' transactions",
  },
  withdrawals: {
    owner: transrv,
    // signsrv reviews, checks against the localhash and signs them: read only (it reports on blockout_rsp).
    readers: [signsrv],
    holds: 'withdrawal rows and their status (moved by transrv only)',
  },
  withdrawal_events: {
    owner: transrv,
    // the review API shows a withdrawal's audit trail
    readers: [signsrv],
    holds: "each withdrawal's status transitions (append-only)",
  },
  withdrawal_outbox: {
    owner: transrv,
    // signsrv's response relay stops re-sending once transrv has applied the effect
    readers: [signsrv],
    holds: "transrv's outbox to blockout_req",
  },
  node_alerts: {
    owner: transrv,
    // signsrv serves every alarm (GET /v1/alerts) and acknowledges them in its own alert_acks. Global, not per shard:
    // alarms are the cluster's, and transrv writes them with its global pool (docs/sharding.md).
    readers: [signsrv],
    holds: "transrv's operator alarms (settlement, scanner)",
  },
  // Proof of reserves: built from transrv's ledger by `walletctl reserves report` (admin user), served by transrv.
  reserve_reports: { owner: transrv, readers: [], holds: 'proof-of-reserves reports: Merkle sum tree root and total per asset' },
  reserve_leaves: { owner: transrv, readers: [], holds: "each report's leaves: account, balance, commitment" },
  reserve_nodes: { owner: transrv, readers: [], holds: "each report's tree nodes (hash, sum), for proofs" },
  reserve_holdings: { owner: transrv, readers: [], holds: 'the addresses held at report time and their balances' },

  // signsrv: decisions, policies, nonces, signed transactions, UTXO builds, alarms, the console and its audit log.
  sign_requests: {
    owner: signsrv,
    // transrv checks every report and settlement against signsrv's record (decision, localhash)
    readers: [transrv],
    holds: "signsrv's copy of each request and its decision",
  },
  sign_outbox: { owner: signsrv, readers: [], holds: "signsrv's outbox to blockout_rsp" },
  sign_alerts: { owner: signsrv, readers: [], holds: "signsrv's operator alarms" },
  alert_acks: { owner: signsrv, readers: [], holds: 'acknowledgements of alarms (both sources), with a comment' },
  approval_totals: { owner: signsrv, readers: [], holds: 'approved totals per asset and day (daily limit)' },
  hot_wallets: {
    owner: signsrv,
    // the scanner records what they send; a destination that is one is refused at request time
    readers: [transrv],
    holds: 'every hot wallet address a chain had (one active)',
  },
  nonce_counters: { owner: signsrv, readers: [], holds: 'the nonce allocator per hot address' },
  nonce_assignments: {
    owner: signsrv,
    // transrv checks a `signed` report against the nonce signsrv recorded
    readers: [transrv],
    holds: 'the nonce of each withdrawal, for ever',
  },
  withdrawal_txs: {
    owner: signsrv,
    // transrv: settlement, reports and the client's view (txid); the scanner recognises our transactions
    readers: [transrv],
    holds: 'every signed transaction of a withdrawal',
  },
  operated_addresses: {
    owner: signsrv,
    // a destination the wallet operates is refused at request time
    readers: [transrv],
    holds: 'addresses the wallet operates (fee payer, sweep, cold), from the configuration',
  },
  utxo_builds: {
    owner: signsrv,
    // transrv checks a `signed` report against the build; the scanner recognises consolidations
    readers: [transrv],
    holds: 'UTXO transactions built for signing (payouts, consolidations)',
  },
  utxo_build_members: {
    owner: signsrv,
    readers: [transrv],
    holds: 'the withdrawals a UTXO build pays, with their output and fee share',
  },
  wallet_addresses: {
    owner: signsrv,
    // the scanner watches the wallet's change addresses; a destination that is one is refused at request time
    readers: [transrv],
    holds: "the wallet's own change and consolidation addresses",
  },
  utxo_consolidation_requests: {
    owner: signsrv,
    readers: [],
    holds: 'consolidations asked for by an operator (walletctl, admin user), answered by signsrv',
  },
  withdrawal_approvals: { owner: signsrv, readers: [], holds: 'each approver of a withdrawal, bound to the localhash seen' },
  withdrawal_policies: { owner: signsrv, readers: [], holds: 'approval policies per asset (versions)' },
  whitelist_entries: { owner: signsrv, readers: [], holds: "clients' destination whitelists with their cooling-off" },
  signing_controls: { owner: signsrv, readers: [], holds: 'the kill switch and global signing settings' },
  console_users: { owner: signsrv, readers: [], holds: "the auditors' console users" },
  console_sessions: { owner: signsrv, readers: [], holds: 'console sessions' },
  auth_throttle: { owner: signsrv, readers: [], holds: 'failed logins per key (lockout, delays)' },
  audit_log: { owner: signsrv, readers: [], holds: 'the hash-chained audit log' },
  audit_head: { owner: signsrv, readers: [], holds: "the audit log's head (last seq and hash)" },
  sweeps: {
    owner: signsrv,
    // transrv: the scanner does not credit a sweep's gas top-up to the deposit address's owner (it is the wallet's own
    // gas), and transrv books each finished sweep's network fees to the exchange in its journal.
    readers: [transrv],
    holds: 'EVM sweeps of deposit addresses to the hot wallet (gas top-up, sweep transaction, fees), one state machine each',
  },
  asset_signing_halts: {
    owner: signsrv,
    readers: [],
    holds: 'the kill switch per asset: set by reconciliation on a shortfall (or an admin), released by an admin',
  },
  reconciliation_runs: { owner: signsrv, readers: [], holds: "every reconciliation pass's figures per asset (kept)" },
  treasury_moves: {
    owner: signsrv,
    // transrv: the scanner knows a move's transaction from the hot wallet (not an unknown spend), and transrv books
    // each finished move's network fee to the exchange in its journal.
    readers: [transrv],
    holds: 'cold transfers, contract calls (admin-reviewed, signed from the hot wallet) and recognised refills from cold',
  },
  treasury_move_approvals: { owner: signsrv, readers: [], holds: "admins' approvals and rejections of treasury moves" },
  treasury_tiers: { owner: signsrv, readers: [], holds: "each asset's hot-wallet cap, floor and cold address, and its last measure" },
  treasury_cursors: { owner: signsrv, readers: [], holds: 'the next block the refill follower of each chain reads' },
  // transrv: the clients' event feed (issue 17), appended with each change and sequenced per client by each node.
  event_outbox: { owner: transrv, readers: [], holds: 'changes a client cares about, appended in the same transaction as the change' },
  events: { owner: transrv, readers: [], holds: "each client's event feed: gap-free per-client sequence, per-resource version" },
  event_heads: { owner: transrv, readers: [], holds: "each client's last event sequence" },
  event_resources: { owner: transrv, readers: [], holds: "each resource's last event version" },
  webhook_endpoints: {
    owner: transrv,
    readers: [],
    holds: "clients' webhook receivers: URL, event types, signing secrets, status, delivery cursor and lease",
  },
  webhook_deliveries: { owner: transrv, readers: [], holds: 'each webhook delivery: the queue per endpoint and its history' },
  webhook_requests: { owner: transrv, readers: [], holds: "webhook POSTs' Idempotency-Keys with their answers" },
  email_recipients: { owner: transrv, readers: [], holds: "clients' notification addresses: event types, locale and cursor" },
  email_outbox: { owner: transrv, readers: [], holds: 'each notification email, rendered, and its sending state' },
  fee_rates: { owner: transrv, readers: [], holds: "each chain's network fee rate samples, collected from its node" },
  // signsrv's console shows amounts in a fiat currency too.
  fiat_rates: { owner: transrv, readers: [signsrv], holds: "each asset's last known fiat prices, with their provider and age" },
  payment_requests: {
    owner: transrv,
    readers: [],
    holds: 'what an account asked to be paid on a fresh address, until when, and what it received (in time and late)',
  },
  payment_request_payments: { owner: transrv, readers: [], holds: 'which credited deposit counted for which payment request, once each' },
  red_packets: {
    owner: transrv,
    readers: [],
    holds: "a sender's frozen amount split into shares for the client's accounts to claim, until it expires",
  },
  red_packet_shares: { owner: transrv, readers: [], holds: 'the shares of each red packet, drawn when it was made, and who claimed each' },
} as const satisfies Record<string, TableOwnership>;

export type OwnedTable = keyof typeof tableOwnership;

/**
 * Where a table lives once a transrv node may have a database of its own (docs/sharding.md, issue 18; not built yet):
 * `shard` tables hold the money of one node's accounts and would be in that node's database, every other table stays
 * in the one global database (accountsrv's, signsrv's, the elected scanner's chain tables, the clients' event feeds).
 * Today every table is in one database; docs/sharding.md lists the reads that cross this line and must move first,
 * and a test keeps that list equal to what the map grants.
 */
export const shardTables = [
  'balances',
  'journal',
  'transfers',
  'transfer_credits',
  'deposits',
  'withdrawals',
  'withdrawal_events',
  'withdrawal_outbox',
  'event_outbox',
  'reserve_reports',
  'reserve_leaves',
  'reserve_nodes',
  'reserve_holdings',
] as const satisfies readonly OwnedTable[];

/**
 * The one exception to "a table is in one place": `event_outbox` is a shard table, and the global database has its own
 * for events about global resources (a webhook endpoint disabled), whose rows carry this origin instead of a node id
 * (never a valid node id). Every node's event sequencer moves them (@wallet/events).
 */
export const globalOutboxOrigin = '@global';

/** `global` or `shard`: see {@link shardTables}. */
export function placementOf(table: OwnedTable): 'global' | 'shard' {
  return (shardTables as readonly string[]).includes(table) ? 'shard' : 'global';
}

/** The tables knex creates for itself: touched by the admin user that runs migrations only. */
export const migrationTables: readonly string[] = ['knex_migrations', 'knex_migrations_lock'];

/** Privileges of an owner on its own tables: rows only, never DDL. */
export const ownerPrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/** One grant on one table: table-wide (`columns` null) or on some columns only. */
export type Grant = { readonly table: string; readonly privilege: string; readonly columns: readonly string[] | null };

/**
 * What `service` may do, table by table, as {@link tableOwnership} says.
 * @param tables the map to read @default tableOwnership
 */
export function grantsOf(service: DbService, tables: Readonly<Record<string, TableOwnership>> = tableOwnership): Grant[] {
  const grants: Grant[] = [];
  for (const [table, t] of Object.entries(tables)) {
    if (t.owner === service) for (const privilege of ownerPrivileges) grants.push({ table, privilege, columns: null });
    else if (t.readers.includes(service)) grants.push({ table, privilege: 'SELECT', columns: null });
    for (const e of t.exceptions ?? []) {
      if (e.service !== service) continue;
      // a table-wide SELECT already covers a column SELECT
      if (e.privilege === 'SELECT' && t.readers.includes(service)) continue;
      grants.push({ table, privilege: e.privilege, columns: [...e.columns] });
    }
  }
  return grants;
}
