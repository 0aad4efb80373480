import { listAudit, verifyAudit } from '@wallet/audit';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** Where the command writes (walletctl's Io). */
type Io = { out: (line: string) => void; err: (line: string) => void };

export type AuditCommandOptions = { readonly json: boolean; readonly limit?: string | undefined };

/**
 * `walletctl audit verify` (exit 0 when the chain holds, 1 naming the first broken entry) and `walletctl audit tail`
 * (the last entries, oldest of them first, as `tail` prints a file).
 * @returns the exit code
 * @throws WalletError VALIDATION_FAILED for an unknown action or a bad --limit
 */
export async function auditCommand(db: Knex, action: string | undefined, options: AuditCommandOptions, io: Io): Promise<number> {
  if (action === 'verify') {
    // Progress only on a terminal reading a long chain: scripts get one answer.
    let shown = 0n;
    const result = await verifyAudit(db, {
      onProgress: ({ checked, total }) => {
        if (options.json || total < 10_000n || checked - shown < 10_000n) return;
        shown = checked;
        io.err(`checked ${checked} of ${total}`);
      },
    });
    if (options.json) {
      io.out(JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    } else if (result.ok) {
      io.out(`audit chain ok: ${result.count} entries, head ${result.head}`);
    } else {
      io.out(`audit chain BROKEN at entry ${result.seq} (${result.problem}): ${result.message}`);
      io.out(`  expected ${result.expected}`);
      io.out(`  stored   ${result.actual}`);
      io.out(`  entries 1 to ${result.checked} are intact`);
    }
    return result.ok ? 0 : 1;
  }
  if (action === 'tail') {
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new WalletError('VALIDATION_FAILED', '--limit must be a whole number from 1 to 1000', { details: { field: 'limit' } });
    }
    const entries = (await listAudit(db, { limit })).reverse();
    if (options.json) {
      io.out(
        JSON.stringify(
          entries.map((e) => ({ ...e, seq: e.seq.toString() })),
          null,
          2,
        ),
      );
    } else {
      for (const e of entries) {
        io.out(
          `${String(e.seq).padStart(7)}  ${e.at}  ${e.actor.padEnd(20)} ${e.action.padEnd(22)} ${(e.subject ?? '-').padEnd(24)} ${JSON.stringify(e.details)}`,
        );
      }
    }
    return 0;
  }
  throw new WalletError('VALIDATION_FAILED', `unknown audit command: ${action ?? '(none)'} (verify, tail)`);
}
