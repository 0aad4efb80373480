import { randomUUID } from 'node:crypto';
import { type Db, createDb, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, checkInvariants, postEntry } from '@wallet/ledger';
import { mysqlUrl } from './stackEnv.js';
import { waitFor } from './waitFor.js';

/**
 * Direct MySQL access to a test cluster's database: funding accounts the way a credited deposit does
 * (a balanced entry from the chain's inflow account, through the ledger's own postEntry) until the
 * chain scanners exist, and read-only snapshots for "nothing changed" assertions.
 */
export class LedgerFixtures {
  readonly db: Db;

  constructor(database: string) {
    this.db = createDb(mysqlUrl(database), { poolMin: 0, poolMax: 5 });
  }

  async fund(accountId: string, asset: string, amount: bigint, chain = 'eth'): Promise<void> {
    const nodeId = await this.nodeOf(accountId);
    const id = `fixture_${randomUUID()}`;
    await withTransaction(this.db, (trx) =>
      postEntry(trx, {
        entryId: id,
        nodeId,
        refId: id,
        lines: [
          { accountId: SystemAccount.chainInflow(chain), asset, bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
          { accountId, asset, bucket: 'available', amount, kind: LedgerKind.deposit },
        ],
      }),
    );
  }

  async nodeOf(accountId: string): Promise<string> {
    const row = await this.db('accounts').where({ id: accountId }).first<{ node_id: string } | undefined>('node_id');
    if (!row) throw new Error(`no account ${accountId}`);
    return row.node_id;
  }

  /** Everything money-related, to compare before and after a refused request. */
  async snapshot(): Promise<{
    journal: number;
    transfers: number;
    withdrawals: number;
    withdrawalEvents: number;
    withdrawalOutbox: number;
    balances: string;
  }> {
    const count = async (table: string): Promise<number> => {
      const [[row]] = (await this.db.raw('SELECT COUNT(*) AS n FROM ??', [table])) as [[{ n: number }]];
      return Number(row.n);
    };
    const rows = await this.db('balances').orderBy(['account_id', 'asset']).select('account_id', 'asset', 'available', 'frozen');
    return {
      journal: await count('journal'),
      transfers: await count('transfers'),
      withdrawals: await count('withdrawals'),
      withdrawalEvents: await count('withdrawal_events'),
      withdrawalOutbox: await count('withdrawal_outbox'),
      balances: JSON.stringify(rows),
    };
  }

  async invariants(): Promise<readonly string[]> {
    return (await checkInvariants(this.db)).problems;
  }

  /** Waits until every node's event outbox is empty: the client event feed then holds every committed change. */
  async outboxDrained(): Promise<void> {
    await waitFor('the event outbox drained', async () =>
      Number((await this.db('event_outbox').count({ n: '*' }).first())?.n) === 0 ? true : undefined,
    );
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
