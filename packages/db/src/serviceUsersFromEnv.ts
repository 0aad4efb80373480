import { readFileSync } from 'node:fs';
import { WalletError } from '@wallet/errors';
import type { ServiceUser } from './applyGrants.js';
import { type DbService, dbServices } from './ownership.js';

/**
 * The services' MySQL accounts as `pnpm db:grants` is told them: for each service, `MYSQL_<SERVICE>_USER` (default
 * `wallet_<service>`) and its password in `MYSQL_<SERVICE>_PASSWORD` or, better, in the file named by
 * `MYSQL_<SERVICE>_PASSWORD_FILE` (trimmed; the local stack generates them in `.stack/secrets/mysql-<service>`).
 * @throws WalletError CONFIG_INVALID naming the variable when a password is missing or empty
 */
export function serviceUsersFromEnv(env: NodeJS.ProcessEnv = process.env): Record<DbService, ServiceUser> {
  const users = {} as Record<DbService, ServiceUser>;
  for (const service of dbServices) {
    const prefix = `MYSQL_${service.toUpperCase()}`;
    const file = env[`${prefix}_PASSWORD_FILE`];
    let password = env[`${prefix}_PASSWORD`] ?? '';
    if (file !== undefined && file !== '') {
      try {
        password = readFileSync(file, 'utf8').trim();
      } catch (error) {
        throw new WalletError('CONFIG_INVALID', `${prefix}_PASSWORD_FILE: cannot read ${file}`, {
          details: { variable: `${prefix}_PASSWORD_FILE` },
          cause: error,
        });
      }
    }
    if (password === '') {
      throw new WalletError('CONFIG_INVALID', `${prefix}_PASSWORD_FILE (or ${prefix}_PASSWORD) must give ${service}'s MySQL password`, {
        details: { variable: `${prefix}_PASSWORD_FILE` },
      });
    }
    const user = env[`${prefix}_USER`] || `wallet_${service}`;
    users[service] = { user, password };
  }
  return users;
}
