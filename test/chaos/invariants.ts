import type { Knex } from '@wallet/db';
import { checkInvariants, findLedgerBreaks } from '@wallet/ledger';
import { terminalStatuses } from '@wallet/withdrawal-protocol';
import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import type { PostRecord, Workload } from './Workload.js';

/** One named invariant's verdict: what was checked, how many items, and the first violations with their ids. */
export type Check = { readonly name: string; readonly checked: number; readonly violations: string[] };

const MAX_SHOWN = 20;

/** A check's violations, the first {@link MAX_SHOWN} kept. */
function violationList(): { violations: string[]; fail: (message: string) => void } {
  const violations: string[] = [];
  return { violations, fail: (message) => void (violations.length < MAX_SHOWN && violations.push(message)) };
}

/**
 * The checks that hold at every instant, whatever is in flight (each is one consistent read): no journal entry and no
 * asset's journal that does not sum to zero, no negative balance.
 */
export async function continuousChecks(db: Knex): Promise<string[]> {
  const breaks = await findLedgerBreaks(db);
  return [
    ...breaks.unbalanced.map((u) =>
      u.entryId === null ? `journal of ${u.asset} sums to ${u.sum}` : `entry ${u.entryId} sums to ${u.sum}`,
    ),
    ...breaks.negative.map((n) => `negative balance ${n.accountId} ${n.asset} (available ${n.available}, frozen ${n.frozen})`),
  ];
}

/** The ledger's full invariants once the cluster is quiet (checkInvariants: sums, balances = journal, transit, frozen). */
export async function ledgerCheck(db: Knex): Promise<Check> {
  const report = await checkInvariants(db);
  return {
    name: 'ledger: journal sums to zero, balances equal the journal, none negative, frozen = open withdrawals',
    checked: 1,
    violations: report.problems.slice(0, MAX_SHOWN),
  };
}

/**
 * Every POST the workload sent took effect exactly as answered: an accepted one exactly once (one row with its key, the
 * id it was answered with), a refused one not at all, and none left unknown; and a replay of an accepted one (same key,
 * same body), after every fault including the loss of Redis, answers the same id.
 */
export async function idempotencyCheck(db: Knex, workload: Workload): Promise<Check> {
  const { violations, fail } = violationList();
  const posts = workload.posts.filter((p) => p.kind === 'transfer' || p.kind === 'withdrawal' || p.kind === 'cancel');
  for (const p of posts) {
    if (p.outcome === 'unknown') {
      fail(`${p.kind} ${p.key}: never answered for good (${p.attempts} attempts, last ${p.status ?? 'no answer'} ${p.code ?? ''})`);
      continue;
    }
    const rows = await rowsOf(db, p);
    if (p.outcome === 'accepted') {
      if (rows.length !== 1 || rows[0] !== p.id)
        fail(`${p.kind} ${p.key}: accepted as ${p.id}, rows with its key: ${JSON.stringify(rows)}`);
      const replay = await workload.api.post<{ id?: string }>(p.path, p.body, { idempotencyKey: p.key }).catch(() => undefined);
      if (replay === undefined || replay.status >= 300 || replay.body.id !== p.id) {
        fail(
          `${p.kind} ${p.key}: replay answered ${replay?.status ?? 'nothing'} ${JSON.stringify(replay?.body ?? null).slice(0, 200)}, not ${p.id}`,
        );
      }
    } else if (rows.length !== 0 && !(p.kind === 'cancel')) {
      fail(`${p.kind} ${p.key}: refused (${p.status} ${p.code}) but rows with its key exist: ${JSON.stringify(rows)}`);
    } else if (p.kind === 'cancel' && rows.length !== 0) {
      fail(`cancel ${p.key}: refused (${p.status} ${p.code}) but it cancelled ${JSON.stringify(rows)}`);
    }
  }
  return {
    name: 'idempotency: every accepted POST took effect exactly once, refused ones never, replays answer the same',
    checked: posts.length,
    violations,
  };
}

async function rowsOf(db: Knex, p: PostRecord): Promise<string[]> {
  if (p.kind === 'transfer') return db('transfers').where({ idempotency_key: p.key }).pluck('id');
  if (p.kind === 'withdrawal') return db('withdrawals').where({ idempotency_key: p.key }).pluck('id');
  return db('withdrawals').where({ cancel_idempotency_key: p.key }).pluck('id');
}

/**
 * Every deposit on the canonical chain, confirmed, is credited exactly once to the account of its address, for its
 * amount; none is credited (or left credited) whose transaction is not on the canonical chain.
 */
export async function depositsCheck(
  db: Knex,
  provider: JsonRpcProvider,
  workload: Workload,
  confirmations: number,
  fromBlock: number,
): Promise<Check> {
  const { violations, fail } = violationList();
  const head = await provider.getBlockNumber();
  const ours = new Set(workload.accounts.map((a) => a.address.toLowerCase()));
  const accountOf = new Map(workload.accounts.map((a) => [a.address.toLowerCase(), a.id]));
  // What was sent, and what the chain holds: a send whose answer was lost to a fault (the node took it, the connection
  // broke) is not in the workload's list, but it is a deposit all the same. Every value transfer to a campaign address
  // on the canonical chain since `fromBlock` joins the list.
  const deposits = new Map(workload.deposits.map((d) => [d.txid, d]));
  for (let n = fromBlock; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      const accountId = tx.to ? accountOf.get(tx.to.toLowerCase()) : undefined;
      if (accountId === undefined || tx.value === 0n || deposits.has(tx.hash)) continue;
      deposits.set(tx.hash, { txid: tx.hash, to: tx.to!, accountId, amount: tx.value });
    }
  }
  type DepositRow = {
    chain: string;
    id: string;
    txid: string;
    account_id: string;
    address: string;
    amount: string;
    status: string;
    block_number: string;
    block_hash: string;
    created_at: Date;
    credited_at: Date | null;
  };
  const rows = await db<DepositRow>('deposits')
    .where({ chain: 'eth' })
    .select('id', 'txid', 'account_id', 'address', 'amount', 'status', 'block_number', 'block_hash', 'created_at', 'credited_at');
  /** Where a credited row says its transaction was, and what the chain has there now (for following it in the logs). */
  const whereIs = async (r: (typeof rows)[number]): Promise<string> => {
    const canonical = await provider.getBlock(Number(r.block_number)).catch(() => null);
    const recorded = await provider.getBlock(r.block_hash).catch(() => null);
    return `recorded in block ${r.block_number} ${r.block_hash} (seen ${r.created_at.toISOString()}, credited ${r.credited_at?.toISOString() ?? '-'}); the canonical block there is ${canonical?.hash ?? 'none'}; the node ${recorded ? `still has the recorded block (${recorded.transactions.length} transactions, its parent ${recorded.parentHash})` : 'does not know the recorded block'}`;
  };
  // Both directions look at the same transactions: each receipt is read once.
  const receipts = new Map<string, Promise<TransactionReceipt | null>>();
  const receiptOf = (txid: string): Promise<TransactionReceipt | null> => {
    if (!receipts.has(txid)) receipts.set(txid, provider.getTransactionReceipt(txid));
    return receipts.get(txid)!;
  };
  const byTx = new Map<string, typeof rows>();
  for (const r of rows) byTx.set(r.txid, [...(byTx.get(r.txid) ?? []), r]);
  let checked = 0;
  for (const d of deposits.values()) {
    checked++;
    const receipt = await receiptOf(d.txid);
    const found = byTx.get(d.txid) ?? [];
    const credited = found.filter((r) => r.status === 'credited');
    if (receipt === null) {
      for (const r of credited) fail(`deposit ${d.txid}: not on the canonical chain, yet credited as ${r.id}: ${await whereIs(r)}`);
      continue;
    }
    if (head - receipt.blockNumber + 1 < confirmations) continue; // not confirmed yet: either way is right
    if (credited.length !== 1) {
      fail(
        `deposit ${d.txid} (block ${receipt.blockNumber}): on the canonical chain, credited ${credited.length} times (rows ${JSON.stringify(found.map((r) => [r.id, r.status]))})`,
      );
      continue;
    }
    const r = credited[0]!;
    if (r.account_id !== d.accountId || BigInt(r.amount) !== d.amount || r.block_hash !== receipt.blockHash) {
      fail(
        `deposit ${d.txid}: credited as ${r.id} to ${r.account_id} ${r.amount} in ${r.block_hash}, sent to ${d.accountId} ${d.amount} in ${receipt.blockHash}`,
      );
    }
  }
  // The other way: every credited deposit row of the campaign's addresses is a canonical transaction.
  for (const r of rows) {
    if (r.status !== 'credited' || !ours.has(r.address.toLowerCase())) continue;
    checked++;
    const receipt = await receiptOf(r.txid);
    if (receipt === null || receipt.blockHash !== r.block_hash)
      fail(
        `deposit ${r.id} (${r.txid}): credited, but its transaction is ${receipt === null ? 'on no block of the canonical chain' : `in block ${receipt.blockNumber} ${receipt.blockHash}`}: ${await whereIs(r)}`,
      );
  }
  return { name: 'deposits: each canonical, confirmed deposit credited exactly once, none credited off the chain', checked, violations };
}

/**
 * What signsrv's records say of a withdrawal that did not reach an end (for the report): its decision, its
 * transactions, its UTXO builds, its alarms and its outbox messages not yet applied.
 */
export async function whyOpen(db: Knex, id: string): Promise<string> {
  const review = await db('sign_requests')
    .where({ withdrawal_id: id })
    .first<{ decision: string | null; hold_until: Date | null } | undefined>('decision', 'hold_until');
  const txs = await db('withdrawal_txs').where({ withdrawal_id: id }).pluck<string[]>('txid');
  const builds = await db('utxo_build_members as m')
    .join('utxo_builds as b', 'b.id', 'm.build_id')
    .where('m.withdrawal_id', id)
    .select<{ id: string; status: string; reason: string | null }[]>('b.id', 'b.status', 'b.reason');
  const alarms = await db('sign_alerts').where({ withdrawal_id: id }).pluck<string[]>('kind');
  const outbox = await db('sign_outbox').where({ withdrawal_id: id }).whereNull('done_at').pluck<string[]>('type');
  return [
    `signsrv: ${review ? `decision ${review.decision ?? 'none'}${review.hold_until ? ` held until ${review.hold_until.toISOString()}` : ''}` : 'never received'}`,
    `txs [${txs.join(', ')}]`,
    `builds [${builds.map((b) => `${b.id} ${b.status}${b.reason ? ` (${b.reason})` : ''}`).join(', ')}]`,
    `alarms [${alarms.join(', ')}]`,
    `outbox not applied [${outbox.join(', ')}]`,
  ].join('; ');
}

/**
 * Every ETH withdrawal the workload created (the LTC ones: ltcWithdrawalsCheck in utxo.ts) ended in exactly one terminal status; at most one of its transactions is on
 * the chain; a confirmed one paid exactly its destination and amount, and any other paid nothing.
 */
export async function withdrawalsCheck(db: Knex, provider: JsonRpcProvider, workload: Workload): Promise<Check> {
  const { violations, fail } = violationList();
  const ids = workload.posts
    .filter((p) => p.kind === 'withdrawal' && p.outcome === 'accepted' && (p.body as { asset?: string }).asset !== 'LTC')
    .map((p) => p.id!);
  for (const id of ids) {
    const w = (await db('withdrawals').where({ id }).first()) as { status: string; to_address: string; amount: string } | undefined;
    if (!w) {
      fail(`withdrawal ${id}: accepted, no row`);
      continue;
    }
    if (!terminalStatuses.has(w.status as never)) fail(`withdrawal ${id}: still ${w.status} (${await whyOpen(db, id)})`);
    const txs = (await db('withdrawal_txs').where({ withdrawal_id: id }).pluck('txid')) as string[];
    const mined: { txid: string; to: string | null; value: bigint; ok: boolean }[] = [];
    for (const txid of txs) {
      const receipt = await provider.getTransactionReceipt(txid);
      if (!receipt) continue;
      const tx = await provider.getTransaction(txid);
      mined.push({ txid, to: tx?.to ?? null, value: tx?.value ?? 0n, ok: receipt.status === 1 });
    }
    const paid = mined.filter((m) => m.ok);
    if (paid.length > 1) fail(`withdrawal ${id}: paid ${paid.length} times on chain (${paid.map((m) => m.txid).join(', ')})`);
    if (w.status === 'confirmed') {
      const p = paid[0];
      if (!p) fail(`withdrawal ${id}: confirmed, but no transaction of it is on the canonical chain`);
      else if (p.to?.toLowerCase() !== w.to_address.toLowerCase() || p.value !== BigInt(w.amount))
        fail(`withdrawal ${id}: paid ${p.value} to ${p.to}, approved ${w.amount} to ${w.to_address}`);
    } else if (terminalStatuses.has(w.status as never) && paid.length > 0) {
      fail(`withdrawal ${id}: ${w.status}, yet paid on chain by ${paid[0]!.txid}`);
    }
  }
  return {
    name: 'withdrawals: one terminal status each, at most one payment, exactly the approved destination and amount',
    checked: ids.length,
    violations,
  };
}

/** The continuous checks' findings over the run, as one named check. */
export function continuousCheck(samples: number, found: readonly string[]): Check {
  return {
    name: 'continuously: no unbalanced journal entry, no negative balance',
    checked: samples,
    violations: [...new Set(found)].slice(0, MAX_SHOWN),
  };
}

/**
 * The alarms a fault explains, by the fault's kind: a node that is slow or away makes builds and sends fail (on either
 * chain: a UTXO build asks the node for a fee rate); a UTXO build's coin selection is a MySQL transaction, so a killed
 * session fails it (cause `unexpected`, retried); a reorg moves settled withdrawals and nonces, and on the UTXO chain
 * sends the payouts of the blocks it dropped again. A double-spend of a deposit explains nothing: it spends the
 * depositor's coins, never the wallet's. Any other alarm (a tampered request, an unknown hot-wallet transaction, a
 * wallet output spent twice, an integrity mismatch, a shortfall, a ledger break) is a violation whatever was injected.
 */
const explainedBy: Readonly<Record<string, readonly string[]>> = {
  build_failed: ['evm-rpc-down', 'evm-rpc-slow', 'utxo-rpc-down', 'utxo-rpc-slow', 'mysql-kill'],
  send_refused: ['evm-rpc-down', 'evm-rpc-slow', 'evm-reorg', 'utxo-rpc-down', 'utxo-rpc-slow', 'utxo-reorg'],
  settlement_held: ['evm-rpc-down', 'evm-rpc-slow', 'evm-reorg', 'utxo-rpc-down', 'utxo-rpc-slow', 'utxo-reorg'],
  settled_withdrawal_reorged: ['evm-reorg', 'utxo-reorg'],
  settled_receipt_missing: ['evm-reorg'],
  nonce_behind_chain: ['evm-reorg'],
  nonce_ahead: ['evm-reorg'],
};

/** Every alarm raised during the run (both tables) is one the injected faults explain. */
export async function alarmsCheck(
  db: Knex,
  injectedKinds: ReadonlySet<string>,
): Promise<Check & { readonly seen: Record<string, number> }> {
  const [rows] = (await db.raw(
    `SELECT kind, withdrawal_id, details FROM sign_alerts UNION ALL SELECT kind, withdrawal_id, details FROM node_alerts`,
  )) as [{ kind: string; withdrawal_id: string | null; details: string | null }[]];
  const seen: Record<string, number> = {};
  const violations: string[] = [];
  for (const r of rows) {
    seen[r.kind] = (seen[r.kind] ?? 0) + 1;
    const explained = (explainedBy[r.kind] ?? []).some((k) => injectedKinds.has(k));
    if (!explained && violations.length < MAX_SHOWN)
      violations.push(`${r.kind} (withdrawal ${r.withdrawal_id ?? '-'}): ${String(r.details).slice(0, 300)}`);
  }
  return { name: 'alarms: only those the injected faults explain', checked: rows.length, violations, seen };
}
