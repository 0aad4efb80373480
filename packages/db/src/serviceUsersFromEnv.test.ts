import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { serviceUsersFromEnv } from './serviceUsersFromEnv.js';

const all = { MYSQL_ACCOUNTSRV_PASSWORD: 'a', MYSQL_TRANSRV_PASSWORD: 't', MYSQL_SIGNSRV_PASSWORD: 's', MYSQL_GATESRV_PASSWORD: 'g' };

describe('serviceUsersFromEnv', () => {
  it('reads each password from its file (trimmed) or variable, users default to wallet_<service>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-'));
    writeFileSync(join(dir, 'mysql-signsrv'), 'from-file\n');
    const users = serviceUsersFromEnv({ ...all, MYSQL_SIGNSRV_PASSWORD_FILE: join(dir, 'mysql-signsrv'), MYSQL_TRANSRV_USER: 'tr_1' });
    expect(users).toEqual({
      accountsrv: { user: 'wallet_accountsrv', password: 'a' },
      transrv: { user: 'tr_1', password: 't' },
      signsrv: { user: 'wallet_signsrv', password: 'from-file' },
      gatesrv: { user: 'wallet_gatesrv', password: 'g' },
    });
  });

  it('names the variable of a missing password or an unreadable file', () => {
    const missing = () => serviceUsersFromEnv({ ...all, MYSQL_SIGNSRV_PASSWORD: '' });
    expect(missing).toThrow(expect.objectContaining({ details: { variable: 'MYSQL_SIGNSRV_PASSWORD_FILE' } }));
    try {
      serviceUsersFromEnv({ ...all, MYSQL_GATESRV_PASSWORD_FILE: '/nonexistent/mysql-gatesrv' });
      expect.unreachable();
    } catch (error) {
      expect(isWalletError(error, 'CONFIG_INVALID') && error.details['variable']).toBe('MYSQL_GATESRV_PASSWORD_FILE');
    }
  });
});
