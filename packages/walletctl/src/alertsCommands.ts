import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { AlertKindFilter, type AlertView, acknowledgeAlert, alertJson, listAlerts } from '@wallet/payout';

/** Where the command writes (walletctl's Io). */
type Io = { out: (line: string) => void; err: (line: string) => void };

export type AlertsCommandOptions = {
  /** List acknowledged alarms too. */
  readonly all: boolean;
  readonly kind?: string | undefined;
  readonly comment?: string | undefined;
  readonly json: boolean;
  /** Who acknowledges: `operator:<os user>`. */
  readonly actor: string;
};

/** The most alarms one `walletctl alerts` lists (newest first), with or without --json. */
const MAX_LISTED = 1000;

/**
 * `walletctl alerts [--all] [--kind K] [--json]`: the alarms of signsrv and transrv, newest first, unacknowledged ones
 * only unless --all; `walletctl alerts ack ID --comment TEXT`: acknowledges one (once: another acknowledgement of the
 * same alarm is refused with CONFLICT, naming the first).
 * @param action undefined (list) or `ack`
 * @param id the alarm of `ack` (`s:12`, `n:7`)
 * @returns the exit code
 * @throws WalletError VALIDATION_FAILED (unknown action or kind, missing id or comment), NOT_FOUND, CONFLICT
 */
export async function alertsCommand(
  db: Knex,
  action: string | undefined,
  id: string | undefined,
  options: AlertsCommandOptions,
  io: Io,
): Promise<number> {
  if (action === undefined || action === 'list') {
    const kinds = options.kind === undefined ? undefined : parseKinds(options.kind);
    const alerts: AlertView[] = [];
    let cursor: string | undefined;
    let more: boolean;
    do {
      const page = await listAlerts(
        db,
        { ...(options.all ? {} : { acknowledged: false }), ...(kinds === undefined ? {} : { kinds }) },
        200,
        cursor,
      );
      alerts.push(...page.items);
      cursor = page.next ?? undefined;
      more = cursor !== undefined && alerts.length >= MAX_LISTED;
    } while (cursor !== undefined && !more);
    if (options.json) {
      io.out(JSON.stringify(alerts.slice(0, MAX_LISTED).map(alertJson), null, 2));
      return 0;
    }
    if (alerts.length === 0) io.out(options.all ? 'no alarms' : 'no unacknowledged alarms');
    for (const a of alerts.slice(0, MAX_LISTED)) printAlert(a, io);
    if (more) io.out(`(the newest ${MAX_LISTED} shown; narrow with --kind)`);
    return 0;
  }
  if (action === 'ack') {
    if (id === undefined)
      throw new WalletError('VALIDATION_FAILED', 'usage: walletctl alerts ack ID --comment TEXT', { details: { field: 'id' } });
    if (options.comment === undefined) {
      throw new WalletError('VALIDATION_FAILED', '--comment is required (1..200 characters)', { details: { field: 'comment' } });
    }
    const alert = await acknowledgeAlert(db, id, options.actor, options.comment);
    if (options.json) io.out(JSON.stringify(alertJson(alert), null, 2));
    else printAlert(alert, io);
    return 0;
  }
  throw new WalletError('VALIDATION_FAILED', `unknown alerts action "${action}" (list | ack)`, { details: { field: 'action' } });
}

/** One or more kinds, separated by commas. */
function parseKinds(text: string): string[] {
  const kinds = text.split(',');
  for (const k of kinds) {
    if (!AlertKindFilter.safeParse(k).success) {
      throw new WalletError('VALIDATION_FAILED', `unknown alarm kind "${k}" (${AlertKindFilter.options.join(', ')})`, {
        details: { field: 'kind' },
      });
    }
  }
  return kinds;
}

// s:12  2026-12-05T13:00:01.123Z  build_failed  wd_...  Withdrawal cannot be built: gas estimate fails
//       The gas estimate fails: ... (the operator's action)
//       acknowledged by operator:alice at 2026-12-05T14:00:00.000Z: hot wallet funded
function printAlert(a: AlertView, io: Io): void {
  io.out(`${a.id.padEnd(8)} ${a.createdAt.toISOString()}  ${a.kind.padEnd(26)} ${(a.withdrawalId ?? '-').padEnd(28)} ${a.title}`);
  io.out(`         ${a.text}`);
  if (a.acknowledged !== null) {
    io.out(`         acknowledged by ${a.acknowledged.by} at ${a.acknowledged.at.toISOString()}: ${a.acknowledged.comment}`);
  }
}
