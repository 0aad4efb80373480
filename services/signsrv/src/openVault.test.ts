import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type * as signer from '@wallet/signer';
import { SeedVault, sealKeystore } from '@wallet/signer';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type VaultFiles, openVault } from './openVault.js';

// Every KEK parseKek hands out, to check that openVault zeroes it.
const keks = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('@wallet/signer', async (importOriginal) => {
  const original = await importOriginal<typeof signer>();
  return {
    ...original,
    parseKek: (hex: string) => {
      const kek = original.parseKek(hex);
      keks.push(kek);
      return kek;
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'signsrv-vault-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
};
const entropy = Uint8Array.from(randomBytes(32));
const fingerprint = new SeedVault(entropy).fingerprint;
const kekHex = randomBytes(32).toString('hex');
const passphrase = 'a passphrase long enough';
const kekKeystore = file('kek-keystore.json', JSON.stringify(sealKeystore(entropy, { kek: Buffer.from(kekHex, 'hex') })));
const kekFile = file('kek.hex', `${kekHex}\n`);

afterEach(() => {
  keks.length = 0;
});

/** The files as signsrv's configuration names them. */
function files(env: { SIGNSRV_KEYSTORE_FILE: string; SIGNSRV_KEK_FILE?: string; SIGNSRV_PASSPHRASE_FILE?: string }): VaultFiles {
  return {
    keystore: { path: env.SIGNSRV_KEYSTORE_FILE, name: 'SIGNSRV_KEYSTORE_FILE' },
    protector:
      env.SIGNSRV_KEK_FILE !== undefined
        ? { kind: 'kek', path: env.SIGNSRV_KEK_FILE, name: 'SIGNSRV_KEK_FILE' }
        : { kind: 'passphrase', path: env.SIGNSRV_PASSPHRASE_FILE ?? '', name: 'SIGNSRV_PASSPHRASE_FILE' },
  };
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(run: () => unknown): { code?: unknown; message: string; details?: unknown; shown: string } {
  try {
    run();
  } catch (error) {
    const e = error as { code?: unknown; message: string; details?: unknown };
    return {
      code: e.code,
      message: e.message,
      details: e.details,
      shown: `${e.message}\n${JSON.stringify(error)}\n${inspect(error, { depth: 10 })}`,
    };
  }
  throw new Error('openVault did not throw');
}

describe('openVault', () => {
  it('opens a keystore with the KEK file, and zeroes the KEK afterwards', () => {
    expect(openVault(files({ SIGNSRV_KEYSTORE_FILE: kekKeystore, SIGNSRV_KEK_FILE: kekFile })).fingerprint).toBe(fingerprint);
    expect(keks).toHaveLength(1);
    expect(keks[0]!.every((b) => b === 0)).toBe(true);
  });

  it('zeroes the KEK when the keystore does not open too', () => {
    const wrongKek = file('wrong-kek.hex', randomBytes(32).toString('hex'));
    expect(failure(() => openVault(files({ SIGNSRV_KEYSTORE_FILE: kekKeystore, SIGNSRV_KEK_FILE: wrongKek }))).code).toBe('CONFIG_INVALID');
    expect(keks).toHaveLength(1);
    expect(keks[0]!.every((b) => b === 0)).toBe(true);
  });

  it('opens a keystore with the passphrase file (one trailing newline is not part of it)', () => {
    const keystore = file('pass-keystore.json', JSON.stringify(sealKeystore(entropy, { passphrase }, { scryptN: 2 ** 15 })));
    const passFile = file('passphrase', `${passphrase}\n`);
    expect(openVault(files({ SIGNSRV_KEYSTORE_FILE: keystore, SIGNSRV_PASSPHRASE_FILE: passFile })).fingerprint).toBe(fingerprint);
  });

  it('tells a KEK file that cannot be read from one that holds no KEK, and shows neither content', () => {
    const missing = failure(() => openVault(files({ SIGNSRV_KEYSTORE_FILE: kekKeystore, SIGNSRV_KEK_FILE: join(dir, 'no-such-file') })));
    expect(missing).toMatchObject({ code: 'CONFIG_INVALID', details: { variables: ['SIGNSRV_KEK_FILE'], problem: 'unreadable' } });

    const nearMiss = `${kekHex.slice(0, 63)}g`;
    const malformed = failure(() =>
      openVault(files({ SIGNSRV_KEYSTORE_FILE: kekKeystore, SIGNSRV_KEK_FILE: file('bad-kek.hex', nearMiss) })),
    );
    expect(malformed).toMatchObject({ code: 'CONFIG_INVALID', details: { variables: ['SIGNSRV_KEK_FILE'], problem: 'malformed' } });
    expect(malformed.shown).not.toContain(kekHex.slice(0, 16));
  });

  it('tells a keystore that cannot be read from one that is not JSON', () => {
    expect(failure(() => openVault(files({ SIGNSRV_KEYSTORE_FILE: join(dir, 'none.json'), SIGNSRV_KEK_FILE: kekFile })))).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { variables: ['SIGNSRV_KEYSTORE_FILE'], problem: 'unreadable' },
    });
    expect(
      failure(() => openVault(files({ SIGNSRV_KEYSTORE_FILE: file('not-json', 'secret{'), SIGNSRV_KEK_FILE: kekFile }))),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { variables: ['SIGNSRV_KEYSTORE_FILE'], problem: 'malformed' },
    });
  });

  it('reports an unreadable passphrase file as such', () => {
    expect(
      failure(() => openVault(files({ SIGNSRV_KEYSTORE_FILE: kekKeystore, SIGNSRV_PASSPHRASE_FILE: join(dir, 'none') }))),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { variables: ['SIGNSRV_PASSPHRASE_FILE'], problem: 'unreadable' },
    });
  });
});
