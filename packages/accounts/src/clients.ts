import { randomBytes } from 'node:crypto';
import { type Db, isDuplicateKey } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';

export type ClientStatus = 'active' | 'disabled';

export type Client = {
  readonly id: string;
  readonly name: string;
  readonly keyId: string;
  readonly status: ClientStatus;
  readonly createdAt: Date;
};

type ClientRow = { id: string; name: string; key_id: string; secret: string; status: ClientStatus; created_at: Date };

const fromRow = (r: ClientRow): Client => ({ id: r.id, name: r.name, keyId: r.key_id, status: r.status, createdAt: r.created_at });

/**
 * Creates a client (an exchange) with a fresh API key id and secret. The secret is returned once, here.
 * @param name 1-100 printable characters, for operators
 */
export async function createClient(db: Db, name: string): Promise<{ client: Client; secret: string }> {
  const trimmed = name.trim();
  if (!/^[\x20-\x7e]{1,100}$/.test(trimmed)) throw new WalletError('VALIDATION_FAILED', 'name must be 1-100 printable characters');
  for (;;) {
    const row: ClientRow = {
      id: newId('cl'),
      name: trimmed,
      key_id: `key_${randomBytes(12).toString('hex')}`,
      // 256 bits from the OS CSPRNG, URL-safe so it survives shells and config files.
      secret: randomBytes(32).toString('base64url'),
      status: 'active',
      created_at: new Date(),
    };
    try {
      await db('clients').insert(row);
      return { client: fromRow(row), secret: row.secret };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // a key id collision: draw again
    }
  }
}

export async function listClients(db: Db): Promise<Client[]> {
  return (await db<ClientRow>('clients').orderBy('created_at')).map(fromRow);
}

/** @throws WalletError NOT_FOUND */
export async function disableClient(db: Db, clientId: string): Promise<Client> {
  await db('clients').where({ id: clientId }).update({ status: 'disabled' });
  const row = await db<ClientRow>('clients').where({ id: clientId }).first();
  if (!row) throw new WalletError('NOT_FOUND', 'no such client');
  return fromRow(row);
}

/** The secret behind an API key id, for the gateway's signature check. */
export async function clientCredentials(
  db: Db,
  keyId: string,
): Promise<{ clientId: string; keyId: string; secret: string; active: boolean } | undefined> {
  const row = await db<ClientRow>('clients').where({ key_id: keyId }).first();
  return row ? { clientId: row.id, keyId: row.key_id, secret: row.secret, active: row.status === 'active' } : undefined;
}
