import {
  type Confirmations,
  type WhereContext,
  type WhereReport,
  amountText,
  mineHint,
  normalizeRef,
  outputText,
  shownAddress,
} from './whereContext.js';

type DepositRow = {
  id: string;
  chain: string;
  txid: string | null;
  output_index: number;
  asset: string;
  address: string;
  account_id: string;
  node_id: string;
  amount: string;
  block_number: string | null;
  block_hash: string | null;
  status: 'pending' | 'credited' | 'orphaned' | 'reversal_pending' | 'reversed';
  internal: number;
  created_at: Date;
  credited_at: Date | null;
  head: string | null;
};

/**
 * The deposits a reference names: the one with this id (`dep_...`), or every deposit of the transaction with this txid
 * (one per output or token transfer to a deposit address), each with where it stands and what happens next.
 * @returns none when MySQL has no such deposit (not detected yet, or not a deposit)
 */
export async function whereDeposits(context: WhereContext, ref: string): Promise<WhereReport[]> {
  const key = normalizeRef(ref);
  const rows = await context
    .db('deposits as d')
    .select<DepositRow[]>('d.*', context.db.raw('(SELECT MAX(b.number) FROM chain_blocks b WHERE b.chain = d.chain) AS head'))
    .where(key.startsWith('dep_') ? { 'd.id': key } : { 'd.txid': key })
    .orderBy('d.id')
    .limit(100);
  const reports: WhereReport[] = [];
  for (const row of rows) reports.push(await describe(context, row));
  return reports;
}

async function describe(context: WhereContext, d: DepositRow): Promise<WhereReport> {
  const amount = BigInt(d.amount);
  const required = context.registry.assets.get(d.asset)?.confirmations ?? 1;
  const block = d.block_number === null ? null : Number(d.block_number);
  const scannedHead = d.head === null ? null : Number(d.head);
  const live = d.status === 'pending' || d.status === 'credited' || d.status === 'reversal_pending';
  const chain = d.internal ? 'no chain: an internal withdrawal of this wallet' : await context.chain(d.chain);
  const onNode = typeof chain === 'string' || d.txid === null ? null : await chain.transaction(d.txid);
  const nodeHead = typeof chain === 'string' ? null : await chain.height();
  const confirmations: Confirmations = {
    counted: live && block !== null && scannedHead !== null ? Math.max(0, scannedHead - block + 1) : null,
    required,
    node: onNode?.confirmations ?? null,
  };
  const next = nextStep(d, confirmations, typeof chain !== 'string');
  const address = shownAddress(context.registry, d.chain, d.address);
  const json = {
    kind: 'deposit',
    id: d.id,
    status: d.status,
    chain: d.chain,
    asset: d.asset,
    amount: amount.toString(),
    address,
    accountId: d.account_id,
    nodeId: d.node_id,
    txid: d.txid,
    outputIndex: d.output_index,
    internal: Boolean(d.internal),
    block: block === null ? null : { number: block, hash: d.block_hash },
    confirmations,
    scannedHead,
    nodeHead,
    ...(typeof chain === 'string' ? { chainNote: chain } : {}),
    createdAt: d.created_at.toISOString(),
    creditedAt: d.credited_at?.toISOString() ?? null,
    next,
  };
  const lines = [
    `deposit ${d.id}: ${d.status}`,
    `  amount         ${amountText(context.registry, d.asset, amount)}`,
    `  to             ${address} (account ${d.account_id}, transrv ${d.node_id})`,
    d.internal
      ? '  transaction    none (credited by an internal withdrawal)'
      : `  transaction    ${d.txid} (${outputText(context.registry, d.chain, d.asset, d.output_index)}) on ${d.chain}`,
    ...(block === null ? [] : [`  block          ${block} ${d.block_hash}`]),
    ...(d.internal
      ? []
      : [
          `  confirmations  ${confirmations.counted ?? '-'} of ${required} counted to the scanned head ${scannedHead ?? '-'}` +
            (typeof chain === 'string' ? ` (node: ${chain})` : `; the node counts ${confirmations.node ?? '-'} (its head ${nodeHead})`),
        ]),
    ...(d.credited_at === null ? [] : [`  credited at    ${d.credited_at.toISOString()}`]),
    `  next           ${next}`,
  ];
  return { json, lines };
}

function nextStep(d: DepositRow, c: Confirmations, devNode: boolean): string {
  switch (d.status) {
    case 'pending': {
      const missing = c.required - (c.counted ?? 0);
      if (missing <= 0) return `it has its confirmations: transrv ${d.node_id} credits it on its next pass (about a second)`;
      return (
        `transrv ${d.node_id} credits it once ${missing} more block${missing === 1 ? '' : 's'} are scanned on ${d.chain}` +
        (devNode ? ` (${mineHint(d.chain, missing)})` : '')
      );
    }
    case 'credited':
      return "nothing: it is in the account's available balance (a reorg that drops its block would reverse it)";
    case 'reversal_pending':
      return `its block left the chain after it was credited: transrv ${d.node_id} posts the reversing entry on its next pass`;
    case 'reversed':
      return 'nothing: its block left the chain after it was credited, and the credit was reversed';
    case 'orphaned':
      return 'nothing: its block left the chain before it was credited (mined again, it is recorded as a new deposit)';
  }
}
