import { type AuditFn, ConsoleAuth } from '@wallet/console-auth';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';

/** What `walletctl console` needs: signsrv's database, the audit log's append function, and who is acting. */
export type ConsoleCommandDeps = {
  readonly db: Knex;
  /** Written in the same transaction as the user it records (@wallet/audit's `appendAudit`). */
  readonly audit: AuditFn;
  /** The audit actor: `walletctl:<os user>`. */
  readonly actor: string;
};

/**
 * `walletctl console create-admin --username NAME [--json]`: creates a console admin (the first one, or another: the
 * console is useless without one, and an operator at the database host may always add one) with a generated
 * password and TOTP secret, printed once, and writes the `user_created` audit entry. An existing username is refused
 * (VALIDATION_FAILED `username_taken`): this never resets anyone's credentials.
 * @returns the exit code (2 for an unknown action)
 */
export async function runConsoleCommand(
  action: string | undefined,
  options: { readonly username: string | undefined; readonly json: boolean },
  io: { readonly out: (line: string) => void; readonly err: (line: string) => void },
  deps: ConsoleCommandDeps,
): Promise<number> {
  if (action !== 'create-admin') {
    io.err(`unknown command: console ${action ?? ''}`.trim());
    return 2;
  }
  if (!options.username) throw new WalletError('VALIDATION_FAILED', '--username is required');
  const auth = new ConsoleAuth({ db: deps.db, log: createLogger('walletctl', { level: 'silent' }), audit: deps.audit });
  const { user, password, totpSecret, otpauthUri } = await auth.createUser({
    username: options.username,
    role: 'admin',
    createdBy: deps.actor,
  });
  if (options.json) {
    io.out(JSON.stringify({ userId: user.id, username: user.username, role: user.role, password, totpSecret, otpauthUri }, null, 2));
    return 0;
  }
  for (const line of [
    `console admin  ${user.username} (${user.id})`,
    `password       ${password}`,
    `TOTP secret    ${totpSecret}`,
    `otpauth URI    ${otpauthUri}`,
    'The password and the TOTP secret are shown only now. Add the secret to an authenticator app (or show the URI as',
    'a QR code) and hand the password over a secure channel; log in with both to the console.',
  ]) {
    io.out(line);
  }
  return 0;
}
