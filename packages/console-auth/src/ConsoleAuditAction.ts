import type { Knex } from '@wallet/db';

/** One entry of the audit log, as the console writes it (the audit log's own row adds time, sequence and hashes). */
export type AuditEntry = {
  /** Who did it: `user:<username>` for a console user (also for a login attempt under that name), or the tool's actor. */
  readonly actor: string;
  /** One of {@link ConsoleAuditAction}. */
  readonly action: string;
  /** The console user acted on, by username (null when there is none, e.g. a login under an unknown name). */
  readonly subject?: string | null;
  readonly details?: Record<string, unknown>;
};

/**
 * Appends an entry to the audit log inside the caller's MySQL transaction, so the entry and the change it records
 * commit together or not at all (@wallet/audit's `appendAudit`; tests pass their own). The console calls it as the
 * last statement of each transaction: appendAudit holds the log's head lock until the commit.
 */
export type AuditFn = (trx: Knex.Transaction, entry: AuditEntry) => Promise<unknown>;

/** The audit actions of console authentication and user administration. */
export const ConsoleAuditAction = {
  login: 'login',
  loginFailed: 'login_failed',
  logout: 'logout',
  userCreated: 'user_created',
  userDisabled: 'user_disabled',
  userEnabled: 'user_enabled',
  roleChanged: 'role_changed',
  passwordReset: 'password_reset',
  userUnlocked: 'user_unlocked',
} as const;
export type ConsoleAuditAction = (typeof ConsoleAuditAction)[keyof typeof ConsoleAuditAction];

/**
 * Why a login failed (`details.reason` of a `console.login_failed` entry, and the log). Never shown to the person
 * logging in: every credential failure answers `UNAUTHENTICATED` `invalid_credentials`, and `locked` and `throttled`
 * both answer `TOO_MANY_ATTEMPTS`, for known and unknown usernames alike.
 */
export const LoginFailureReason = {
  /** No such user (or a name that is not a username). */
  unknownUser: 'unknown_user',
  badPassword: 'bad_password',
  /** The password was right; the code was wrong or outside the ±1 step window. */
  badTotp: 'bad_totp',
  /** The password was right; the code was a valid one already used (someone saw it, or a double submit). */
  totpReplayed: 'totp_replayed',
  /** Password and code right, but the user is disabled. */
  disabled: 'disabled',
  /** Refused unchecked: the user is locked after 10 consecutive failures. */
  locked: 'locked',
  /** Refused unchecked: the user or the address is in a growing delay. */
  throttled: 'throttled',
} as const;
export type LoginFailureReason = (typeof LoginFailureReason)[keyof typeof LoginFailureReason];

/** The audit actor of a console user (@wallet/audit's `user:<name>`). */
export function consoleActor(username: string): string {
  return `user:${username}`;
}
