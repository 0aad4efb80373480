import { randomBytes } from 'node:crypto';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { SecretBox, prepareSealedColumns } from '@wallet/secret-box';
import { createTestDatabase } from '@wallet/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCredentials,
  clientKeyIds,
  clientKeySecrets,
  createClient,
  createClientKey,
  disableClient,
  enableClient,
  listClientKeys,
  rotateClientKey,
  rotateClientSecret,
  setClientKeyStatus,
} from './index.js';

// Clients and their API keys on the real MariaDB: the first key made with the client, more keys with their own
// scopes and allow-lists, disables (key and client), rotation with an overlap, and what the gateway is given.

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(() => drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kek = randomBytes(32);
const box = SecretBox.fromKeks([kek]);
const log = createLogger('test', { level: 'silent' });

describe('client keys', () => {
  it('a new client has one key with every scope from any source, and the gateway gets its secret', async () => {
    const { client, key, secret } = await createClient(db, box, 'Exchange A');
    expect(client.keyId).toBe(key.keyId);
    expect(key).toMatchObject({ clientId: client.id, scopes: ['read', 'transfer', 'withdraw'], allowedCidrs: [], status: 'active' });
    expect(await clientCredentials(db, box, key.keyId)).toEqual({
      clientId: client.id,
      keyId: key.keyId,
      secret,
      active: true,
      scopes: ['read', 'transfer', 'withdraw'],
      allowedCidrs: [],
    });
    expect((await db('clients').where({ id: client.id }).first<{ secret: string | null }>()).secret).toBeNull();
  });

  it('more keys per client, each with its own secret, scopes and allow-list, listed oldest first without secrets', async () => {
    const { client, key: first } = await createClient(db, box, 'Exchange B');
    const reporting = await createClientKey(db, box, client.id, { scopes: ['read'], allowedCidrs: [] });
    const payouts = await createClientKey(db, box, client.id, { scopes: ['withdraw'], allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'] });
    expect(new Set([first.keyId, reporting.key.keyId, payouts.key.keyId]).size).toBe(3);
    expect(reporting.secret).not.toBe(payouts.secret);
    const listed = await listClientKeys(db, client.id);
    expect(listed.map((k) => k.keyId)).toEqual([first.keyId, reporting.key.keyId, payouts.key.keyId]);
    expect(listed[2]).toMatchObject({ scopes: ['withdraw'], allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'] });
    expect(JSON.stringify(listed)).not.toContain(payouts.secret);
    expect(await clientKeyIds(db, client.id)).toEqual(listed.map((k) => k.keyId));
    expect(await clientCredentials(db, box, payouts.key.keyId)).toMatchObject({
      secret: payouts.secret,
      scopes: ['withdraw'],
      allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'],
    });
  });

  it('refuses a key for no client, or with no scope', async () => {
    await expect(createClientKey(db, box, 'cl_nope', { scopes: ['read'], allowedCidrs: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { client } = await createClient(db, box, 'Exchange C');
    await expect(createClientKey(db, box, client.id, { scopes: [], allowedCidrs: [] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(listClientKeys(db, 'cl_nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setClientKeyStatus(db, 'key_nope', 'disabled')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a disabled key or a disabled client is inactive for the gateway; the other keys are not touched by a key disable', async () => {
    const { client, key } = await createClient(db, box, 'Exchange D');
    const other = await createClientKey(db, box, client.id, { scopes: ['read'], allowedCidrs: [] });
    expect(await setClientKeyStatus(db, other.key.keyId, 'disabled')).toMatchObject({ status: 'disabled' });
    expect((await clientCredentials(db, box, other.key.keyId))?.active).toBe(false);
    expect((await clientCredentials(db, box, key.keyId))?.active).toBe(true);
    await disableClient(db, client.id);
    expect((await clientCredentials(db, box, key.keyId))?.active).toBe(false);
    await enableClient(db, client.id);
    expect((await clientCredentials(db, box, key.keyId))?.active).toBe(true);
    expect((await clientCredentials(db, box, other.key.keyId))?.active).toBe(false);
    await setClientKeyStatus(db, other.key.keyId, 'active');
    expect((await clientCredentials(db, box, other.key.keyId))?.active).toBe(true);
  });

  it('rotating a key keeps the old secret for the overlap only; clients rotate rotates the first key', async () => {
    const { client, key, secret: first } = await createClient(db, box, 'Exchange E');
    const extra = await createClientKey(db, box, client.id, { scopes: ['read'], allowedCidrs: [] });
    const rotated = await rotateClientKey(db, box, extra.key.keyId, 400);
    expect(rotated.secret).not.toBe(extra.secret);
    expect(rotated.key.previousSecretExpiresAt).toEqual(rotated.previousSecretExpiresAt);
    expect(await clientCredentials(db, box, extra.key.keyId)).toMatchObject({ secret: rotated.secret, previousSecret: extra.secret });
    await sleep(450);
    const after = await clientCredentials(db, box, extra.key.keyId);
    expect(after?.previousSecret).toBeUndefined();
    expect((await listClientKeys(db, client.id))[1]?.previousSecretExpiresAt).toBeUndefined();

    const byClient = await rotateClientSecret(db, box, client.id, 0);
    expect(byClient.previousSecretExpiresAt).toBeUndefined();
    expect(await clientCredentials(db, box, key.keyId)).toMatchObject({ secret: byClient.secret });
    expect((await clientCredentials(db, box, key.keyId))?.previousSecret).toBeUndefined();
    expect(byClient.secret).not.toBe(first);
    // The other key is untouched by the client's rotation.
    expect((await clientCredentials(db, box, extra.key.keyId))?.secret).toBe(rotated.secret);
    await expect(rotateClientKey(db, box, key.keyId, -1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(rotateClientKey(db, box, 'key_nope', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

type Row = {
  key_id: string;
  secret: string | null;
  previous_secret: string | null;
  secret_box: string | null;
  previous_secret_box: string | null;
};
const rowOf = (keyId: string): Promise<Row> =>
  db<Row>('client_keys')
    .where({ key_id: keyId })
    .first()
    .then((r) => r!);

describe('client key secrets at rest (issue 18)', () => {
  it('stores only sealed secrets: the plaintext columns stay empty and no column holds the secret', async () => {
    const { key, secret } = await createClient(db, box, 'Sealed A');
    const rotated = await rotateClientKey(db, box, key.keyId, 60_000);
    const row = await rowOf(key.keyId);
    expect(row).toMatchObject({ secret: null, previous_secret: null });
    expect(box.keyIdOf(row.secret_box!)).toBe(box.activeKeyId);
    for (const s of [secret, rotated.secret]) expect(JSON.stringify(row)).not.toContain(s);
    expect(await clientCredentials(db, box, key.keyId)).toMatchObject({ secret: rotated.secret, previousSecret: secret });
  });

  it('a secret copied onto another key does not open (SECRET_UNREADABLE), nor under another KEK; other keys still work', async () => {
    const a = await createClient(db, box, 'Sealed B');
    const b = await createClient(db, box, 'Sealed C');
    await db('client_keys')
      .where({ key_id: b.key.keyId })
      .update({ secret_box: (await rowOf(a.key.keyId)).secret_box });
    await expect(clientCredentials(db, box, b.key.keyId)).rejects.toMatchObject({
      code: 'SECRET_UNREADABLE',
      details: { reason: 'auth_failed' },
    });
    expect((await clientCredentials(db, box, a.key.keyId))?.secret).toBe(a.secret);
    await expect(clientCredentials(db, SecretBox.fromKeks([randomBytes(32)]), a.key.keyId)).rejects.toMatchObject({
      code: 'SECRET_UNREADABLE',
      details: { reason: 'unknown_key', keyId: box.activeKeyId },
    });
    // Plaintext written past accountsrv is not accepted as a secret.
    await db('client_keys').where({ key_id: b.key.keyId }).update({ secret_box: null, secret: 'planted' });
    await expect(clientCredentials(db, box, b.key.keyId)).rejects.toMatchObject({
      code: 'SECRET_UNREADABLE',
      details: { reason: 'malformed' },
    });
    await db('client_keys')
      .where({ key_id: b.key.keyId })
      .update({ secret: null, secret_box: (await rowOf(a.key.keyId)).secret_box });
  });

  it('the start-up pass seals plaintext rows, rewraps under a new key so the old one can go, and refuses a file without a needed key', async () => {
    const { db: own, drop: dropOwn } = await createTestDatabase();
    try {
      const [c1, c2] = [await createClient(own, box, 'Legacy 1'), await createClient(own, box, 'Legacy 2')];
      // As the table was before issue 18: plaintext, with a previous secret during an overlap.
      await own('client_keys')
        .where({ key_id: c1.key.keyId })
        .update({
          secret: 'legacy-1',
          secret_box: null,
          previous_secret: 'legacy-0',
          previous_secret_expires_at: own.raw('CURRENT_TIMESTAMP(3) + INTERVAL 1 HOUR'),
        });
      await own('client_keys').where({ key_id: c2.key.keyId }).update({ secret: 'legacy-2', secret_box: null });
      const [report] = await prepareSealedColumns(own, box, [clientKeySecrets], { variable: 'ACCOUNTSRV_SECRETS_KEK_FILE', log });
      expect(report).toEqual({ table: 'client_keys', sealed: 3, rewrapped: 0, unreadable: 0 });
      expect(await own('client_keys').whereNotNull('secret').orWhereNotNull('previous_secret').count({ n: '*' })).toEqual([{ n: '0' }]);
      expect(await clientCredentials(own, box, c1.key.keyId)).toMatchObject({ secret: 'legacy-1', previousSecret: 'legacy-0' });
      expect((await clientCredentials(own, box, c2.key.keyId))?.secret).toBe('legacy-2');
      // Run again (another instance, a restart): nothing left to do.
      expect((await prepareSealedColumns(own, box, [clientKeySecrets], { variable: 'V', log }))[0]).toMatchObject({
        sealed: 0,
        rewrapped: 0,
      });

      // Rotation: the new key first, the old one still listed; every value moves to the new key.
      const next = randomBytes(32);
      const rotating = SecretBox.fromKeks([next, kek]);
      const moved = await prepareSealedColumns(own, rotating, [clientKeySecrets], { variable: 'V', log });
      expect(moved[0]).toEqual({ table: 'client_keys', sealed: 0, rewrapped: 3, unreadable: 0 });
      const onlyNew = SecretBox.fromKeks([next]);
      await prepareSealedColumns(own, onlyNew, [clientKeySecrets], { variable: 'V', log });
      expect(await clientCredentials(own, onlyNew, c1.key.keyId)).toMatchObject({ secret: 'legacy-1', previousSecret: 'legacy-0' });

      // A file that lacks the key some value is sealed under refuses start, naming the variable, and changes nothing.
      const before = await own('client_keys').select('key_id', 'secret_box', 'previous_secret_box').orderBy('key_id');
      await expect(
        prepareSealedColumns(own, box, [clientKeySecrets], { variable: 'ACCOUNTSRV_SECRETS_KEK_FILE', log }),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        details: { variables: ['ACCOUNTSRV_SECRETS_KEK_FILE'], problem: 'missing_key', keyIds: [onlyNew.activeKeyId] },
      });
      expect(await own('client_keys').select('key_id', 'secret_box', 'previous_secret_box').orderBy('key_id')).toEqual(before);

      // A value copied onto another row is logged and left; the rest are rewrapped.
      await own('client_keys')
        .where({ key_id: c2.key.keyId })
        .update({ secret_box: (await rowOf2(own, c1.key.keyId)).secret_box });
      const third = SecretBox.fromKeks([randomBytes(32), next]);
      expect((await prepareSealedColumns(own, third, [clientKeySecrets], { variable: 'V', log }))[0]).toEqual({
        table: 'client_keys',
        sealed: 0,
        rewrapped: 2,
        unreadable: 1,
      });
      await expect(clientCredentials(own, third, c2.key.keyId)).rejects.toMatchObject({ code: 'SECRET_UNREADABLE' });
      expect((await clientCredentials(own, third, c1.key.keyId))?.secret).toBe('legacy-1');
    } finally {
      await dropOwn();
    }
  });
});

const rowOf2 = (d: Db, keyId: string): Promise<Row> =>
  d<Row>('client_keys')
    .where({ key_id: keyId })
    .first()
    .then((r) => r!);
