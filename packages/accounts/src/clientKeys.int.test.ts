import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCredentials,
  clientKeyIds,
  createClient,
  createClientKey,
  disableClient,
  enableClient,
  listClientKeys,
  rotateClientKey,
  rotateClientSecret,
  setClientKeyStatus,
} from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// Clients and their API keys on the real MariaDB: the first key made with the client, more keys with their own
// scopes and allow-lists, disables (key and client), rotation with an overlap, and what the gateway is given.

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(() => drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('client keys', () => {
  it('a new client has one key with every scope from any source, and the gateway gets its secret', async () => {
    const { client, key, secret } = await createClient(db, 'Exchange A');
    expect(client.keyId).toBe(key.keyId);
    expect(key).toMatchObject({ clientId: client.id, scopes: ['read', 'transfer', 'withdraw'], allowedCidrs: [], status: 'active' });
    expect(await clientCredentials(db, key.keyId)).toEqual({
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
    const { client, key: first } = await createClient(db, 'Exchange B');
    const reporting = await createClientKey(db, client.id, { scopes: ['read'], allowedCidrs: [] });
    const payouts = await createClientKey(db, client.id, { scopes: ['withdraw'], allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'] });
    expect(new Set([first.keyId, reporting.key.keyId, payouts.key.keyId]).size).toBe(3);
    expect(reporting.secret).not.toBe(payouts.secret);
    const listed = await listClientKeys(db, client.id);
    expect(listed.map((k) => k.keyId)).toEqual([first.keyId, reporting.key.keyId, payouts.key.keyId]);
    expect(listed[2]).toMatchObject({ scopes: ['withdraw'], allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'] });
    expect(JSON.stringify(listed)).not.toContain(payouts.secret);
    expect(await clientKeyIds(db, client.id)).toEqual(listed.map((k) => k.keyId));
    expect(await clientCredentials(db, payouts.key.keyId)).toMatchObject({
      secret: payouts.secret,
      scopes: ['withdraw'],
      allowedCidrs: ['10.0.0.0/8', '192.0.2.7/32'],
    });
  });

  it('refuses a key for no client, or with no scope', async () => {
    await expect(createClientKey(db, 'cl_nope', { scopes: ['read'], allowedCidrs: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { client } = await createClient(db, 'Exchange C');
    await expect(createClientKey(db, client.id, { scopes: [], allowedCidrs: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(listClientKeys(db, 'cl_nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setClientKeyStatus(db, 'key_nope', 'disabled')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a disabled key or a disabled client is inactive for the gateway; the other keys are not touched by a key disable', async () => {
    const { client, key } = await createClient(db, 'Exchange D');
    const other = await createClientKey(db, client.id, { scopes: ['read'], allowedCidrs: [] });
    expect(await setClientKeyStatus(db, other.key.keyId, 'disabled')).toMatchObject({ status: 'disabled' });
    expect((await clientCredentials(db, other.key.keyId))?.active).toBe(false);
    expect((await clientCredentials(db, key.keyId))?.active).toBe(true);
    await disableClient(db, client.id);
    expect((await clientCredentials(db, key.keyId))?.active).toBe(false);
    await enableClient(db, client.id);
    expect((await clientCredentials(db, key.keyId))?.active).toBe(true);
    expect((await clientCredentials(db, other.key.keyId))?.active).toBe(false);
    await setClientKeyStatus(db, other.key.keyId, 'active');
    expect((await clientCredentials(db, other.key.keyId))?.active).toBe(true);
  });

  it('rotating a key keeps the old secret for the overlap only; clients rotate rotates the first key', async () => {
    const { client, key, secret: first } = await createClient(db, 'Exchange E');
    const extra = await createClientKey(db, client.id, { scopes: ['read'], allowedCidrs: [] });
    const rotated = await rotateClientKey(db, extra.key.keyId, 400);
    expect(rotated.secret).not.toBe(extra.secret);
    expect(rotated.key.previousSecretExpiresAt).toEqual(rotated.previousSecretExpiresAt);
    expect(await clientCredentials(db, extra.key.keyId)).toMatchObject({ secret: rotated.secret, previousSecret: extra.secret });
    await sleep(450);
    const after = await clientCredentials(db, extra.key.keyId);
    expect(after?.previousSecret).toBeUndefined();
    expect((await listClientKeys(db, client.id))[1]?.previousSecretExpiresAt).toBeUndefined();

    const byClient = await rotateClientSecret(db, client.id, 0);
    expect(byClient.previousSecretExpiresAt).toBeUndefined();
    expect(await clientCredentials(db, key.keyId)).toMatchObject({ secret: byClient.secret });
    expect((await clientCredentials(db, key.keyId))?.previousSecret).toBeUndefined();
    expect(byClient.secret).not.toBe(first);
    // The other key is untouched by the client's rotation.
    expect((await clientCredentials(db, extra.key.keyId))?.secret).toBe(rotated.secret);
    await expect(rotateClientKey(db, key.keyId, -1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(rotateClientKey(db, 'key_nope', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
