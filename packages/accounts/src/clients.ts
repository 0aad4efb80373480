import { randomBytes } from 'node:crypto';
import { type Db, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import type { SecretBox } from '@wallet/secret-box';
import { type ClientKey, type ClientKeyLimits, insertClientKey, rotateClientKey } from './clientKeys.js';

export type ClientStatus = 'active' | 'disabled';

export type Client = {
  readonly id: string;
  readonly name: string;
  /** The key the client was created with (it may have more: listClientKeys). */
  readonly keyId: string;
  readonly status: ClientStatus;
  readonly createdAt: Date;
};

type ClientRow = {
  id: string;
  name: string;
  key_id: string;
  status: ClientStatus;
  created_at: Date;
};

/** What a client's first key may do: everything a client could do before keys had scopes, from anywhere. */
export const firstKeyLimits: ClientKeyLimits = { scopes: ['read', 'transfer', 'withdraw'], allowedCidrs: [] };

const fromRow = (r: ClientRow): Client => ({ id: r.id, name: r.name, keyId: r.key_id, status: r.status, createdAt: r.created_at });

/**
 * Creates a client (an exchange) and its first API key, with every scope and no allow-list, in one transaction. The
 * key's secret is returned once, here.
 * @param name 1-100 printable characters, for operators
 */
export async function createClient(db: Db, box: SecretBox, name: string): Promise<{ client: Client; key: ClientKey; secret: string }> {
  const trimmed = name.trim();
  if (!/^[\x20-\x7e]{1,100}$/.test(trimmed)) throw new WalletError('VALIDATION_FAILED', 'name must be 1-100 printable characters');
  return withTransaction(db, async (trx) => {
    const id = newId('cl');
    // The key row references the client, and the client names its first key: the client goes first with a
    // placeholder key id (unique, never an API key: not in client_keys), then takes the key's id.
    const placeholder = `pending_${randomBytes(12).toString('hex')}`;
    await trx('clients').insert({ id, name: trimmed, key_id: placeholder, status: 'active' });
    const { key, secret } = await insertClientKey(trx, box, id, firstKeyLimits);
    await trx('clients').where({ id }).update({ key_id: key.keyId });
    const row = (await trx<ClientRow>('clients').where({ id }).first())!;
    return { client: fromRow(row), key, secret };
  }).catch((error: unknown) => {
    // A client id collision (ids are random): the caller may simply try again.
    if (isDuplicateKey(error)) throw new WalletError('CONFLICT', 'client id collision; try again', { cause: error });
    throw error;
  });
}

export async function listClients(db: Db): Promise<Client[]> {
  return (await db<ClientRow>('clients').orderBy('created_at').select('id', 'name', 'key_id', 'status', 'created_at')).map(fromRow);
}

/**
 * Disables a client: the gateways refuse every key of it (once told, see accountsrv) and signsrv signs none of its
 * withdrawals until it is enabled again.
 * @throws WalletError NOT_FOUND
 */
export function disableClient(db: Db, clientId: string): Promise<Client> {
  return setClientStatus(db, clientId, 'disabled');
}

/**
 * Enables a disabled client again (its active keys and any withdrawal held for signing work again).
 * @throws WalletError NOT_FOUND
 */
export function enableClient(db: Db, clientId: string): Promise<Client> {
  return setClientStatus(db, clientId, 'active');
}

async function setClientStatus(db: Db, clientId: string, status: ClientStatus): Promise<Client> {
  await db('clients').where({ id: clientId }).update({ status });
  const row = await db<ClientRow>('clients').where({ id: clientId }).first('id', 'name', 'key_id', 'status', 'created_at');
  if (!row) throw new WalletError('NOT_FOUND', 'no such client');
  return fromRow(row);
}

/**
 * Issues a new secret for the key a client was created with (`walletctl clients rotate`; other keys rotate by key id,
 * rotateClientKey). The old secret keeps working for `overlapMs` (see rotateClientKey).
 * @returns the client, the new secret (shown once) and when the old one stops working (undefined: now)
 * @throws WalletError NOT_FOUND, VALIDATION_FAILED (overlap out of range)
 */
export async function rotateClientSecret(
  db: Db,
  box: SecretBox,
  clientId: string,
  overlapMs: number,
): Promise<{ client: Client; secret: string; previousSecretExpiresAt: Date | undefined }> {
  const row = await db<ClientRow>('clients').where({ id: clientId }).first('id', 'name', 'key_id', 'status', 'created_at');
  if (!row) throw new WalletError('NOT_FOUND', 'no such client');
  const { secret, previousSecretExpiresAt } = await rotateClientKey(db, box, row.key_id, overlapMs);
  return { client: fromRow(row), secret, previousSecretExpiresAt };
}
