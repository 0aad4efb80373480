import type { AssetRegistry } from '@wallet/assets';
import type { ConsoleAuth } from '@wallet/console-auth';
import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import type { AuditFn, Payouts } from '@wallet/payout';

/** What the auditors' console needs from signsrv. */
export type ConsoleDeps = {
  /** Users, sessions, CSRF tokens, roles. */
  readonly auth: Pick<
    ConsoleAuth,
    | 'login'
    | 'session'
    | 'logout'
    | 'checkCsrf'
    | 'requireRole'
    | 'listUsers'
    | 'getUser'
    | 'createUser'
    | 'disableUser'
    | 'enableUser'
    | 'setRole'
    | 'resetPassword'
    | 'unlock'
  >;
  /** signsrv's database: policies, whitelists, switches, alarms, the audit log, the risk view's reads. */
  readonly db: Knex;
  /** The review desk (every rule is enforced there; the pages only present it). */
  readonly payouts: Pick<Payouts, 'listPending' | 'listDecided' | 'get' | 'approve' | 'reject' | 'voidApproved'>;
  /** Assets (decimals for amounts, the policy page's list) and chains (whitelist addresses). */
  readonly registry: AssetRegistry;
  /** The hash-chained audit log's append (policies, whitelists, switches are audited in their transaction). */
  readonly audit: AuditFn;
  readonly log: Logger;
  /** The fiat currency amounts are also shown in (SIGNSRV_CONSOLE_FIAT), from the prices transrv keeps. @default USD */
  readonly fiat?: string;
  /** How many admins other than the requester approve a treasury move (SIGNSRV_TREASURY_APPROVALS). @default 2 */
  readonly treasuryApprovals?: number;
  /** While false (not yet signsrv's one registered instance) every console page answers 503. @default always ready */
  readonly ready?: () => boolean;
};
