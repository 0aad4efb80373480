import { WalletError } from '@wallet/errors';
import { z } from 'zod';

/** What a console user may do: an `auditor` reviews withdrawals; an `admin` runs users, policies, whitelists and the kill switch, and approves nothing. */
export const ConsoleRole = { auditor: 'auditor', admin: 'admin' } as const;
export type ConsoleRole = (typeof ConsoleRole)[keyof typeof ConsoleRole];

/** A disabled user cannot log in, and its sessions end. */
export const ConsoleUserStatus = { active: 'active', disabled: 'disabled' } as const;
export type ConsoleUserStatus = (typeof ConsoleUserStatus)[keyof typeof ConsoleUserStatus];

/**
 * A username as typed: 1 to 64 of `[A-Za-z0-9_.-]`, folded to lower case, so `Alice` and `alice` are one user (one
 * account, one throttle) and no admin can be impersonated by a look-alike in another case.
 */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a username is 1 to 64 of A-Z a-z 0-9 _ . -')
  .transform((name) => name.toLowerCase());

/** @throws WalletError VALIDATION_FAILED (`details.reason` `bad_username`) */
export function parseUsername(name: string): string {
  const parsed = Username.safeParse(name);
  if (!parsed.success) {
    throw new WalletError('VALIDATION_FAILED', 'a username is 1 to 64 of A-Z a-z 0-9 _ . -', { details: { reason: 'bad_username' } });
  }
  return parsed.data;
}

/** @throws WalletError VALIDATION_FAILED (`details.reason` `bad_role`) */
export function parseRole(role: string): ConsoleRole {
  if (role === ConsoleRole.auditor || role === ConsoleRole.admin) return role;
  throw new WalletError('VALIDATION_FAILED', 'a role is auditor or admin', { details: { reason: 'bad_role' } });
}

/** A console user as the console and walletctl show it: never its password hash or TOTP secret. */
export type ConsoleUser = {
  readonly id: string;
  readonly username: string;
  readonly role: ConsoleRole;
  readonly status: ConsoleUserStatus;
  /** Consecutive failed logins since the last success or unlock. */
  readonly failedLogins: number;
  /** Set while locked out after repeated failures (until an admin unlocks it, or this time passes). */
  readonly lockedUntil: Date | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastLoginAt: Date | null;
};

/** A console_users row as mysql2 returns it. */
export type ConsoleUserRow = {
  id: string;
  username: string;
  role: ConsoleRole;
  password_hash: string;
  totp_secret: string;
  totp_last_step: string | number | null;
  status: ConsoleUserStatus;
  failed_logins: number;
  locked_until: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
};

/** The public view of a row. */
export function toConsoleUser(row: ConsoleUserRow): ConsoleUser {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    status: row.status,
    failedLogins: Number(row.failed_logins),
    lockedUntil: row.locked_until,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}
