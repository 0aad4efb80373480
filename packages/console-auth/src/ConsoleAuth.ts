import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { type AuditFn, ConsoleAuditAction, LoginFailureReason, consoleActor } from './ConsoleAuditAction.js';
import { type ConsoleRole, type ConsoleUser, type ConsoleUserRow, Username, toConsoleUser } from './ConsoleUser.js';
import { ConsoleUsers, type IssuedCredentials } from './ConsoleUsers.js';
import { hashPassword, verifyPassword } from './passwordHash.js';
import { Throttle, type ThrottleState, tooManyAttempts } from './Throttle.js';
import { verifyTotp } from './totp.js';

/** Options of {@link ConsoleAuth}. */
export type ConsoleAuthOptions = {
  /** A session unused this long ends. @default 900_000 (15 min) */
  readonly idleMs?: number;
  /** A session ends this long after login, used or not. @default 28_800_000 (8 h) */
  readonly absoluteMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** The issuer authenticator apps show beside the username. @default 'Wallet console' */
  readonly issuer?: string;
};

/** What the login form sends, plus where it came from. */
export type LoginInput = {
  readonly username: string;
  readonly password: string;
  /** The 6-digit code of the user's authenticator app. */
  readonly totp: string;
  /** The client's address (the throttle's `ip:` key). */
  readonly ip: string;
  readonly userAgent: string;
};

/** A successful login: the session token goes in an HttpOnly cookie, the CSRF token in every state-changing form. */
export type LoginResult = {
  /** The session token (32 random bytes, base64url): only its SHA-256 is stored. */
  readonly token: string;
  readonly csrfToken: string;
  readonly sessionId: string;
  readonly user: ConsoleUser;
  /** The absolute end of the session (it ends earlier when idle). */
  readonly expiresAt: Date;
};

/** A live session, as {@link ConsoleAuth.session} finds it. */
export type ConsoleSession = {
  /** SHA-256 (hex) of the token. */
  readonly sessionId: string;
  readonly user: ConsoleUser;
  readonly csrfToken: string;
  readonly expiresAt: Date;
};

/** The console's per-address throttle: 3 free failures, then 1 s, 2 s, 4 s ... up to 15 min. */
const ipPolicy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 900_000 } as const;
/** The per-user throttle: the same delays, and from the 10th consecutive failure a 30-minute lock. */
const userPolicy = { ...ipPolicy, lockAfter: 10, lockMs: 1_800_000 } as const;

// 32 bytes in base64url
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

type SessionJoin = ConsoleUserRow & {
  session_id: string;
  csrf_token: string;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
};

type Verdict =
  | { readonly ok: true; readonly result: LoginResult }
  | { readonly ok: false; readonly reason: LoginFailureReason; readonly error: WalletError };

/**
 * Authentication of the auditors' console: password (scrypt) and TOTP login with growing delays and lockout,
 * sessions with idle and absolute expiry, CSRF tokens, and the users' administration. Every login, failure, logout and
 * user change is written to the audit log through `audit`, in the same MySQL transaction as the change it records.
 *
 * Login, step by step:
 * 1. One transaction locks the throttle rows of `ip:<ip>` and `user:<username>`. If either is blocked (or the user is
 *    locked) the attempt is refused there, unchecked, and audited (`TOO_MANY_ATTEMPTS`). Otherwise the attempt is
 *    counted as a failure of both keys before anything is checked, so parallel guesses cannot all slip through the
 *    same open window; a success clears both.
 * 2. scrypt runs outside any transaction, against the user's hash or, for an unknown name, a dummy hash of the same
 *    cost: an unknown username takes as long as a wrong password.
 * 3. A second transaction locks the user's row, checks the code against `totp_last_step` (each code once), the status,
 *    and either opens the session or records the failure (failed_logins, the lock at 10), with the audit entry.
 * Credential failures all answer `UNAUTHENTICATED` `invalid_credentials`; the precise reason is in the audit log.
 */
export class ConsoleAuth {
  readonly #db: Knex;
  readonly #log: Logger;
  readonly #audit: AuditFn;
  readonly #idleMs: number;
  readonly #absoluteMs: number;
  readonly #clock: () => number;
  readonly #ipThrottle: Throttle;
  readonly #userThrottle: Throttle;
  readonly #users: ConsoleUsers;
  #dummyHash: Promise<string> | undefined;

  /**
   * @param deps the database (signsrv's), a logger, and the audit log's append function
   * @param options see {@link ConsoleAuthOptions} for the defaults
   */
  constructor(deps: { db: Knex; log: Logger; audit: AuditFn }, options: ConsoleAuthOptions = {}) {
    this.#db = deps.db;
    this.#log = deps.log;
    this.#audit = deps.audit;
    this.#idleMs = options.idleMs ?? 900_000;
    this.#absoluteMs = options.absoluteMs ?? 28_800_000;
    this.#clock = options.clock ?? Date.now;
    this.#ipThrottle = new Throttle(deps.db, { ...ipPolicy, clock: this.#clock });
    this.#userThrottle = new Throttle(deps.db, { ...userPolicy, clock: this.#clock });
    this.#users = new ConsoleUsers(deps.db, deps.audit, this.#clock, options.issuer ?? 'Wallet console', (trx, username) =>
      this.#userThrottle.succeed(userKey(username), trx),
    );
  }

  /**
   * Logs a user in with password and TOTP code and opens a session.
   * @throws WalletError UNAUTHENTICATED (`details.reason` `invalid_credentials`) for any wrong credential, an unknown
   *   or a disabled user; TOO_MANY_ATTEMPTS (`details.retryAfterSeconds`) while the address or the user is blocked
   */
  async login(input: LoginInput): Promise<LoginResult> {
    const now = this.#clock();
    const parsed = Username.safeParse(input.username);
    const username = parsed.success ? parsed.data : null;
    const ip = input.ip.slice(0, 64);
    const userAgent = input.userAgent.slice(0, 255);
    const actor = consoleActor(username ?? '?');
    const context = { ip, userAgent, ...(username === null ? { username: input.username.slice(0, 64) } : {}) };
    const keys = { ip: `ip:${ip}`, user: username === null ? null : userKey(username) };
    const dummy = (this.#dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

    const gate = await withTransaction(this.#db, async (trx) => {
      const states: ThrottleState[] = [await this.#ipThrottle.state(keys.ip, trx)];
      if (keys.user !== null) states.push(await this.#userThrottle.state(keys.user, trx));
      const user = username === null ? undefined : await trx<ConsoleUserRow>('console_users').where({ username }).first();
      const blocked = states.filter((s) => s.blockedUntil !== null);
      const lockedUntil = user?.locked_until && user.locked_until.getTime() > now ? user.locked_until : null;
      if (lockedUntil !== null) blocked.push({ key: 'user', failures: 0, blockedUntil: lockedUntil, locked: true });
      if (blocked.length > 0) {
        const reason = blocked.some((s) => s.locked) ? LoginFailureReason.locked : LoginFailureReason.throttled;
        const error = tooManyAttempts(blocked, now);
        await this.#audit(trx, {
          actor,
          action: ConsoleAuditAction.loginFailed,
          subject: user?.username ?? null,
          details: { reason, ...context, retryAfterSeconds: error.details['retryAfterSeconds'] },
        });
        return { refused: { reason, error } } as const;
      }
      await this.#ipThrottle.fail(keys.ip, trx);
      if (keys.user !== null) await this.#userThrottle.fail(keys.user, trx);
      return { user } as const;
    });
    if ('refused' in gate) return this.#refuse(gate.refused.reason, gate.refused.error, username, ip);

    const found = gate.user;
    const passwordOk = await verifyPassword(input.password, found?.password_hash ?? (await dummy));

    const verdict = await withTransaction(this.#db, async (trx): Promise<Verdict> => {
      const row = found && (await trx<ConsoleUserRow>('console_users').where({ id: found.id }).forUpdate().first());
      let reason: LoginFailureReason | null = null;
      let step: number | null = null;
      if (!row) reason = LoginFailureReason.unknownUser;
      // a password reset between the two transactions: the old password no longer counts
      else if (!passwordOk || row.password_hash !== found.password_hash) reason = LoginFailureReason.badPassword;
      else {
        const lastStep = row.totp_last_step === null ? null : Number(row.totp_last_step);
        step = verifyTotp(row.totp_secret, input.totp, now, { lastStep });
        if (step === null) {
          const replayed = lastStep !== null && verifyTotp(row.totp_secret, input.totp, now) !== null;
          reason = replayed ? LoginFailureReason.totpReplayed : LoginFailureReason.badTotp;
        } else if (row.status !== 'active') reason = LoginFailureReason.disabled;
      }
      if (reason !== null || !row || step === null) {
        return this.#recordFailure(trx, reason ?? LoginFailureReason.unknownUser, { username, keys, row, actor, context, now });
      }

      await trx('console_users')
        .where({ id: row.id })
        .update({ totp_last_step: step, failed_logins: 0, locked_until: null, last_login_at: new Date(now) });
      await this.#ipThrottle.succeed(keys.ip, trx);
      await this.#userThrottle.succeed(userKey(row.username), trx);
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const sessionId = sessionIdOf(token);
      const expiresAt = new Date(now + this.#absoluteMs);
      await trx('console_sessions').insert({
        id: sessionId,
        user_id: row.id,
        csrf_token: csrfToken,
        created_at: new Date(now),
        last_seen_at: new Date(now),
        expires_at: expiresAt,
        ip,
        user_agent: userAgent,
      });
      await this.#audit(trx, { actor, action: ConsoleAuditAction.login, subject: row.username, details: { ...context, sessionId } });
      const user = toConsoleUser({ ...row, failed_logins: 0, locked_until: null, last_login_at: new Date(now) });
      return { ok: true, result: { token, csrfToken, sessionId, user, expiresAt } };
    });
    if (!verdict.ok) return this.#refuse(verdict.reason, verdict.error, username, ip);
    this.#log.info({ event: 'console_login', username, ip, sessionId: verdict.result.sessionId }, 'console login');
    return verdict.result;
  }

  /**
   * The live session of a token, its last use moved to now (the idle expiry starts again).
   * @throws WalletError UNAUTHENTICATED (`details.reason` `no_session`, `session_expired`, `session_revoked`,
   *   `user_disabled`)
   */
  async session(token: string | undefined): Promise<ConsoleSession> {
    if (typeof token !== 'string' || !TOKEN.test(token)) throw unauthenticated('no_session');
    const now = this.#clock();
    const row = await this.#db('console_sessions as s')
      .join('console_users as u', 'u.id', 's.user_id')
      .where('s.id', sessionIdOf(token))
      .first<SessionJoin | undefined>('u.*', 's.id as session_id', 's.csrf_token', 's.last_seen_at', 's.expires_at', 's.revoked_at');
    if (!row) throw unauthenticated('no_session');
    if (row.revoked_at !== null) throw unauthenticated('session_revoked');
    if (now >= row.expires_at.getTime()) throw unauthenticated('session_expired', { expiry: 'absolute' });
    if (now - row.last_seen_at.getTime() >= this.#idleMs) throw unauthenticated('session_expired', { expiry: 'idle' });
    if (row.status !== 'active') throw unauthenticated('user_disabled');
    await this.#db('console_sessions')
      .where({ id: row.session_id })
      .whereNull('revoked_at')
      .update({ last_seen_at: new Date(Math.max(now, row.last_seen_at.getTime())) });
    return { sessionId: row.session_id, user: toConsoleUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  /**
   * Requires the session's CSRF token on a state change (a form field or header the page sends back), compared in
   * constant time.
   * @throws WalletError FORBIDDEN (`details.reason` `csrf`) when missing or wrong
   */
  checkCsrf(session: ConsoleSession, token: string | undefined | null): void {
    const digest = (value: string) => createHash('sha256').update(value).digest();
    if (typeof token !== 'string' || token.length === 0 || !timingSafeEqual(digest(token), digest(session.csrfToken))) {
      throw new WalletError('FORBIDDEN', 'missing or wrong CSRF token', { details: { reason: 'csrf' } });
    }
  }

  /**
   * Requires a role of the session's user.
   * @throws WalletError FORBIDDEN (`details.reason` `role`)
   */
  requireRole(session: ConsoleSession, role: ConsoleRole): void {
    if (session.user.role !== role) {
      throw new WalletError('FORBIDDEN', `only an ${role} may do this`, { details: { reason: 'role', required: role } });
    }
  }

  /**
   * Ends the session of a token (audited). An unknown, expired or already ended session is left as it is.
   * @returns whether a live session was ended
   */
  async logout(token: string | undefined): Promise<boolean> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return false;
    const now = this.#clock();
    return withTransaction(this.#db, async (trx) => {
      // Only the session's row is locked: locking the user's row after it could deadlock with disableUser, which
      // locks the user and then its sessions.
      const row = await trx('console_sessions')
        .where({ id: sessionIdOf(token) })
        .forUpdate()
        .first<{ id: string; user_id: string; revoked_at: Date | null } | undefined>('id', 'user_id', 'revoked_at');
      if (!row || row.revoked_at !== null) return false;
      await trx('console_sessions')
        .where({ id: row.id })
        .update({ revoked_at: new Date(now) });
      const { username } = await trx('console_users').where({ id: row.user_id }).first<{ username: string }>('username');
      await this.#audit(trx, {
        actor: consoleActor(username),
        action: ConsoleAuditAction.logout,
        subject: username,
        details: { sessionId: row.id },
      });
      return true;
    });
  }

  /** Every console user, by username. */
  listUsers(): Promise<ConsoleUser[]> {
    return this.#users.list();
  }

  /** @throws WalletError NOT_FOUND */
  getUser(userId: string): Promise<ConsoleUser> {
    return this.#users.get(userId);
  }

  /**
   * Creates a user with a new TOTP secret and, unless one is given, a generated password: both are returned once and
   * stored only as a hash and a secret (audited as `console.user_created`).
   * @param input `createdBy` is the audit actor (`console:<admin>`, `walletctl:<os user>`)
   * @throws WalletError VALIDATION_FAILED (`details.reason` `bad_username`, `bad_role`, `username_taken`,
   *   `password_too_short`, `password_too_long`)
   */
  createUser(input: { username: string; role: ConsoleRole; createdBy: string; password?: string }): Promise<IssuedCredentials> {
    return this.#users.create(input);
  }

  /** Disables a user and ends its sessions (audited). @throws WalletError NOT_FOUND */
  disableUser(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#users.disable(input);
  }

  /** Enables a disabled user (audited). @throws WalletError NOT_FOUND */
  enableUser(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#users.enable(input);
  }

  /** Changes a user's role; it applies to its live sessions at once (audited). @throws WalletError NOT_FOUND, VALIDATION_FAILED */
  setRole(input: { userId: string; role: ConsoleRole; actor: string }): Promise<ConsoleUser> {
    return this.#users.setRole(input);
  }

  /**
   * New password (generated unless given) and new TOTP secret, returned once; ends the user's sessions and clears a
   * lockout (audited). @throws WalletError NOT_FOUND, VALIDATION_FAILED
   */
  resetPassword(input: { userId: string; actor: string; password?: string }): Promise<IssuedCredentials> {
    return this.#users.resetPassword(input);
  }

  /** Ends a lockout at once: the failure count and the per-user throttle are cleared (audited). @throws WalletError NOT_FOUND */
  unlock(input: { userId: string; actor: string }): Promise<ConsoleUser> {
    return this.#users.unlock(input);
  }

  /** Records a failed attempt's outcome: the user's failure count and lock (from the per-user throttle), the audit entry. */
  async #recordFailure(
    trx: Knex.Transaction,
    reason: LoginFailureReason,
    at: {
      username: string | null;
      keys: { user: string | null };
      row: ConsoleUserRow | undefined;
      actor: string;
      context: Record<string, unknown>;
      now: number;
    },
  ): Promise<Verdict> {
    const state = at.keys.user === null ? null : await this.#userThrottle.state(at.keys.user, trx);
    if (at.username !== null && state !== null) {
      // The same statement whether or not the user exists (it then matches no row): the two cost the same.
      await trx('console_users')
        .where({ username: at.username })
        .update({
          failed_logins: state.failures,
          ...(state.locked ? { locked_until: state.blockedUntil } : {}),
        });
    }
    await this.#audit(trx, {
      actor: at.actor,
      action: ConsoleAuditAction.loginFailed,
      subject: at.row?.username ?? null,
      details: { reason, ...at.context },
    });
    const error = new WalletError('UNAUTHENTICATED', 'wrong username, password or code', {
      details: { reason: 'invalid_credentials' },
    });
    return { ok: false, reason, error };
  }

  #refuse(reason: LoginFailureReason, error: WalletError, username: string | null, ip: string): never {
    this.#log.warn({ event: 'console_login_failed', username, ip, reason, code: error.code }, 'console login refused');
    throw error;
  }
}

/** The session id of a token: its SHA-256 in hex (the token itself is never stored). */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function userKey(username: string): string {
  return `user:${username}`;
}

function unauthenticated(reason: string, more: Record<string, unknown> = {}): WalletError {
  return new WalletError('UNAUTHENTICATED', 'no valid console session', { details: { reason, ...more } });
}
