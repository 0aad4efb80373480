import { randomBytes } from 'node:crypto';
import { type Db, type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { SealedColumns, SecretBox } from '@wallet/secret-box';

export type ClientKeyStatus = 'active' | 'disabled';

/** An API key of a client, without its secrets (those are shown once, when issued, and given only to the gateways). */
export type ClientKey = {
  readonly keyId: string;
  readonly clientId: string;
  /** Scope names, in the stored order (`read`, `transfer`, `withdraw`). */
  readonly scopes: readonly string[];
  /** Canonical CIDRs the key may be used from; empty: any source. */
  readonly allowedCidrs: readonly string[];
  readonly status: ClientKeyStatus;
  readonly createdAt: Date;
  /** When the secret a rotation replaced stops working; undefined when none is valid any more. */
  readonly previousSecretExpiresAt: Date | undefined;
};

/** What a new key may do: already validated and canonical (accountsrv parses operators' input with @wallet/client-auth). */
export type ClientKeyLimits = { readonly scopes: readonly string[]; readonly allowedCidrs: readonly string[] };

/** What the gateway needs to verify a key's signatures and limits. */
export type ClientCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly secret: string;
  /** The key and its client are both active. */
  readonly active: boolean;
  readonly scopes: readonly string[];
  readonly allowedCidrs: readonly string[];
  /** The secret before the last rotation, still accepted until {@link previousSecretExpiresAt}. */
  readonly previousSecret?: string;
  readonly previousSecretExpiresAt?: Date;
};

type KeyRow = {
  key_id: string;
  client_id: string;
  /** Plaintext: empty since 0039, except a row an older version wrote (sealed at the next start). */
  secret: string | null;
  previous_secret: string | null;
  /** The secrets, sealed for {@link secretContext}. */
  secret_box: string | null;
  previous_secret_box: string | null;
  previous_secret_expires_at: Date | null;
  scopes: string;
  allowed_cidrs: string;
  status: ClientKeyStatus;
  created_at: Date;
};

/** What a key's secrets are sealed for: the associated data that binds them to their row. */
const secretContext = (keyId: string): string => `client_keys:${keyId}`;

/** Where client_keys keeps sealed secrets, for accountsrv's start-up pass (prepareSealedColumns). */
export const clientKeySecrets: SealedColumns = {
  table: 'client_keys',
  primaryKey: ['key_id'],
  columns: [
    { sealed: 'secret_box', plaintext: 'secret' },
    { sealed: 'previous_secret_box', plaintext: 'previous_secret' },
  ],
  context: (row) => secretContext(String(row['key_id'])),
};

/** The longest overlap a rotation may give the old secret. */
export const maxSecretOverlapMs = 30 * 24 * 3600 * 1000;

/** A fresh secret: 256 bits from the OS CSPRNG, URL-safe so it survives shells and config files. */
const newSecret = (): string => randomBytes(32).toString('base64url');
const newKeyId = (): string => `key_${randomBytes(12).toString('hex')}`;
const list = (text: string): string[] => (text === '' ? [] : text.split(','));

// The previous secret is reported only while MySQL's clock says it is valid (it set the expiry).
const previousValid = (db: Knex) => db.raw('k.previous_secret_expires_at > CURRENT_TIMESTAMP(3) AS previous_valid');

type KeyRowWithValidity = KeyRow & { previous_valid: number | null };

function fromRow(r: KeyRowWithValidity): ClientKey {
  return {
    keyId: r.key_id,
    clientId: r.client_id,
    scopes: list(r.scopes),
    allowedCidrs: list(r.allowed_cidrs),
    status: r.status,
    createdAt: r.created_at,
    previousSecretExpiresAt:
      Number(r.previous_valid) === 1 && r.previous_secret_expires_at !== null ? r.previous_secret_expires_at : undefined,
  };
}

async function readKey(db: Knex, keyId: string): Promise<ClientKey> {
  const row = await db<KeyRow>('client_keys as k').where('k.key_id', keyId).first<KeyRowWithValidity | undefined>('k.*', previousValid(db));
  if (!row) throw new WalletError('NOT_FOUND', 'no such key');
  return fromRow(row);
}

/**
 * Issues a key inside the caller's transaction (the client's first key is created with the client).
 * @returns the key and its secret (shown once)
 */
export async function insertClientKey(
  trx: Knex,
  box: SecretBox,
  clientId: string,
  limits: ClientKeyLimits,
): Promise<{ key: ClientKey; secret: string }> {
  if (limits.scopes.length === 0)
    throw new WalletError('VALIDATION_FAILED', 'a key needs at least one scope', { details: { field: 'scopes' } });
  const secret = newSecret();
  for (;;) {
    const keyId = newKeyId();
    const row = {
      key_id: keyId,
      client_id: clientId,
      secret_box: box.seal(secret, secretContext(keyId)),
      scopes: limits.scopes.join(','),
      allowed_cidrs: limits.allowedCidrs.join(','),
      status: 'active' as const,
    };
    try {
      await trx('client_keys').insert(row);
      return { key: await readKey(trx, row.key_id), secret };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // a key id collision: draw again
    }
  }
}

/**
 * Issues another API key for a client, with its own secret, scopes and allow-list. One transaction.
 * @param limits scopes (at least one) and allowed CIDRs (empty: any source), validated and canonical
 * @returns the key and its secret (shown once, here)
 * @throws WalletError NOT_FOUND (no such client), VALIDATION_FAILED (no scope)
 */
export async function createClientKey(
  db: Db,
  box: SecretBox,
  clientId: string,
  limits: ClientKeyLimits,
): Promise<{ key: ClientKey; secret: string }> {
  return withTransaction(db, async (trx) => {
    const client = await trx('clients').where({ id: clientId }).forShare().first<{ id: string } | undefined>('id');
    if (!client) throw new WalletError('NOT_FOUND', 'no such client');
    return insertClientKey(trx, box, clientId, limits);
  });
}

/**
 * A client's keys, oldest first (never their secrets).
 * @throws WalletError NOT_FOUND (no such client)
 */
export async function listClientKeys(db: Db, clientId: string): Promise<ClientKey[]> {
  const client = await db('clients').where({ id: clientId }).first<{ id: string } | undefined>('id');
  if (!client) throw new WalletError('NOT_FOUND', 'no such client');
  const rows = await db<KeyRow>('client_keys as k')
    .where('k.client_id', clientId)
    .orderBy([{ column: 'k.created_at' }, { column: 'k.key_id' }])
    .select<KeyRowWithValidity[]>('k.*', previousValid(db));
  return rows.map(fromRow);
}

/** The ids of a client's keys (to tell the gateways when the client's status changes). */
export async function clientKeyIds(db: Db, clientId: string): Promise<string[]> {
  return db('client_keys').where({ client_id: clientId }).orderBy('created_at').pluck('key_id');
}

/**
 * Disables or enables one key: a disabled key is refused on every gateway once they are told (accountsrv announces it).
 * @throws WalletError NOT_FOUND
 */
export async function setClientKeyStatus(db: Db, keyId: string, status: ClientKeyStatus): Promise<ClientKey> {
  await db('client_keys').where({ key_id: keyId }).update({ status });
  return readKey(db, keyId);
}

/**
 * Issues a new secret for a key. The current one becomes the previous secret, accepted for `overlapMs` more (MySQL's
 * clock), so the exchange can move its signers over; 0 retires it at once. A secret still overlapping from an earlier
 * rotation is dropped (only one previous secret is kept). One transaction.
 * @param overlapMs 0 to {@link maxSecretOverlapMs}
 * @returns the key, its new secret (shown once) and when the old one stops working (undefined: now)
 * @throws WalletError NOT_FOUND, VALIDATION_FAILED (overlap out of range)
 */
export async function rotateClientKey(
  db: Db,
  box: SecretBox,
  keyId: string,
  overlapMs: number,
): Promise<{ key: ClientKey; secret: string; previousSecretExpiresAt: Date | undefined }> {
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > maxSecretOverlapMs) {
    throw new WalletError('VALIDATION_FAILED', `overlap must be 0 to ${maxSecretOverlapMs} ms`, { details: { field: 'overlapMs' } });
  }
  const secret = newSecret();
  const key = await withTransaction(db, async (trx) => {
    const current = await trx<KeyRow>('client_keys').where({ key_id: keyId }).forUpdate().first();
    if (!current) throw new WalletError('NOT_FOUND', 'no such key');
    const context = secretContext(keyId);
    // The current secret moves as it is sealed (same row, same context); one an older version left in plaintext is sealed.
    const previousBox = current.secret_box ?? (current.secret === null ? null : box.seal(current.secret, context));
    await trx('client_keys')
      .where({ key_id: keyId })
      .update({
        secret: null,
        secret_box: box.seal(secret, context),
        previous_secret: null,
        ...(overlapMs === 0
          ? { previous_secret_box: null, previous_secret_expires_at: null }
          : {
              previous_secret_box: previousBox,
              previous_secret_expires_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [overlapMs * 1000]),
            }),
      });
    return readKey(trx, keyId);
  });
  return { key, secret, previousSecretExpiresAt: key.previousSecretExpiresAt };
}

/**
 * The secrets and limits behind an API key id, for the gateway's checks (a previous secret only while it is valid).
 * `active` is the key's status and its client's together.
 * @throws WalletError SECRET_UNREADABLE when a secret does not open (its KEK is not loaded, it was altered or copied
 * from another row, or it is not sealed): plaintext is never accepted, so a row written past accountsrv cannot plant
 * a secret
 */
export async function clientCredentials(db: Db, box: SecretBox, keyId: string): Promise<ClientCredentials | undefined> {
  const row = await db('client_keys as k')
    .join('clients as c', 'c.id', 'k.client_id')
    .where('k.key_id', keyId)
    .first<(KeyRowWithValidity & { client_status: string }) | undefined>('k.*', 'c.status as client_status', previousValid(db));
  if (!row) return undefined;
  const context = secretContext(row.key_id);
  const previous =
    row.previous_secret_box !== null && row.previous_secret_expires_at !== null && Number(row.previous_valid) === 1
      ? { previousSecret: box.open(row.previous_secret_box, context), previousSecretExpiresAt: row.previous_secret_expires_at }
      : {};
  return {
    clientId: row.client_id,
    keyId: row.key_id,
    secret: box.open(row.secret_box ?? '', context),
    active: row.status === 'active' && row.client_status === 'active',
    scopes: list(row.scopes),
    allowedCidrs: list(row.allowed_cidrs),
    ...previous,
  };
}
