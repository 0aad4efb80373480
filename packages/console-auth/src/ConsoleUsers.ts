import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { type AuditFn, ConsoleAuditAction } from './ConsoleAuditAction.js';
import { type ConsoleRole, type ConsoleUser, type ConsoleUserRow, parseRole, parseUsername, toConsoleUser } from './ConsoleUser.js';
import { hashPassword } from './passwordHash.js';
import { checkPasswordPolicy, generatePassword } from './passwordPolicy.js';
import { generateTotpSecret, otpauthUri } from './totp.js';

/** A user's new credentials, shown once (at creation and at a reset) and never again. */
export type IssuedCredentials = {
  readonly user: ConsoleUser;
  readonly password: string;
  /** Base32, for typing into an authenticator app. */
  readonly totpSecret: string;
  /** The same secret as an `otpauth://totp/...` URI, for a QR code. */
  readonly otpauthUri: string;
};

/** What one administrative change does to a locked user row: the columns to write and the audit details, or null for no change. */
type Change = {
  readonly update: Record<string, unknown>;
  readonly details: Record<string, unknown>;
  /** End the user's live sessions. */
  readonly revokeSessions?: boolean;
  /** Clear the per-user throttle: the run of failures is over. */
  readonly clearThrottle?: boolean;
};

/**
 * The administration of console users behind {@link ConsoleAuth}'s admin methods: each change is one transaction that
 * locks the user's row, writes it, ends its sessions where the change calls for it, and appends the audit entry.
 * Who may call these is the caller's business (the console's admin routes, walletctl).
 */
export class ConsoleUsers {
  /**
   * @param clearThrottle clears the per-user throttle (an unlock or a reset ends the run of failures)
   */
  constructor(
    private readonly db: Knex,
    private readonly audit: AuditFn,
    private readonly clock: () => number,
    private readonly issuer: string,
    private readonly clearThrottle: (trx: Knex.Transaction, username: string) => Promise<void>,
  ) {}

  async list(): Promise<ConsoleUser[]> {
    return (await this.db<ConsoleUserRow>('console_users').orderBy('username')).map(toConsoleUser);
  }

  async get(userId: string): Promise<ConsoleUser> {
    const row = await this.db<ConsoleUserRow>('console_users').where({ id: userId }).first();
    if (!row) throw notFound(userId);
    return toConsoleUser(row);
  }

  async create(input: { username: string; role: ConsoleRole; createdBy: string; password?: string }): Promise<IssuedCredentials> {
    const username = parseUsername(input.username);
    const role = parseRole(input.role);
    const password = input.password ?? generatePassword();
    checkPasswordPolicy(password);
    const passwordHash = await hashPassword(password);
    const totpSecret = generateTotpSecret();
    const now = new Date(this.clock());
    const id = newId('cu');
    const row = await withTransaction(this.db, async (trx) => {
      try {
        await trx('console_users').insert({
          id,
          username,
          role,
          password_hash: passwordHash,
          totp_secret: totpSecret,
          status: 'active',
          created_by: input.createdBy,
          created_at: now,
          updated_at: now,
        });
      } catch (error) {
        if (isDuplicateKey(error)) {
          throw new WalletError('VALIDATION_FAILED', `username ${username} is taken`, { details: { reason: 'username_taken', username } });
        }
        throw error;
      }
      await this.audit(trx, {
        actor: input.createdBy,
        action: ConsoleAuditAction.userCreated,
        subject: username,
        details: { userId: id, role },
      });
      return (await trx<ConsoleUserRow>('console_users').where({ id }).first())!;
    });
    return {
      user: toConsoleUser(row),
      password,
      totpSecret,
      otpauthUri: otpauthUri({ secret: totpSecret, account: username, issuer: this.issuer }),
    };
  }

  disable(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#change(input, ConsoleAuditAction.userDisabled, (row) =>
      row.status === 'disabled' ? null : { update: { status: 'disabled' }, details: {}, revokeSessions: true },
    );
  }

  enable(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#change(input, ConsoleAuditAction.userEnabled, (row) =>
      row.status === 'active' ? null : { update: { status: 'active' }, details: {} },
    );
  }

  setRole(input: { userId: string; role: ConsoleRole; actor: string }): Promise<ConsoleUser> {
    const role = parseRole(input.role);
    return this.#change(input, ConsoleAuditAction.roleChanged, (row) =>
      row.role === role ? null : { update: { role }, details: { from: row.role, to: role } },
    );
  }

  async resetPassword(input: { userId: string; actor: string; password?: string }): Promise<IssuedCredentials> {
    const password = input.password ?? generatePassword();
    checkPasswordPolicy(password);
    const passwordHash = await hashPassword(password);
    const totpSecret = generateTotpSecret();
    const user = await this.#change(input, ConsoleAuditAction.passwordReset, () => ({
      update: { password_hash: passwordHash, totp_secret: totpSecret, totp_last_step: null, failed_logins: 0, locked_until: null },
      details: {},
      revokeSessions: true,
      clearThrottle: true,
    }));
    return { user, password, totpSecret, otpauthUri: otpauthUri({ secret: totpSecret, account: user.username, issuer: this.issuer }) };
  }

  unlock(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#change(input, ConsoleAuditAction.userUnlocked, (row) => ({
      update: { failed_logins: 0, locked_until: null },
      details: { failedLogins: Number(row.failed_logins), lockedUntil: row.locked_until?.toISOString() ?? null },
      clearThrottle: true,
    }));
  }

  /** One audited change of one user, under its row lock; a change that changes nothing writes nothing. */
  async #change(
    input: { userId: string; actor: string },
    action: ConsoleAuditAction,
    decide: (row: ConsoleUserRow) => Change | null,
  ): Promise<ConsoleUser> {
    const now = new Date(this.clock());
    const row = await withTransaction(this.db, async (trx) => {
      const before = await trx<ConsoleUserRow>('console_users').where({ id: input.userId }).forUpdate().first();
      if (!before) throw notFound(input.userId);
      const change = decide(before);
      if (change === null) return before;
      await trx('console_users')
        .where({ id: before.id })
        .update({ ...change.update, updated_at: now });
      let revokedSessions: number | undefined;
      if (change.revokeSessions) {
        revokedSessions = await trx('console_sessions').where({ user_id: before.id }).whereNull('revoked_at').update({ revoked_at: now });
      }
      if (change.clearThrottle) await this.clearThrottle(trx, before.username);
      await this.audit(trx, {
        actor: input.actor,
        action,
        subject: before.username,
        details: { userId: before.id, ...change.details, ...(revokedSessions === undefined ? {} : { revokedSessions }) },
      });
      return (await trx<ConsoleUserRow>('console_users').where({ id: before.id }).first())!;
    });
    return toConsoleUser(row);
  }
}

function notFound(userId: string): WalletError {
  return new WalletError('NOT_FOUND', 'no such console user', { details: { userId } });
}
