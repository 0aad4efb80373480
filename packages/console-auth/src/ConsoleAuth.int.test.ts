import { createHash } from 'node:crypto';
import { type Db, type Knex } from '@wallet/db';
import { type WalletError, isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleAuth, type LoginInput } from './ConsoleAuth.js';
import type { AuditEntry } from './ConsoleAuditAction.js';
import type { ConsoleRole } from './ConsoleUser.js';
import { totpCode } from './totp.js';
import { createTestDatabase } from '@wallet/testkit';

// ConsoleAuth on a fresh MariaDB database, with a clock the tests move and an audit function that writes to a table
// of the test's own (`test_audit`), inside the transaction it is given.

let db: Db;
let drop: () => Promise<void>;
let auth: ConsoleAuth;
let now = Date.UTC(2030, 0, 1, 9);
const clock = () => now;
/** Set by a test to make the audit function throw (the change it records must roll back with it). */
let auditFails = false;
/** What each audit call saw from outside its transaction (another connection), keyed by action. */
const seenFromOutside: Record<string, unknown> = {};

const idleMs = 900_000;
const absoluteMs = 8 * 3_600_000;

async function audit(trx: Knex.Transaction, entry: AuditEntry): Promise<void> {
  if (!trx.isTransaction) throw new Error('audit called outside a transaction');
  if (auditFails) throw new Error('audit log unavailable');
  if (entry.action === 'login' || entry.action === 'user_created') {
    // the change being audited: visible inside the transaction, not yet from another connection
    const inside = await trx('console_users').where({ username: entry.subject }).first();
    const outside =
      entry.action === 'login'
        ? await db('console_sessions').where({ id: entry.details?.['sessionId'] }).first()
        : await db('console_users').where({ username: entry.subject }).first();
    seenFromOutside[entry.action] = { inside: inside !== undefined, outside: outside !== undefined };
  }
  await trx('test_audit').insert({
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject ?? null,
    details: JSON.stringify(entry.details ?? {}),
  });
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db.schema.createTable('test_audit', (t) => {
    t.bigIncrements('id');
    t.string('actor', 100).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject', 100).nullable();
    t.text('details').notNullable();
  });
  auth = new ConsoleAuth({ db, log: createLogger('console-auth-int', { level: 'silent' }), audit }, { idleMs, absoluteMs, clock });
});
afterAll(async () => drop());
beforeEach(() => {
  auditFails = false;
});

let n = 0;
type TestUser = { username: string; password: string; totpSecret: string; id: string; ip: string };

/** A new user, and an address of its own (so tests do not share the per-address throttle). */
async function newUser(role: ConsoleRole = 'auditor'): Promise<TestUser> {
  n++;
  const { user, password, totpSecret } = await auth.createUser({ username: `user${n}`, role, createdBy: 'test:admin' });
  return { username: user.username, password, totpSecret, id: user.id, ip: `10.1.${n}.1` };
}

function loginAs(u: TestUser, over: Partial<LoginInput> = {}) {
  return auth.login({
    username: u.username,
    password: u.password,
    totp: totpCode(u.totpSecret, now),
    ip: u.ip,
    userAgent: 'vitest',
    ...over,
  });
}

async function refusal(work: Promise<unknown>): Promise<WalletError> {
  try {
    await work;
  } catch (error) {
    if (isWalletError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

type AuditRow = { actor: string; action: string; subject: string | null; details: Record<string, unknown> };
async function auditOf(filter: { subject?: string; action?: string }): Promise<AuditRow[]> {
  const rows = await db('test_audit').where(filter).orderBy('id');
  return rows.map((r: AuditRow & { details: string }) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}
const lastFailureReason = async (username: string) =>
  (await auditOf({ subject: username, action: 'login_failed' })).at(-1)?.details['reason'];
const invalidCredentials = { code: 'UNAUTHENTICATED', details: { reason: 'invalid_credentials' } };
/** Past any growing delay, a fresh TOTP step. */
const later = (ms = 60_000) => (now += ms);

describe('login', () => {
  it('password and TOTP open a session: the token is returned, only its SHA-256 stored, the login audited', async () => {
    const u = await newUser();
    const result = await loginAs(u);
    expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.sessionId).toBe(createHash('sha256').update(result.token).digest('hex'));
    expect(result.expiresAt).toEqual(new Date(now + absoluteMs));
    expect(result.user).toMatchObject({ id: u.id, username: u.username, role: 'auditor', status: 'active', failedLogins: 0 });
    expect(result.user).not.toHaveProperty('password_hash');
    expect(JSON.stringify(result.user)).not.toContain(u.totpSecret);

    const stored = await db('console_sessions').where({ user_id: u.id });
    expect(stored).toHaveLength(1);
    expect(stored[0].id).toBe(result.sessionId);
    expect(JSON.stringify(stored)).not.toContain(result.token);
    expect(stored[0]).toMatchObject({ ip: u.ip, user_agent: 'vitest', revoked_at: null });

    const row = await db('console_users').where({ id: u.id }).first();
    expect(Number(row.totp_last_step)).toBe(Math.floor(now / 30_000));
    expect(row.last_login_at).toEqual(new Date(now));
    expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);

    expect(await auditOf({ subject: u.username, action: 'login' })).toEqual([
      {
        actor: `user:${u.username}`,
        action: 'login',
        subject: u.username,
        details: { ip: u.ip, userAgent: 'vitest', sessionId: result.sessionId },
        id: expect.any(String),
      },
    ]);
    const session = await auth.session(result.token);
    expect(session).toMatchObject({ sessionId: result.sessionId, csrfToken: result.csrfToken, user: { username: u.username } });
  });

  it('is case-insensitive in the username: Alice and alice are one user', async () => {
    const u = await newUser();
    await loginAs(u, { username: u.username.toUpperCase() });
  });

  it('a wrong password is refused as invalid credentials, counted and audited', async () => {
    const u = await newUser();
    const error = await refusal(loginAs(u, { password: `${u.password}x` }));
    expect(error).toMatchObject(invalidCredentials);
    expect(error.httpStatus).toBe(401);
    expect(await lastFailureReason(u.username)).toBe('bad_password');
    expect(await db('console_users').where({ id: u.id }).first()).toMatchObject({ failed_logins: 1 });
    expect(await db('console_sessions').where({ user_id: u.id })).toHaveLength(0);
  });

  it('a wrong TOTP code after the right password is refused the same way', async () => {
    const u = await newUser();
    const right = totpCode(u.totpSecret, now);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await refusal(loginAs(u, { totp: wrong }))).toMatchObject(invalidCredentials);
    expect(await lastFailureReason(u.username)).toBe('bad_totp');
    // a code of two steps ago is outside the ±1 window
    expect(await refusal(loginAs(u, { totp: totpCode(u.totpSecret, now - 60_000) }))).toMatchObject(invalidCredentials);
    expect(await lastFailureReason(u.username)).toBe('bad_totp');
    expect(await refusal(loginAs(u, { totp: '' }))).toMatchObject(invalidCredentials);
  });

  it('a code is accepted once: a replay, or an older code after a newer one, is refused', async () => {
    const u = await newUser();
    const code = totpCode(u.totpSecret, now);
    const first = await loginAs(u, { totp: code });
    await auth.logout(first.token);
    expect(await refusal(loginAs(u, { totp: code }))).toMatchObject(invalidCredentials);
    expect(await lastFailureReason(u.username)).toBe('totp_replayed');
    // the previous step's code is inside the window but older than the one used
    expect(await refusal(loginAs(u, { totp: totpCode(u.totpSecret, now - 30_000) }))).toMatchObject(invalidCredentials);
    expect(await lastFailureReason(u.username)).toBe('totp_replayed');
    now += 30_000;
    await loginAs(u);
  });

  it('two parallel logins with the same code: exactly one session', async () => {
    const u = await newUser();
    const code = totpCode(u.totpSecret, now);
    const results = await Promise.allSettled([loginAs(u, { totp: code }), loginAs(u, { totp: code })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db('console_sessions').where({ user_id: u.id })).toHaveLength(1);
  });

  it('an unknown user is refused exactly like a wrong password, after the same scrypt work', async () => {
    const u = await newUser();
    const wrongPassword = await refusal(loginAs(u, { password: 'not the password at all' }));
    const unknown = await refusal(loginAs(u, { username: `nobody${n}`, ip: '10.200.0.1' }));
    expect(unknown.code).toBe(wrongPassword.code);
    expect(unknown.details).toEqual(wrongPassword.details);
    expect(unknown.message).toBe(wrongPassword.message);
    expect((await auditOf({ action: 'login_failed' })).at(-1)).toMatchObject({
      actor: `user:nobody${n}`,
      subject: null,
      details: { reason: 'unknown_user', ip: '10.200.0.1' },
    });
    // a name that is not a username at all: the same answer, the name kept in the audit details
    const malformed = await refusal(loginAs(u, { username: 'robert"); DROP TABLE x', ip: '10.200.0.2' }));
    expect(malformed).toMatchObject(invalidCredentials);
    expect((await auditOf({ action: 'login_failed' })).at(-1)).toMatchObject({
      actor: 'user:?',
      details: { reason: 'unknown_user', username: 'robert"); DROP TABLE x' },
    });

    // Timing: without the dummy hash an unknown name would answer in a few ms against scrypt's ~100 ms.
    const median = async (attempt: (i: number) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        await refusal(attempt(i));
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[1]!;
    };
    const known = await median((i) => loginAs(u, { password: 'wrong password here', ip: `10.201.0.${i}` }));
    const unknownTime = await median((i) => loginAs(u, { username: `ghost${n}x${i}`, ip: `10.202.0.${i}` }));
    expect(unknownTime / known).toBeGreaterThan(0.5);
  });

  it('a disabled user is refused even with the right password and code', async () => {
    const u = await newUser();
    await auth.disableUser({ userId: u.id, actor: 'test:admin' });
    expect(await refusal(loginAs(u))).toMatchObject(invalidCredentials);
    expect(await lastFailureReason(u.username)).toBe('disabled');
    await auth.enableUser({ userId: u.id, actor: 'test:admin' });
    later();
    await loginAs(u);
  });
});

describe('growing delays and lockout', () => {
  it('per user: three free failures, then 1 s, 2 s, 4 s, 8 s blocks, refused unchecked and audited; a success resets', async () => {
    const u = await newUser();
    const wrong = { password: 'wrong password!!' };
    for (let i = 0; i < 3; i++) expect(await refusal(loginAs(u, { ...wrong, ip: `10.3.${n}.${i}` }))).toMatchObject(invalidCredentials);
    const delays: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      // allowed (the block of the previous failure has passed), and wrong: it blocks the user
      expect(await refusal(loginAs(u, { ...wrong, ip: `10.4.${n}.${i}` }))).toMatchObject(invalidCredentials);
      // now even the right credentials are refused, without being checked
      const blocked = await refusal(loginAs(u, { ip: `10.5.${n}.${i}` }));
      expect(blocked.code).toBe('TOO_MANY_ATTEMPTS');
      expect(blocked.httpStatus).toBe(429);
      delays.push(blocked.details['retryAfterSeconds']);
      expect(await lastFailureReason(u.username)).toBe('throttled');
      now += Number(blocked.details['retryAfterSeconds']) * 1000;
    }
    expect(delays).toEqual([1, 2, 4, 8]);
    expect(await db('console_sessions').where({ user_id: u.id })).toHaveLength(0);
    expect(await db('console_users').where({ id: u.id }).first()).toMatchObject({ failed_logins: 7, locked_until: null });

    await loginAs(u);
    expect(await db('console_users').where({ id: u.id }).first()).toMatchObject({ failed_logins: 0 });
    expect(
      await db('auth_throttle')
        .where({ key: `user:${u.username}` })
        .first(),
    ).toBeUndefined();
    later();
    for (let i = 0; i < 3; i++) expect(await refusal(loginAs(u, { ...wrong }))).toMatchObject(invalidCredentials);
    later();
    await loginAs(u);
  });

  it('per address: failures under many names block the address, not the users', async () => {
    const u = await newUser();
    const ip = u.ip;
    for (let i = 0; i < 4; i++) await refusal(loginAs(u, { username: `spray${n}x${i}`, ip }));
    expect(await refusal(loginAs(u, { ip }))).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', details: { retryAfterSeconds: 1 } });
    // the user is not blocked from elsewhere
    await loginAs(u, { ip: '10.250.0.1' });
  });

  it('parallel guesses cannot slip through one open window: 4 are checked, the rest refused unchecked', async () => {
    const u = await newUser();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => loginAs(u, { password: `parallel guess ${i}`, ip: `10.6.${n}.${i}` })),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as WalletError).code : 'OK'));
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(4);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(6);
  });

  it('after 10 consecutive failures the user is locked for 30 minutes or until an admin unlocks it', async () => {
    const u = await newUser();
    const fail10 = async () => {
      for (let i = 0; i < 10; i++) {
        expect(await refusal(loginAs(u, { password: 'not it at all!', ip: `10.7.${n}.${i}` }))).toMatchObject(invalidCredentials);
        later(); // past every delay before the lock
      }
      now -= 60_000;
    };
    await fail10();
    const row = await db('console_users').where({ id: u.id }).first();
    expect(row).toMatchObject({ failed_logins: 10, locked_until: new Date(now + 1_800_000) });
    expect((await auth.getUser(u.id)).lockedUntil).toEqual(new Date(now + 1_800_000));

    later(15 * 60_000);
    const locked = await refusal(loginAs(u, { ip: '10.7.99.1' }));
    expect(locked).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', details: { retryAfterSeconds: 900 } });
    expect(await lastFailureReason(u.username)).toBe('locked');

    const unlocked = await auth.unlock({ userId: u.id, actor: 'user:boss' });
    expect(unlocked).toMatchObject({ failedLogins: 0, lockedUntil: null });
    expect((await auditOf({ subject: u.username, action: 'user_unlocked' })).at(-1)).toMatchObject({
      actor: 'user:boss',
      details: { userId: u.id, failedLogins: 10 },
    });
    await loginAs(u, { ip: '10.7.99.2' });

    // locked again; this time it simply waits out the 30 minutes
    later();
    await fail10();
    expect(await refusal(loginAs(u, { ip: '10.7.99.3' }))).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    now += 1_800_000;
    await loginAs(u, { ip: '10.7.99.4' });
  });

  it('an unknown name is locked after 10 failures exactly like a real one (no enumeration)', async () => {
    const real = await newUser();
    const ghost = { ...real, username: `ghost${n}` };
    const answers: unknown[] = [];
    for (const who of [real, ghost]) {
      for (let i = 0; i < 10; i++) {
        await refusal(loginAs(who, { password: 'guessing away!!', ip: `10.8.${n}.${i}` }));
        later();
      }
      now -= 60_000;
      const e = await refusal(loginAs(who, { ip: `10.8.${n}.99` }));
      answers.push({ code: e.code, details: e.details, message: e.message });
      later();
    }
    expect(answers[0]).toEqual({ code: 'TOO_MANY_ATTEMPTS', details: { retryAfterSeconds: 1800 }, message: expect.any(String) });
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('sessions', () => {
  it('idle expiry: each use keeps it alive; 15 minutes unused ends it', async () => {
    const u = await newUser();
    const { token } = await loginAs(u);
    now += 14 * 60_000;
    await auth.session(token);
    now += 14 * 60_000;
    await auth.session(token);
    now += idleMs;
    expect(await refusal(auth.session(token))).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'session_expired', expiry: 'idle' },
    });
  });

  it('absolute expiry: 8 hours after login it ends however busy it is', async () => {
    const u = await newUser();
    const { token, expiresAt } = await loginAs(u);
    while (now + 10 * 60_000 < expiresAt.getTime()) {
      now += 10 * 60_000;
      await auth.session(token);
    }
    now = expiresAt.getTime();
    expect(await refusal(auth.session(token))).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'session_expired', expiry: 'absolute' },
    });
  });

  it("a disabled user's sessions die at once (revoked, and refused even if a row were left live)", async () => {
    const u = await newUser();
    const a = await loginAs(u);
    await auth.disableUser({ userId: u.id, actor: 'user:boss' });
    expect(await refusal(auth.session(a.token))).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'session_revoked' } });
    expect((await auditOf({ subject: u.username, action: 'user_disabled' })).at(-1)).toMatchObject({
      actor: 'user:boss',
      details: { revokedSessions: 1 },
    });
    // the status alone ends a session too
    await auth.enableUser({ userId: u.id, actor: 'user:boss' });
    later();
    const b = await loginAs(u);
    await db('console_users').where({ id: u.id }).update({ status: 'disabled' });
    expect(await refusal(auth.session(b.token))).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'user_disabled' } });
  });

  it('an unknown or malformed token is no session', async () => {
    expect(await refusal(auth.session(undefined))).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'no_session' } });
    expect(await refusal(auth.session('x'.repeat(43)))).toMatchObject({ details: { reason: 'no_session' } });
    expect(await refusal(auth.session("' OR 1=1 --"))).toMatchObject({ details: { reason: 'no_session' } });
  });

  it('logout ends the session, is audited, and is done once', async () => {
    const u = await newUser();
    const { token, sessionId } = await loginAs(u);
    expect(await auth.logout(token)).toBe(true);
    expect(await refusal(auth.session(token))).toMatchObject({ details: { reason: 'session_revoked' } });
    expect(await auth.logout(token)).toBe(false);
    expect(await auditOf({ subject: u.username, action: 'logout' })).toEqual([
      expect.objectContaining({ actor: `user:${u.username}`, details: { sessionId } }),
    ]);
  });

  it('CSRF: the session token passes; a wrong or missing one is FORBIDDEN', async () => {
    const u = await newUser();
    const session = await auth.session((await loginAs(u)).token);
    expect(() => auth.checkCsrf(session, session.csrfToken)).not.toThrow();
    for (const bad of [undefined, null, '', `${session.csrfToken.slice(0, -1)}A`, session.csrfToken.slice(1), 'x']) {
      let error: unknown;
      try {
        auth.checkCsrf(session, bad);
      } catch (e) {
        error = e;
      }
      expect(error, String(bad)).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'csrf' } });
      expect((error as WalletError).httpStatus).toBe(403);
    }
  });

  it('roles: requireRole refuses another role; a role change applies to live sessions at once', async () => {
    const u = await newUser('auditor');
    const { token } = await loginAs(u);
    const before = await auth.session(token);
    expect(() => auth.requireRole(before, 'auditor')).not.toThrow();
    expect(() => auth.requireRole(before, 'admin')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', details: { reason: 'role', required: 'admin' } }),
    );
    await auth.setRole({ userId: u.id, role: 'admin', actor: 'user:boss' });
    expect((await auth.session(token)).user.role).toBe('admin');
    expect((await auditOf({ subject: u.username, action: 'role_changed' })).at(-1)).toMatchObject({
      details: { from: 'auditor', to: 'admin' },
    });
  });
});

describe('user administration', () => {
  it('createUser: a generated password and TOTP secret, shown once; names unique whatever their case', async () => {
    const created = await auth.createUser({ username: 'Carol.Admin', role: 'admin', createdBy: 'walletctl:root' });
    expect(created.user).toMatchObject({ username: 'carol.admin', role: 'admin', status: 'active', createdBy: 'walletctl:root' });
    expect(created.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(created.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(created.otpauthUri).toBe(
      `otpauth://totp/Wallet%20console:carol.admin?secret=${created.totpSecret}&issuer=Wallet%20console&algorithm=SHA1&digits=6&period=30`,
    );
    const row = await db('console_users').where({ id: created.user.id }).first();
    expect(row.password_hash).not.toContain(created.password);
    expect(await auditOf({ subject: 'carol.admin', action: 'user_created' })).toEqual([
      expect.objectContaining({ actor: 'walletctl:root', details: { userId: created.user.id, role: 'admin' } }),
    ]);
    await expect(auth.createUser({ username: 'CAROL.admin', role: 'auditor', createdBy: 'x' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'username_taken' },
    });
    await expect(auth.createUser({ username: 'bad name', role: 'auditor', createdBy: 'x' })).rejects.toMatchObject({
      details: { reason: 'bad_username' },
    });
    await expect(auth.createUser({ username: 'x'.repeat(65), role: 'auditor', createdBy: 'x' })).rejects.toMatchObject({
      details: { reason: 'bad_username' },
    });
    await expect(auth.createUser({ username: 'dave', role: 'root' as ConsoleRole, createdBy: 'x' })).rejects.toMatchObject({
      details: { reason: 'bad_role' },
    });
    await expect(auth.createUser({ username: 'dave', role: 'auditor', createdBy: 'x', password: 'short' })).rejects.toMatchObject({
      details: { reason: 'password_too_short' },
    });
    const given = await auth.createUser({ username: 'dave', role: 'auditor', createdBy: 'x', password: 'a long chosen passphrase' });
    expect(given.password).toBe('a long chosen passphrase');
    expect((await auth.listUsers()).map((x) => x.username)).toEqual(expect.arrayContaining(['carol.admin', 'dave']));
  });

  it('resetPassword: new password and TOTP secret, the old ones dead, sessions ended', async () => {
    const u = await newUser();
    const { token } = await loginAs(u);
    const reset = await auth.resetPassword({ userId: u.id, actor: 'user:boss' });
    expect(reset.password).not.toBe(u.password);
    expect(reset.totpSecret).not.toBe(u.totpSecret);
    expect(await refusal(auth.session(token))).toMatchObject({ details: { reason: 'session_revoked' } });
    later();
    expect(await refusal(loginAs(u))).toMatchObject(invalidCredentials);
    expect(await refusal(loginAs({ ...u, password: reset.password }))).toMatchObject(invalidCredentials); // old TOTP secret
    await loginAs({ ...u, password: reset.password, totpSecret: reset.totpSecret });
    expect((await auditOf({ subject: u.username, action: 'password_reset' })).at(-1)).toMatchObject({
      actor: 'user:boss',
      details: { revokedSessions: 1 },
    });
  });

  it('a change that changes nothing writes nothing; an unknown user is NOT_FOUND', async () => {
    const u = await newUser();
    const before = (await auditOf({ subject: u.username })).length;
    await auth.enableUser({ userId: u.id, actor: 'user:boss' });
    await auth.setRole({ userId: u.id, role: 'auditor', actor: 'user:boss' });
    expect(await auditOf({ subject: u.username })).toHaveLength(before);
    await expect(auth.disableUser({ userId: 'cu_nope', actor: 'user:boss' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the audit entry and the change it records are one transaction', () => {
  it('the entry is written inside the transaction that makes the change, before anyone else can see it', async () => {
    const u = await newUser();
    expect(seenFromOutside['user_created']).toEqual({ inside: true, outside: false });
    await loginAs(u);
    expect(seenFromOutside['login']).toEqual({ inside: true, outside: false });
  });

  it('when the audit log refuses, nothing happens: no user, no session, no status change, no logout', async () => {
    const u = await newUser();
    auditFails = true;
    await expect(auth.createUser({ username: `unaudited${n}`, role: 'admin', createdBy: 'x' })).rejects.toThrow('audit log unavailable');
    expect(
      await db('console_users')
        .where({ username: `unaudited${n}` })
        .first(),
    ).toBeUndefined();

    await expect(loginAs(u)).rejects.toThrow('audit log unavailable');
    expect(await db('console_sessions').where({ user_id: u.id })).toHaveLength(0);
    expect(await db('console_users').where({ id: u.id }).first()).toMatchObject({ totp_last_step: null, last_login_at: null });

    await expect(auth.disableUser({ userId: u.id, actor: 'user:boss' })).rejects.toThrow('audit log unavailable');
    expect((await auth.getUser(u.id)).status).toBe('active');

    auditFails = false;
    const { token } = await loginAs(u);
    auditFails = true;
    await expect(auth.logout(token)).rejects.toThrow('audit log unavailable');
    auditFails = false;
    await auth.session(token);
  });
});
