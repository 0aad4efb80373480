import type { Knex } from '@wallet/db';
import type { ReviewView } from '../reviewView.js';
import { type AssetPolicy, currentPolicy } from './policyStore.js';
import { type Requirement, type Velocity, requirementOf } from './ReviewRules.js';
import { velocityOf } from './velocityOf.js';
import type { WhitelistState } from './whitelist.js';

/**
 * What makes a withdrawal worth a second look, by stable code (the console shows each as a badge):
 * - `new_destination`: the client never had a withdrawal confirmed to this address;
 * - `contract`: the destination had code when signsrv received the request;
 * - `destination_unchecked`: whether it is a contract is not known (the node could not be asked);
 * - `other_clients`: another client has withdrawn to this address too;
 * - `internal`: the destination is a deposit address of this wallet (settled in the ledger, nothing is sent);
 * - `not_whitelisted`, `whitelist_cooling_off`: the destination's place on the client's whitelist;
 * - `client_disabled`: ops disabled the client (an approved withdrawal of it is not signed until it is enabled);
 * - `account_velocity`, `client_velocity`: the 24 h total is over the policy's limit (M approvers needed);
 * - `multi_approval`: the policy asks for more than one approver;
 * - `stale_approvals`: approvals given to another version of the withdrawal (they do not count).
 */
export const RiskFlag = {
  newDestination: 'new_destination',
  contract: 'contract',
  destinationUnchecked: 'destination_unchecked',
  otherClients: 'other_clients',
  internal: 'internal',
  notWhitelisted: 'not_whitelisted',
  whitelistCoolingOff: 'whitelist_cooling_off',
  clientDisabled: 'client_disabled',
  accountVelocity: 'account_velocity',
  clientVelocity: 'client_velocity',
  multiApproval: 'multi_approval',
  staleApprovals: 'stale_approvals',
} as const;
export type RiskFlag = (typeof RiskFlag)[keyof typeof RiskFlag];

/**
 * How much a flag weighs: `block` means an approval will be refused as things stand (the policy requires the
 * whitelist); `warn` asks the reviewer to look; `info` is context.
 */
export type RiskSeverity = 'info' | 'warn' | 'block';

/** Totals of one kind of movement over the recent window. */
export type Activity = { readonly count: number; readonly total: bigint };

/** Everything a reviewer weighs about one withdrawal, beyond its own fields. */
export type ReviewRisk = {
  readonly withdrawalId: string;
  readonly client: { readonly id: string; readonly name: string | null; readonly disabled: boolean };
  readonly destination: {
    readonly whitelist: WhitelistState;
    /** The asset's policy allows only whitelisted destinations past their cooling-off. */
    readonly whitelistRequired: boolean;
    /** Withdrawals of this client to this address confirmed on chain, this one aside. */
    readonly paidBefore: number;
    /** Other clients that have withdrawn to this address (any status). */
    readonly otherClients: number;
    /** null: not known. */
    readonly isContract: boolean | null;
    readonly internal: boolean;
  };
  /** The account's movements in the withdrawal's asset over the last `recentDays` days, this withdrawal aside. */
  readonly account: {
    readonly recentDays: number;
    /** Credited deposits. */
    readonly deposits: Activity;
    /** Withdrawals not rejected, cancelled or failed. */
    readonly withdrawals: Activity;
  };
  /** The rolling 24 h totals the policy weighs (this withdrawal included). */
  readonly velocity: Velocity;
  /** The asset's current policy (the one an approval now would be decided by). */
  readonly policy: AssetPolicy;
  /** What the policy asks of this withdrawal now: approvals needed, tier, escalations. */
  readonly requirement: Requirement;
  /** Distinct approvals given to the withdrawal's current version. */
  readonly approvalsCounted: number;
  readonly flags: readonly { readonly flag: RiskFlag; readonly severity: RiskSeverity }[];
};

/** Statuses whose money is not leaving (the velocity rule's exclusions too). */
const NOT_LEAVING = ['rejected', 'cancelled', 'failed'];

/**
 * The risk view of a page of withdrawals (the review queue, a detail page, history): whitelist state, destination
 * history across clients, the account's recent deposits and withdrawals, the 24 h velocity and what the asset's
 * current policy requires, and the flags that follow. Read-only, by MySQL's clock; a few queries for the whole page
 * plus three small indexed ones per withdrawal.
 * @param db signsrv's database (it reads transrv's withdrawals and deposits, accountsrv's clients)
 * @param views the withdrawals, as the review desk shows them
 * @param options `recentDays` the account activity window @default 7
 * @returns each withdrawal's risk, by withdrawal id
 */
export async function reviewRisks(
  db: Knex,
  views: readonly ReviewView[],
  options: { readonly recentDays?: number } = {},
): Promise<Map<string, ReviewRisk>> {
  const recentDays = options.recentDays ?? 7;
  const risks = new Map<string, ReviewRisk>();
  if (views.length === 0) return risks;

  const [clients, policies, listed, destinations] = await Promise.all([
    clientsOf(db, views),
    policiesOf(db, views),
    whitelistOf(db, views),
    destinationHistory(db, views),
  ]);
  for (const v of views) {
    const [velocity, account] = await Promise.all([
      velocityOf(db, { id: v.withdrawalId, account_id: v.accountId, client_id: v.clientId, asset: v.asset, amount: v.amount.toString() }),
      accountActivity(db, v, recentDays),
    ]);
    const policy = policies.get(v.asset)!;
    const requirement = requirementOf(policy.rules, v.amount, velocity);
    const client = clients.get(v.clientId);
    const whitelist = listed.get(destinationKey(v.clientId, v.chain, v.to)) ?? { state: 'absent' as const };
    const byClient = destinations.get(`${v.chain}\n${v.to}`) ?? new Map<string, number>();
    // the withdrawal's own confirmation is not "paid before"
    const paidBefore = (byClient.get(v.clientId) ?? 0) - (v.status === 'confirmed' ? 1 : 0);
    const otherClients = [...byClient.keys()].filter((c) => c !== v.clientId).length;
    const risk: Omit<ReviewRisk, 'flags'> = {
      withdrawalId: v.withdrawalId,
      client: { id: v.clientId, name: client?.name ?? null, disabled: v.clientDisabled },
      destination: {
        whitelist,
        whitelistRequired: policy.rules.requireWhitelist,
        paidBefore,
        otherClients,
        isContract: v.destinationIsContract,
        internal: v.internal,
      },
      account: { recentDays, ...account },
      velocity,
      policy,
      requirement,
      approvalsCounted: v.approvals.filter((a) => a.counts).length,
    };
    risks.set(v.withdrawalId, { ...risk, flags: flagsOf(risk, v) });
  }
  return risks;
}

/** The flags of a risk view, most serious first. */
function flagsOf(r: Omit<ReviewRisk, 'flags'>, v: ReviewView): ReviewRisk['flags'] {
  const flags: { flag: RiskFlag; severity: RiskSeverity }[] = [];
  const d = r.destination;
  const onList = d.whitelistRequired ? 'block' : 'info';
  if (d.whitelist.state === 'absent') flags.push({ flag: RiskFlag.notWhitelisted, severity: onList });
  if (d.whitelist.state === 'cooling_off') flags.push({ flag: RiskFlag.whitelistCoolingOff, severity: onList });
  if (r.client.disabled) flags.push({ flag: RiskFlag.clientDisabled, severity: 'warn' });
  if (d.internal) flags.push({ flag: RiskFlag.internal, severity: 'info' });
  else {
    if (d.paidBefore <= 0) flags.push({ flag: RiskFlag.newDestination, severity: 'warn' });
    if (d.isContract === true) flags.push({ flag: RiskFlag.contract, severity: 'warn' });
    if (d.isContract === null) flags.push({ flag: RiskFlag.destinationUnchecked, severity: 'info' });
  }
  if (d.otherClients > 0) flags.push({ flag: RiskFlag.otherClients, severity: 'warn' });
  if (r.requirement.escalations.includes('account_velocity')) flags.push({ flag: RiskFlag.accountVelocity, severity: 'warn' });
  if (r.requirement.escalations.includes('client_velocity')) flags.push({ flag: RiskFlag.clientVelocity, severity: 'warn' });
  if (v.approvals.some((a) => !a.counts)) flags.push({ flag: RiskFlag.staleApprovals, severity: 'warn' });
  if (r.requirement.approvals > 1) flags.push({ flag: RiskFlag.multiApproval, severity: 'info' });
  const weight = { block: 0, warn: 1, info: 2 } as const;
  return flags.sort((a, b) => weight[a.severity] - weight[b.severity]);
}

function destinationKey(clientId: string, chain: string, address: string): string {
  return `${clientId}\n${chain}\n${address}`;
}

async function clientsOf(db: Knex, views: readonly ReviewView[]): Promise<Map<string, { name: string }>> {
  // accountsrv owns clients: read the name only (never the key's secret)
  const rows = await db('clients')
    .whereIn('id', [...new Set(views.map((v) => v.clientId))])
    .select<{ id: string; name: string }[]>('id', 'name');
  return new Map(rows.map((r) => [r.id, { name: r.name }]));
}

async function policiesOf(db: Knex, views: readonly ReviewView[]): Promise<Map<string, AssetPolicy>> {
  const assets = [...new Set(views.map((v) => v.asset))];
  return new Map(await Promise.all(assets.map(async (a) => [a, await currentPolicy(db, a)] as const)));
}

/** The live whitelist entries of the page's (client, chain, destination) triples, by MySQL's clock. */
async function whitelistOf(db: Knex, views: readonly ReviewView[]): Promise<Map<string, WhitelistState>> {
  const triples = [...new Map(views.map((v) => [destinationKey(v.clientId, v.chain, v.to), [v.clientId, v.chain, v.to]])).values()];
  const [rows] = (await db.raw(
    `SELECT id, client_id, chain, address, usable_at, usable_at <= CURRENT_TIMESTAMP(3) AS usable FROM whitelist_entries
      WHERE removed_at IS NULL AND (client_id, chain, address) IN (${triples.map(() => '(?, ?, ?)').join(', ')})`,
    triples.flat(),
  )) as [{ id: number | string; client_id: string; chain: string; address: string; usable_at: Date; usable: number }[]];
  return new Map(
    rows.map((r) => [
      destinationKey(r.client_id, r.chain, r.address),
      r.usable ? { state: 'usable', entryId: String(r.id) } : { state: 'cooling_off', entryId: String(r.id), usableAt: r.usable_at },
    ]),
  );
}

/** Per destination (`chain\naddress`): per client that withdrew to it, how many of those withdrawals were confirmed. */
async function destinationHistory(db: Knex, views: readonly ReviewView[]): Promise<Map<string, Map<string, number>>> {
  const pairs = [...new Map(views.map((v) => [`${v.chain}\n${v.to}`, [v.chain, v.to]])).values()];
  const [rows] = (await db.raw(
    `SELECT chain, to_address, client_id, CAST(SUM(status = 'confirmed') AS CHAR) AS paid FROM withdrawals
      WHERE (chain, to_address) IN (${pairs.map(() => '(?, ?)').join(', ')})
      GROUP BY chain, to_address, client_id`,
    pairs.flat(),
  )) as [{ chain: string; to_address: string; client_id: string; paid: string }[]];
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const key = `${r.chain}\n${r.to_address}`;
    const byClient = out.get(key) ?? new Map<string, number>();
    byClient.set(r.client_id, Number(r.paid));
    out.set(key, byClient);
  }
  return out;
}

async function accountActivity(db: Knex, v: ReviewView, days: number): Promise<{ deposits: Activity; withdrawals: Activity }> {
  type Totals = { n: number | string; total: string };
  const rows = async (sql: string, bindings: readonly (string | number)[]) => ((await db.raw(sql, bindings)) as [Totals[]])[0];
  const [deposits, withdrawals] = await Promise.all([
    rows(
      `SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS CHAR) AS total FROM deposits
        WHERE account_id = ? AND asset = ? AND status = 'credited' AND created_at >= CURRENT_TIMESTAMP(3) - INTERVAL ? DAY`,
      [v.accountId, v.asset, days],
    ),
    rows(
      `SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS CHAR) AS total FROM withdrawals
        WHERE account_id = ? AND asset = ? AND created_at >= CURRENT_TIMESTAMP(3) - INTERVAL ? DAY
          AND status NOT IN (${NOT_LEAVING.map(() => '?').join(', ')}) AND id <> ?`,
      [v.accountId, v.asset, days, ...NOT_LEAVING, v.withdrawalId],
    ),
  ]);
  const activity = (r: Totals | undefined): Activity => ({
    count: Number(r?.n ?? 0),
    total: BigInt(r?.total ?? '0'),
  });
  return { deposits: activity(deposits[0]), withdrawals: activity(withdrawals[0]) };
}
