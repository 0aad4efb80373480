import { randomBytes } from 'node:crypto';
import { type Db, isDuplicateKey, withTransaction } from '@wallet/db';
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

type ClientRow = {
  id: string;
  name: string;
  key_id: string;
  secret: string;
  status: ClientStatus;
  created_at: Date;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
};

/** What the gateway needs to verify a client's signatures. */
export type ClientCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly secret: string;
  readonly active: boolean;
  /** The secret before the last rotation, still accepted until {@link previousSecretExpiresAt}. */
  readonly previousSecret?: string;
  readonly previousSecretExpiresAt?: Date;
};

/** The longest overlap a rotation may give the old secret. */
export const maxSecretOverlapMs = 30 * 24 * 3600 * 1000;

/** A fresh secret: 256 bits from the OS CSPRNG, URL-safe so it survives shells and config files. */
const newSecret = (): string => randomBytes(32).toString('base64url');

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
      secret: newSecret(),
      status: 'active',
      created_at: new Date(),
      previous_secret: null,
      previous_secret_expires_at: null,
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

/**
 * Disables a client: the gateways refuse its key (once told, see accountsrv) and signsrv signs none of its
 * withdrawals until it is enabled again.
 * @throws WalletError NOT_FOUND
 */
export function disableClient(db: Db, clientId: string): Promise<Client> {
  return setClientStatus(db, clientId, 'disabled');
}

/**
 * Enables a disabled client again (its key and any withdrawal held for signing work again).
 * @throws WalletError NOT_FOUND
 */
export function enableClient(db: Db, clientId: string): Promise<Client> {
  return setClientStatus(db, clientId, 'active');
}

async function setClientStatus(db: Db, clientId: string, status: ClientStatus): Promise<Client> {
  await db('clients').where({ id: clientId }).update({ status });
  const row = await db<ClientRow>('clients').where({ id: clientId }).first();
  if (!row) throw new WalletError('NOT_FOUND', 'no such client');
  return fromRow(row);
}

/**
 * Issues a new secret for a client. The current one becomes the previous secret, accepted for `overlapMs` more
 * (MySQL's clock), so the exchange can move its signers over; 0 retires it at once. A secret still overlapping from
 * an earlier rotation is dropped (only one previous secret is kept). One transaction.
 * @param overlapMs 0 to {@link maxSecretOverlapMs}
 * @returns the client and its new secret (shown once) and when the old one stops working (undefined: now)
 * @throws WalletError NOT_FOUND, VALIDATION_FAILED (overlap out of range)
 */
export async function rotateClientSecret(
  db: Db,
  clientId: string,
  overlapMs: number,
): Promise<{ client: Client; secret: string; previousSecretExpiresAt: Date | undefined }> {
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > maxSecretOverlapMs) {
    throw new WalletError('VALIDATION_FAILED', `overlap must be 0 to ${maxSecretOverlapMs} ms`, { details: { field: 'overlapMs' } });
  }
  const secret = newSecret();
  const row = await withTransaction(db, async (trx) => {
    const current = await trx<ClientRow>('clients').where({ id: clientId }).forUpdate().first();
    if (!current) throw new WalletError('NOT_FOUND', 'no such client');
    await trx('clients')
      .where({ id: clientId })
      .update(
        overlapMs === 0
          ? { secret, previous_secret: null, previous_secret_expires_at: null }
          : {
              secret,
              previous_secret: current.secret,
              previous_secret_expires_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [overlapMs * 1000]),
            },
      );
    return (await trx<ClientRow>('clients').where({ id: clientId }).first())!;
  });
  return { client: fromRow(row), secret, previousSecretExpiresAt: row.previous_secret_expires_at ?? undefined };
}

/** The secrets behind an API key id, for the gateway's signature check (a previous secret only while it is valid). */
export async function clientCredentials(db: Db, keyId: string): Promise<ClientCredentials | undefined> {
  const row = await db<ClientRow>('clients')
    .where({ key_id: keyId })
    .first<(ClientRow & { previous_valid: number | null }) | undefined>(
      '*',
      db.raw('previous_secret_expires_at > CURRENT_TIMESTAMP(3) AS previous_valid'),
    );
  if (!row) return undefined;
  // An expired previous secret is not handed out at all (MySQL's clock decides, as it set the expiry).
  const previous =
    row.previous_secret !== null && row.previous_secret_expires_at !== null && Number(row.previous_valid) === 1
      ? { previousSecret: row.previous_secret, previousSecretExpiresAt: row.previous_secret_expires_at }
      : {};
  return { clientId: row.id, keyId: row.key_id, secret: row.secret, active: row.status === 'active', ...previous };
}
