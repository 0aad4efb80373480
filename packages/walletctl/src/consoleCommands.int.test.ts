import { ConsoleAuth, totpCode } from '@wallet/console-auth';
import { type Db, type Knex } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsoleCommand } from './consoleCommands.js';
import { runWalletctl } from './walletctl.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let url: string;
let drop: () => Promise<void>;
const entries: { inTransaction: boolean; actor: string; action: string; subject: string | null | undefined }[] = [];
const audit = async (trx: Knex.Transaction, entry: { actor: string; action: string; subject?: string | null }) => {
  entries.push({ inTransaction: trx.isTransaction === true, actor: entry.actor, action: entry.action, subject: entry.subject });
};

beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
});
afterAll(async () => drop());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('walletctl console create-admin', () => {
  it('creates an admin whose printed password and TOTP secret log in to the console, audited in the transaction', async () => {
    const { io, out } = capture();
    const code = await runConsoleCommand('create-admin', { username: 'Root.Admin', json: true }, io, { db, audit, actor: 'walletctl:ops' });
    expect(code).toBe(0);
    const printed = JSON.parse(out.join('\n')) as {
      userId: string;
      username: string;
      role: string;
      password: string;
      totpSecret: string;
      otpauthUri: string;
    };
    expect(printed).toMatchObject({ username: 'root.admin', role: 'admin' });
    expect(printed.otpauthUri).toContain(`secret=${printed.totpSecret}`);
    expect(entries).toEqual([{ inTransaction: true, actor: 'walletctl:ops', action: 'user_created', subject: 'root.admin' }]);

    const auth = new ConsoleAuth({ db, log: createLogger('t', { level: 'silent' }), audit });
    const login = await auth.login({
      username: 'root.admin',
      password: printed.password,
      totp: totpCode(printed.totpSecret, Date.now()),
      ip: '127.0.0.1',
      userAgent: 'vitest',
    });
    expect(login.user).toMatchObject({ id: printed.userId, role: 'admin' });
  });

  it('prints the credentials for a person without --json', async () => {
    const { io, out } = capture();
    await runConsoleCommand('create-admin', { username: 'second', json: false }, io, { db, audit, actor: 'walletctl:ops' });
    expect(out[0]).toMatch(/^console admin {2}second \(cu_/);
    expect(out[1]).toMatch(/^password {7}[A-Za-z0-9]{20}$/);
    expect(out[2]).toMatch(/^TOTP secret {4}[A-Z2-7]{32}$/);
    expect(out[3]).toMatch(/^otpauth URI {4}otpauth:\/\/totp\//);
  });

  it('refuses an existing username (never resets anyone), a missing one, and unknown actions', async () => {
    const { io, err } = capture();
    await expect(
      runConsoleCommand('create-admin', { username: 'ROOT.admin', json: false }, io, { db, audit, actor: 'x' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'username_taken' },
    });
    await expect(
      runConsoleCommand('create-admin', { username: undefined, json: false }, io, { db, audit, actor: 'x' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await runConsoleCommand('delete-everyone', { username: 'x', json: false }, io, { db, audit, actor: 'x' })).toBe(2);
    expect(err).toEqual(['unknown command: console delete-everyone']);
    expect(await db('console_users').count({ n: '*' }).first()).toEqual({ n: '2' });
  });

  it('through walletctl: written to the hash-chained audit log with the user', async () => {
    const { io, out } = capture();
    const code = await runWalletctl(['console', 'create-admin', '--username', 'via.cli', '--json'], io, { ...process.env, MYSQL_URL: url });
    expect(code).toBe(0);
    const printed = JSON.parse(out.join('\n')) as { userId: string };
    const row = (await db('audit_log').where({ action: 'user_created', subject: 'via.cli' }).first()) as { actor: string; details: string };
    expect(row).toMatchObject({ actor: expect.stringMatching(/^walletctl:/) });
    expect(JSON.parse(row.details)).toEqual({ role: 'admin', userId: printed.userId });
  });
});
